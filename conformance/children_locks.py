"""Targets run in child processes by the Locks and semaphores properties.

Spawn and forkserver children import this module by name, so it imports only the stdlib and
does nothing at import time beyond defining names. Locks, semaphores and shared values reach
the child as Process arguments at creation (the only way to share them), which is why one
agent is started per test with every object the test will use, and then driven through a
pipe across all Hypothesis examples.

Every wait is bounded: an agent whose test died gives up after :data:`PATIENCE` of silence,
and every blocking acquire it makes carries a timeout. Times are ``time.monotonic_ns()``
readings, system-wide on Linux and so comparable with the test's own.
"""

from __future__ import annotations

import os
import time
from typing import Any

from mpconform.agents import STOP
from mpconform.limits import PATIENCE

READY = "ready"
INVOKING = "invoking"  # sent just before a blocking call the test wants to see blocked
NO_OWNER = 0


def outcome(call: Any, *args: Any, **kwargs: Any) -> tuple:
    """``("ok", result, t_invoke, t_return)`` or ``("raised", mro names, message, t...)``.

    The exception itself is not sent: its class may not unpickle in the test process, and the
    names of its classes are all a property needs (``"AssertionError" in names``).
    """
    t0 = time.monotonic_ns()
    try:
        result = call(*args, **kwargs)
    except Exception as exc:
        names = tuple(c.__name__ for c in type(exc).__mro__)
        return ("raised", names, str(exc), t0, time.monotonic_ns())
    return ("ok", result, t0, time.monotonic_ns())


# -- the holder agent --------------------------------------------------------------------------


def serve(conn: Any, objects: list, cells: list, me: int, go: Any = None) -> None:
    """Run commands from ``conn`` on ``objects`` until STOP or silence.

    A command is ``(op, index, *args)``; the reply is an :func:`outcome`. ``cells`` are shared
    values the counting commands use; ``me`` is this agent's nonzero holder id. Counting
    commands first answer READY and wait for the event ``go``, so that all agents start
    together and really compete, whatever the lock under test does.
    """
    while conn.poll(PATIENCE):
        command = conn.recv()
        if command == STOP:
            return
        op, index, *args = command
        obj = objects[index]
        if op == "acquire":
            conn.send(outcome(obj.acquire, *args))
        elif op == "announced_acquire":
            conn.send(INVOKING)
            conn.send(outcome(obj.acquire, *args))
        elif op == "release":
            conn.send(outcome(obj.release))
        elif op == "get_value":
            conn.send(outcome(obj.get_value))
        elif op in ("count", "cycles"):
            conn.send(READY)
            if not go.wait(PATIENCE):
                return
            work = count if op == "count" else cycles
            conn.send(outcome(work, obj, cells, me, *args))
        else:
            conn.send(("raised", ("ValueError",), f"unknown command {op!r}", 0, 0))


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
    sections, incs, findings = [], [], []
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
        found = owner.value
        owner.value = me
        if found != NO_OWNER:
            findings.append(f"holder {me} entered while holder {found} was inside")
        old = counter.value
        pause()  # invite another holder in: a lock that excludes nobody then loses increments
        counter.value = old + 1
        found = owner.value
        owner.value = NO_OWNER
        if found != me:
            findings.append(f"holder {me} found holder {found} in the owner cell before release")
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
