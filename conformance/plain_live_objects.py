"""Passing live objects properties as plain code, for standalone repro scripts.

Each ``observe`` does what its property does with a context (``mp``) and returns what the
property compares; see :mod:`mpconform.conformance.plain_lifecycle` for the rules.
"""

from __future__ import annotations

from mpconform.plain import template
from mpconform.plain_driver import attempt

PATIENCE_S = 10.0


def hold_briefly(lock):
    with lock:
        pass


@template("test_a_lock_of_the_fork_context_is_refused_by_another_start_method", hold_briefly)
def fork_lock_to_another_start_method(mp):
    # Meant for a spawn or forkserver context: CPython's start() refuses the fork context's
    # lock before any child runs (under fork itself the child simply runs).
    lock = mp.get_context("fork").Lock()
    child = mp.Process(target=hold_briefly, args=(lock,))
    started = attempt(child.start)
    if child.pid is not None:  # it did start: how did it end?
        child.join(PATIENCE_S)
    return started, child.exitcode
