"""Tiny conformance-style tests the harness tests run against faulty backends.

Not collected by the main run (the name does not match test_*.py); tests/test_statuses.py
runs this file in a child pytest against each fault adapter and reads the verdicts.
"""

import multiprocessing.connection
import os
import signal

import pytest
from mutants import faults

from mpconform.waiting import LIVENESS, finish, join

pytestmark = pytest.mark.mp_area("Harness self-test")


def test_child_runs(mp):
    """A child that returns normally exits with code 0."""
    p = mp.Process(target=faults.return_normally)
    p.start()
    assert finish(p) == 0
    marker = os.environ.get("CASE_STARTED_FILE")
    if marker:  # lets a harness test wait until this point
        with open(marker, "a") as fh:
            fh.write("ran\n")


@pytest.mark.mp_requires("Process.kill")
def test_kill_needs_capability(mp):
    """kill() on a blocked child gives exitcode -SIGKILL."""
    ours, theirs = mp.Pipe(duplex=False)
    p = mp.Process(target=faults.block_forever, args=(theirs,))
    p.start()
    # Kill only once the child blocks, or it races whatever the backend's child does first
    # (a segfaulting child must read as its segfault every time, not sometimes as a kill).
    multiprocessing.connection.wait([ours, p.sentinel], LIVENESS)
    p.kill()
    assert join(p, what="killed child") == -signal.SIGKILL


def test_simple_queue_round_trip(mp):
    """SimpleQueue returns what was put (and frees its semaphores with the object)."""
    q = mp.SimpleQueue()
    q.put(("x", 1))
    assert q.get() == ("x", 1)
    q.close()
