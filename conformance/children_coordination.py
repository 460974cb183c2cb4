"""Agents for the Conditions, events and barriers properties.

Spawn and forkserver children import this module by name, so it imports only the stdlib and
does nothing at import time beyond defining names. The Conditions, Events, Barriers and locks
an agent uses arrive once, as a dict passed when it starts (the only way to share them); the
test then drives it through its Pipe with commands ``(tag, name, args)``.

Every command ends with exactly one final message, ``(tag, "done", result)`` or ``(tag,
"raised", account)``; some send progress first, e.g. ``(tag, "waiting", None)`` while holding
a Condition's lock just before ``wait()``. The tag is the test's example number, so messages
of an example that failed are recognised and skipped by the next one. Times are
``time.monotonic_ns()``, system-wide on Linux and so comparable across processes. Every wait
is bounded by :data:`PATIENCE`: an agent whose test died gives up and ends.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from mpconform.agents import STOP
from mpconform.limits import PATIENCE

LET_GO = ("mpconform-let-go",)  # ends a "hold"; any other time it is ignored


def account(exc: BaseException) -> tuple[str, str, bool]:
    """What an exception was, in plain data: qualified type, message, and whether it is the
    BrokenBarrierError of the documentation (``threading.BrokenBarrierError``)."""
    kind = type(exc)
    return (
        f"{kind.__module__}.{kind.__qualname__}",
        str(exc),
        isinstance(exc, threading.BrokenBarrierError),
    )


def agent(conn: Any, things: dict) -> None:
    """Run commands from ``conn`` on ``things`` until STOP, end of file, or silence."""
    while conn.poll(PATIENCE):
        try:
            command = conn.recv()
        except (EOFError, OSError):
            return
        if command == STOP:
            return
        if command == LET_GO:
            continue
        tag, name, args = command
        try:
            result = COMMANDS[name](conn, tag, things, *args)
        except Exception as exc:
            conn.send((tag, "raised", account(exc)))
        else:
            conn.send((tag, "done", result))


def acquire(lock: Any, times: int = 1) -> None:
    for _ in range(times):
        if not lock.acquire(timeout=PATIENCE):
            raise RuntimeError(f"could not acquire {lock!r} within {PATIENCE:g} s")


def release(lock: Any, times: int = 1) -> None:
    for _ in range(times):
        lock.release()


# -- locks and conditions ----------------------------------------------------------------------


def hold(conn: Any, tag: int, things: dict, key: str, times: int) -> str:
    """Acquire ``things[key]`` ``times`` times, say so, and keep it until LET_GO."""
    lock = things[key]
    acquire(lock, times)
    try:
        conn.send((tag, "held", None))
        if conn.poll(PATIENCE):
            conn.recv()
    finally:
        release(lock, times)
    return "released"


def try_acquire(conn: Any, tag: int, things: dict, key: str) -> bool:
    """acquire(False) on ``things[key]``; released again at once if it succeeded."""
    lock = things[key]
    got = lock.acquire(False)
    if got:
        lock.release()
    return bool(got)


def cond_wait(conn: Any, tag: int, things: dict, key: str, timeout: float, times: int) -> tuple:
    """Acquire the Condition ``times`` times, announce it, wait(timeout), release.

    The announcement is sent while the lock is held, so a test that acquires the lock after
    reading it knows this process is inside wait(): wait() releases the lock only after it
    registered as a sleeper. Returns (wait's result, time before the call, time after).
    """
    cond = things[key]
    acquire(cond, times)
    try:
        conn.send((tag, "waiting", None))
        t_invoke = time.monotonic_ns()
        woke = cond.wait(timeout)
        t_return = time.monotonic_ns()
    finally:
        release(cond, times)
    return woke, t_invoke, t_return


def cond_wait_for(conn: Any, tag: int, things: dict, key: str, cell: str, timeout: float) -> tuple:
    """wait_for(predicate, timeout) where the predicate reads the shared ``things[cell]``."""
    cond, value = things[key], things[cell]
    acquire(cond)
    try:
        conn.send((tag, "waiting", None))
        t_invoke = time.monotonic_ns()
        result = cond.wait_for(lambda: value.value, timeout)
        t_return = time.monotonic_ns()
    finally:
        release(cond)
    return result, t_invoke, t_return


# -- events ------------------------------------------------------------------------------------


def event_wait(conn: Any, tag: int, things: dict, key: str, timeout: float | None) -> tuple:
    """Announce, then wait(timeout); returns (result as returned, invoke time, return time)."""
    event = things[key]
    conn.send((tag, "waiting", None))
    t_invoke = time.monotonic_ns()
    result = event.wait(timeout)
    return result, t_invoke, time.monotonic_ns()


def event_ops(conn: Any, tag: int, things: dict, key: str, ops: list[str]) -> list[tuple]:
    """Run set/clear/is_set in order; returns rows (op, result, invoke time, return time)."""
    event = things[key]
    rows = []
    for op in ops:
        t_invoke = time.monotonic_ns()
        result = getattr(event, op)()
        rows.append((op, result, t_invoke, time.monotonic_ns()))
    return rows


# -- barriers ----------------------------------------------------------------------------------


def barrier_wait(conn: Any, tag: int, things: dict, key: Any, timeout: float | None) -> tuple:
    """wait() on a barrier; returns ("passed", index, t_invoke, t_return) or ("broken", ...).

    The invoke time is taken before the "arriving" message is sent, so the test knows it as
    soon as it knows the party is on its way; it is earlier than the real call, which keeps
    "returned after the last party arrived" a sound check.
    """
    barrier = things[key]
    t_invoke = time.monotonic_ns()
    conn.send((tag, "arriving", t_invoke))
    try:
        index = barrier.wait() if timeout is None else barrier.wait(timeout)
    except threading.BrokenBarrierError:
        return ("broken", None, t_invoke, time.monotonic_ns())
    return ("passed", index, t_invoke, time.monotonic_ns())


def barrier_state(conn: Any, tag: int, things: dict, key: Any) -> tuple:
    """(parties, n_waiting, broken) as this process sees them."""
    barrier = things[key]
    return barrier.parties, barrier.n_waiting, barrier.broken


def call(conn: Any, tag: int, things: dict, key: Any, method: str) -> Any:
    """``things[key].method()``: abort(), reset(), set(), clear()..."""
    return getattr(things[key], method)()


def record_action(lock: Any, cells: Any, slot: int) -> None:
    """A barrier action: count its runs and note when the latest one began.

    ``cells[2 * slot]`` counts, ``cells[2 * slot + 1]`` is the start time; ``lock`` guards
    both, so two parties running it at once (a bug) still count twice.
    """
    started = time.monotonic_ns()
    acquire(lock)
    try:
        cells[2 * slot] += 1
        cells[2 * slot + 1] = started
    finally:
        release(lock)


COMMANDS: dict[str, Callable[..., Any]] = {
    "hold": hold,
    "try_acquire": try_acquire,
    "cond_wait": cond_wait,
    "cond_wait_for": cond_wait_for,
    "event_wait": event_wait,
    "event_ops": event_ops,
    "barrier_wait": barrier_wait,
    "barrier_state": barrier_state,
    "call": call,
}
