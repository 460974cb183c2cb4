"""Agents for the Conditions, events and barriers properties.

Spawn and forkserver children import this module by name, so it imports only the stdlib and
does nothing at import time beyond defining names. The Conditions, Events, Barriers and locks
an agent uses arrive once, as a dict passed when it starts (the only way to share them); the
test then sends it :data:`COMMANDS` (:mod:`mpconform.agents`, driven as a ``Crew``).

Some commands note progress before their reply, as ``(kind, payload)`` Notes, e.g.
``("waiting", None)`` while holding a Condition's lock just before ``wait()``. Times are
``time.monotonic_ns()``, system-wide on Linux and so comparable across processes. Every wait
is bounded by :data:`PATIENCE`: an agent whose test died gives up and ends.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any, Callable

from mpconform.agents import Session
from mpconform.limits import PATIENCE

LET_GO = ("mpconform-let-go",)  # ends a "hold"; any other time it is ignored


def _things(session: Session) -> dict:
    """The Conditions, Events, Barriers and locks this agent got at start, by name."""
    return session.objects[0]


def acquire(lock: Any, times: int = 1) -> None:
    for _ in range(times):
        if not lock.acquire(timeout=PATIENCE):
            raise RuntimeError(f"could not acquire {lock!r} within {PATIENCE:g} s")


def release(lock: Any, times: int = 1) -> None:
    for _ in range(times):
        lock.release()


# -- locks and conditions ----------------------------------------------------------------------


def hold(session: Session, key: str, times: int) -> str:
    """Acquire ``things[key]`` ``times`` times, say so, and keep it until LET_GO."""
    lock = _things(session)[key]
    acquire(lock, times)
    try:
        session.note(("held", None))
        with contextlib.suppress(TimeoutError):
            session.receive()  # LET_GO (any follow-up ends the hold)
    finally:
        release(lock, times)
    return "released"


def try_acquire(session: Session, key: str) -> bool:
    """acquire(False) on ``things[key]``; released again at once if it succeeded."""
    lock = _things(session)[key]
    got = lock.acquire(False)
    if got:
        lock.release()
    return bool(got)


def cond_wait(session: Session, key: str, timeout: float, times: int) -> tuple:
    """Acquire the Condition ``times`` times, announce it, wait(timeout), release.

    The announcement is sent while the lock is held, so a test that acquires the lock after
    reading it knows this process is inside wait(): wait() releases the lock only after it
    registered as a sleeper. Returns (wait's result, time before the call, time after).
    """
    cond = _things(session)[key]
    acquire(cond, times)
    try:
        session.note(("waiting", None))
        t_invoke = time.monotonic_ns()
        woke = cond.wait(timeout)
        t_return = time.monotonic_ns()
    finally:
        release(cond, times)
    return woke, t_invoke, t_return


def cond_wait_for(session: Session, key: str, cell: str, timeout: float) -> tuple:
    """wait_for(predicate, timeout) where the predicate reads the shared ``things[cell]``."""
    things = _things(session)
    cond, value = things[key], things[cell]
    acquire(cond)
    try:
        session.note(("waiting", None))
        t_invoke = time.monotonic_ns()
        result = cond.wait_for(lambda: value.value, timeout)
        t_return = time.monotonic_ns()
    finally:
        release(cond)
    return result, t_invoke, t_return


# -- events ------------------------------------------------------------------------------------


def event_wait(session: Session, key: str, timeout: float | None) -> tuple:
    """Announce, then wait(timeout); returns (result as returned, invoke time, return time)."""
    event = _things(session)[key]
    session.note(("waiting", None))
    t_invoke = time.monotonic_ns()
    result = event.wait(timeout)
    return result, t_invoke, time.monotonic_ns()


def event_ops(session: Session, key: str, ops: list[str]) -> list[tuple]:
    """Run set/clear/is_set in order; returns rows (op, result, invoke time, return time)."""
    event = _things(session)[key]
    rows = []
    for op in ops:
        t_invoke = time.monotonic_ns()
        result = getattr(event, op)()
        rows.append((op, result, t_invoke, time.monotonic_ns()))
    return rows


# -- barriers ----------------------------------------------------------------------------------


def barrier_wait(session: Session, key: Any, timeout: float | None) -> tuple:
    """wait() on a barrier; returns ("passed", index, t_invoke, t_return) or ("broken", ...).

    The invoke time is taken before the "arriving" message is sent, so the test knows it as
    soon as it knows the party is on its way; it is earlier than the real call, which keeps
    "returned after the last party arrived" a sound check.
    """
    barrier = _things(session)[key]
    t_invoke = time.monotonic_ns()
    session.note(("arriving", t_invoke))
    try:
        index = barrier.wait() if timeout is None else barrier.wait(timeout)
    except threading.BrokenBarrierError:
        return ("broken", None, t_invoke, time.monotonic_ns())
    return ("passed", index, t_invoke, time.monotonic_ns())


def barrier_state(session: Session, key: Any) -> tuple:
    """(parties, n_waiting, broken) as this process sees them."""
    barrier = _things(session)[key]
    return barrier.parties, barrier.n_waiting, barrier.broken


def call(session: Session, key: Any, method: str) -> Any:
    """``things[key].method()``: abort(), reset(), set(), clear()..."""
    return getattr(_things(session)[key], method)()


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
