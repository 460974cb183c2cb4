"""Targets run in child processes by the Queues properties.

Spawn and forkserver children import this module by name, so it imports only the stdlib and
does nothing at import time beyond defining names. Queues, pipes and events arrive as Process
arguments (the only way to share them), and the backend itself is never imported here.

Every wait is bounded by :data:`PATIENCE`: a child whose test died gives up and ends instead
of lingering. Histories are sent back as plain tuples
``(process, op, args, result, t_invoke, t_return)`` with ``time.monotonic_ns()`` times, which
is system-wide on Linux and so comparable with the other children's readings.
"""

from __future__ import annotations

import queue
import time
from typing import Any

from mpconform.agents import NOTHING, STOP
from mpconform.limits import PATIENCE

POLL = 0.01
READY = "ready"
QUIT = ("mpconform-quit",)


class Parcel:
    """A user-defined class: pickling must find it by name in the child and keep its state."""

    def __init__(self, label: str, content: Any) -> None:
        self.label = label
        self.content = content

    def __eq__(self, other: object) -> bool:
        if type(other) is not Parcel:
            return NotImplemented
        return (self.label, self.content) == (other.label, other.content)

    def __hash__(self) -> int:
        return hash(self.label)

    def __repr__(self) -> str:
        return f"Parcel({self.label!r}, {self.content!r})"


def take(q: Any, timed: bool, timeout: float = PATIENCE) -> Any:
    """The next item, or :data:`~mpconform.agents.NOTHING` after ``timeout``.

    ``timed=False`` is for SimpleQueue, whose get() has no timeout: it polls empty(), which is
    exact there because put() writes to the pipe synchronously.
    """
    if timed:
        try:
            return q.get(timeout=timeout)
        except queue.Empty:
            return NOTHING
    end = time.monotonic() + timeout
    while q.empty():
        if time.monotonic() >= end:
            return NOTHING
        time.sleep(POLL)
    return q.get()


# -- echo agent --------------------------------------------------------------------------------


def echo(inbox: Any, outbox: Any, timed: bool, joinable: bool) -> None:
    """Send every item of ``inbox`` back through ``outbox`` until STOP (or silence)."""
    while True:
        item = take(inbox, timed)
        if joinable and item is not NOTHING:
            inbox.task_done()
        if item is NOTHING or item == STOP:
            return
        outbox.put(item)


# -- producers and consumers with histories ----------------------------------------------------


def produce(q: Any, conn: Any, name: str, values: list, go: Any, marker: Any, flush: bool) -> None:
    """Put ``values`` then ``marker``, recording each put; optionally flush; send the history.

    The marker is put last by this producer, so per-producer FIFO puts it behind all of its
    items: a consumer that dequeued it knows this producer's items have all left the pipe.
    The flush (close + join_thread) is recorded because it is the one event that forces the
    buffered items into the pipe, which gives the relaxed model something to check.
    """
    conn.send(READY)
    if not go.wait(PATIENCE):
        return
    ops: list[tuple[Any, ...]] = []
    for value in [*values, marker]:
        t0 = time.monotonic_ns()
        q.put(value)
        ops.append((name, "put", (value,), None, t0, time.monotonic_ns()))
    if flush and callable(getattr(q, "join_thread", None)):
        t0 = time.monotonic_ns()
        q.close()
        q.join_thread()
        ops.append((name, "flush", (), None, t0, time.monotonic_ns()))
    conn.send(ops)


def consume(q: Any, conn: Any, name: str, timed: bool, markers: frozenset) -> None:
    """Get until QUIT, recording each get; report each marker at once, then the history.

    Markers are reported as they arrive so the test learns when every producer's items have
    left the queue without having to join a producer first (which the documentation warns can
    deadlock). QUIT is put by the test only after that, so it cannot overtake an item.
    """
    ops: list[tuple[Any, ...]] = []
    while True:
        t0 = time.monotonic_ns()
        item = take(q, timed)
        t1 = time.monotonic_ns()
        if item is NOTHING or item == QUIT:
            break
        ops.append((name, "get", (), item, t0, t1))
        if item in markers:
            conn.send(("marker", item))
    conn.send(("history", ops))


# -- simple producers --------------------------------------------------------------------------


def put_all(q: Any, values: list) -> None:
    """Put every value, then end normally: the exit must flush what is still buffered."""
    for value in values:
        q.put(value)


def put_all_then_cancel(q: Any, values: list) -> None:
    """Put every value, then give up on flushing: the exit must not wait for a reader."""
    put_all(q, values)
    q.cancel_join_thread()


def put_all_then_signal(q: Any, values: list, done: Any) -> None:
    """Put every value, then set ``done``: after it is set, the puts have all returned."""
    put_all(q, values)
    done.set()


# -- JoinableQueue -----------------------------------------------------------------------------


def work_but_hold_last(q: Any, count: int, conn: Any, held: Any, release: Any) -> None:
    """Take ``count`` tasks, mark all but the last done, wait for ``release``, finish it.

    Sends the time just before the last task_done() was invoked: a join() that returned
    earlier returned with a task still open.
    """
    for _ in range(count):
        if take(q, True) is NOTHING:
            return
    for _ in range(count - 1):
        q.task_done()
    held.set()
    if not release.wait(PATIENCE):
        return
    t_last = time.monotonic_ns()
    q.task_done()
    conn.send(t_last)
