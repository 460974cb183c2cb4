"""Targets run in child processes by the Locks and semaphores properties.

Spawn and forkserver children import this module by name, so it imports only the stdlib and
does nothing at import time beyond defining names. Locks, semaphores and shared values reach
the child as Process arguments at creation (the only way to share them), which is why one
agent (:mod:`mpconform.agents`) is started per test with every object the test will use, and
then sent :data:`COMMANDS` across all Hypothesis examples.

Every wait is bounded: an agent whose test died gives up after :data:`PATIENCE` of silence,
and every blocking acquire it makes carries a timeout. Times are ``time.monotonic_ns()``
readings, system-wide on Linux and so comparable with the test's own.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable

from mpconform.agents import Session
from mpconform.checkers.screens import enter_owned, exit_owned
from mpconform.limits import PATIENCE

READY = "ready"  # noted by a counting command before it waits for the go event
INVOKING = "invoking"  # noted just before a blocking call the test wants to see blocked


# -- the holder agent's commands ---------------------------------------------------------------
# A holder agent gets ``(objects, cells, me, go)`` at start: the objects under test, the shared
# values the counting commands use, its nonzero holder id, and the event that starts a round.


def _target(session: Session, index: int) -> Any:
    return session.objects[0][index]


def acquire(session: Session, index: int, *args: Any) -> Any:
    return _target(session, index).acquire(*args)


def announced_acquire(session: Session, index: int, *args: Any) -> Any:
    """``acquire(*args)``, noting INVOKING first so the test knows the call is under way."""
    session.note(INVOKING)
    return _target(session, index).acquire(*args)


def release(session: Session, index: int) -> Any:
    return _target(session, index).release()


def get_value(session: Session, index: int) -> Any:
    return _target(session, index).get_value()


def _together(session: Session, work: Any, index: int, *args: Any) -> Any:
    """Note READY, wait for ``go``, then run ``work``: every holder of a round starts at once
    and really competes, whatever the lock under test does."""
    objects, cells, me, go = session.objects
    session.note(READY)
    if not go.wait(PATIENCE):
        raise TimeoutError(f"holder {me}: the round never started")
    return work(objects[index], cells, me, *args)


def counting(session: Session, index: int, *args: Any) -> Any:
    return _together(session, count, index, *args)


def cycling(session: Session, index: int, *args: Any) -> Any:
    return _together(session, cycles, index, *args)


COMMANDS: dict[str, Callable[..., Any]] = {
    "acquire": acquire,
    "announced_acquire": announced_acquire,
    "release": release,
    "get_value": get_value,
    "count": counting,
    "cycles": cycling,
}


# -- lock-protected counting -------------------------------------------------------------------


def pause() -> None:
    """Give up the CPU for a moment, without sleeping for any set time."""
    if hasattr(os, "sched_yield"):
        os.sched_yield()
    else:
        time.sleep(0)


def count(lock: Any, cells: list, me: int, increments: int, depth: int, timeout: float) -> tuple:
    """``increments`` read-modify-write increments of ``cells[0]``, each under ``lock``.

    ``lock`` None means ``cells[0].get_lock()``, looked up afresh for every increment as user
    code does. ``depth`` > 1 re-acquires (an RLock) that many times, without blocking: an
    owner's re-acquire succeeds at once or not at all. Returns the sections
    ``(t_acquire_returned, t_release_invoked)``, fetch-and-increment ops
    ``(old value, t_invoke, t_return)`` and in-band owner findings (``cells[1]`` holds the
    holder's id while it is inside).
    """
    counter, owner = cells[0], cells[1]
    sections: list[Any] = []
    incs: list[Any] = []
    findings: list[Any] = []
    for _ in range(increments):
        guard = counter.get_lock() if lock is None else lock
        t_invoke = time.monotonic_ns()
        if not guard.acquire(True, timeout):
            findings.append(f"holder {me} could not acquire in {timeout} s")
            return sections, incs, findings
        for level in range(1, depth):  # the owner's re-acquire must never wait
            if guard.acquire(False) is not True:
                findings.append(f"holder {me} could not re-acquire what it held at depth {level}")
                for _ in range(level):
                    guard.release()
                return sections, incs, findings
        t_in = time.monotonic_ns()
        entered = enter_owned(owner, me)
        if entered is not None:
            findings.append(entered.message)
        old = counter.value
        pause()  # invite another holder in: a lock that excludes nobody then loses increments
        counter.value = old + 1
        leaving = exit_owned(owner, me)
        if leaving is not None:
            findings.append(leaving.message)
        t_out = time.monotonic_ns()
        for _ in range(depth):
            guard.release()
        incs.append((old, t_invoke, time.monotonic_ns()))
        sections.append((t_in, t_out))
    return sections, incs, findings


# -- semaphores --------------------------------------------------------------------------------


def cycles(
    sem: Any, cells: list, me: int, rounds: int, limit: int, hold: float, timeout: float
) -> tuple:
    """``rounds`` acquire/hold/release cycles on ``sem``, counting holders in-band.

    ``cells[0]`` counts the processes inside, guarded by the lock ``cells[1]``; a holder that
    finds more than ``limit`` inside (itself included) reports it. The hold keeps the slot
    taken while the other agents try theirs. Returns the sections and the findings.
    """
    inside, guard = cells[0], cells[1]
    sections, findings = [], []
    for _ in range(rounds):
        if not sem.acquire(True, timeout):
            findings.append(f"holder {me} could not acquire in {timeout} s")
            break
        t_in = time.monotonic_ns()
        if not guard.acquire(True, timeout):
            sem.release()
            findings.append(f"holder {me} could not take the counting lock in {timeout} s")
            break
        inside.value += 1
        now = inside.value
        guard.release()
        if now > limit:
            findings.append(f"holder {me} counted {now} holders inside, the limit is {limit}")
        time.sleep(hold)
        t_out = time.monotonic_ns()
        if not guard.acquire(True, timeout):
            sem.release()
            findings.append(f"holder {me} could not take the counting lock in {timeout} s")
            break
        inside.value -= 1
        guard.release()
        sem.release()
        sections.append((t_in, t_out))
    return sections, findings
