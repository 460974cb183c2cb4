"""Locks and semaphores properties as plain code, for standalone repro scripts.

Each ``observe`` does what its property does with a context (``mp``) and returns what the
property compares; see :mod:`mpconform.conformance.plain_lifecycle` for the rules. The other
processes are holders: children that received the lock at start and call its methods on
command, answering with what the call gave (as text: the script's classes do not travel
between processes under spawn).
"""

from __future__ import annotations

from mpconform.plain import template
from mpconform.plain_driver import attempt

PATIENCE_S = 10.0
#: How long a step "wait" (a blocking acquire) waits when the lock is held: it then returns
#: False, as acquire(False) would. The property only waits when its model says it is free.
WAIT_S = 1.0


def holder(lock, conn):
    """Call ``lock``'s methods on command, ``(name, args)``, until told None."""
    while conn.poll(PATIENCE_S):
        command = conn.recv()
        if command is None:
            return
        name, args = command
        conn.send(repr(attempt(getattr(lock, name), *args)))


def ask(conn, name, *args):
    conn.send((name, args))
    return conn.recv() if conn.poll(PATIENCE_S) else "no answer"


def replay(mp, kind, steps):
    """Run ``steps``, (actor, op) pairs, on a fresh ``kind``: actor 0 is this process, 1 and 2
    are holders; op is "try" (acquire(False)), "wait" (a blocking acquire) or "release"."""
    lock = getattr(mp, kind)()
    pipes = [mp.Pipe() for _ in range(2)]
    holders = [mp.Process(target=holder, args=(lock, theirs)) for _, theirs in pipes]
    for child in holders:
        child.start()
    calls = {"try": ("acquire", (False,)), "wait": ("acquire", (True, WAIT_S))}
    results = []
    for actor, op in steps:
        name, args = calls.get(op, ("release", ()))
        if actor == 0:
            results.append(repr(attempt(getattr(lock, name), *args)))
        else:
            results.append(ask(pipes[actor - 1][0], name, *args))
    left = None
    if kind == "Lock":  # how many acquire(False) this process gets after the sequence
        left = 0
        while left < 2 and lock.acquire(False):
            left += 1
    for (ours, _), child in zip(pipes, holders):
        ours.send(None)
        child.join(PATIENCE_S)
    return results, left


@template(
    "test_lock_follows_its_sequential_model",
    holder,
    ask,
    replay,
    sample={"steps": [(1, "try"), (0, "try"), (0, "release"), (2, "wait"), (0, "release")]},
)
def lock_sequence(mp, steps):
    return replay(mp, "Lock", steps)


@template(
    "test_rlock_follows_its_sequential_model",
    holder,
    ask,
    replay,
    sample={"steps": [(1, "wait"), (1, "try"), (0, "try"), (0, "release"), (1, "release")]},
)
def rlock_sequence(mp, steps):
    return replay(mp, "RLock", steps)


@template(
    "test_negative_timeout_acts_as_zero",
    holder,
    ask,
    sample={"which": 0, "timeout": -0.5},
)
def negative_timeout(mp, which, timeout):
    lock = getattr(mp, ("Lock", "RLock")[which])()
    ours, theirs = mp.Pipe()
    child = mp.Process(target=holder, args=(lock, theirs))
    child.start()
    on_free = ask(ours, "acquire", True, timeout)  # in the holder: the lock is free
    while_held = repr(attempt(lock.acquire, True, timeout))  # here, while the holder has it
    ours.send(None)
    child.join(PATIENCE_S)
    return on_free, while_held
