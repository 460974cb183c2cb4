"""Message-passing mutants: stdlib pipes, queues and connections with one realistic bug each.

Each module attribute below is an Adapter (use it as ``--mp-backend mutants.messaging:<name>``);
the Pipes and Queues properties that must FAIL against it carry its name in an ``mp_catches``
marker. A property that lets one of these through would also miss the same bug in a real
backend, so the meta-tests hold the properties to catching every one.

Only the factories a mutant overrides change (``Pipe``, ``Queue``...); the rest of the stdlib
context passes through, so a mutant's bug cannot leak into the helpers the suite itself uses.
Mutated classes are module-level so that spawn and forkserver children can unpickle them by
name, although the meta-tests only use fork.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import multiprocessing.queues
import multiprocessing.reduction
import os
import time
from types import ModuleType
from typing import Any, Callable

from mutants.wrap import factory_mutant, module_like

Connection = multiprocessing.connection.Connection
POLL = 0.01


# -- connections -------------------------------------------------------------------------------


class OffsetIgnored(Connection):
    """send_bytes(buf, offset, size) sends the first size bytes: the offset never reaches the
    write, as in a binding that slices with ``buf[:size]`` after computing the size."""

    def send_bytes(self, buf: Any, offset: int = 0, size: int | None = None) -> None:
        if size is None:
            size = memoryview(buf).nbytes - offset
        super().send_bytes(buf, 0, size)


class MaxlengthIgnored(Connection):
    """recv_bytes(maxlength) accepts the argument and never enforces it, so an oversized
    message is returned instead of refused."""

    def recv_bytes(self, maxlength: int | None = None) -> bytes:
        if maxlength is not None and maxlength < 0:
            raise ValueError("negative maxlength")
        return super().recv_bytes()


class ExitLeavesOpen(Connection):
    """Leaving a with block does not close the connection."""

    def __exit__(self, *exc: Any) -> None:
        pass


class PollNoWait(Connection):
    """poll(timeout) only looks once, as a poll built on a non-blocking check would: it never
    waits for data that is still on its way."""

    def poll(self, timeout: float | None = 0.0) -> bool:
        return super().poll(0.0)


# Pickling looks reducers up by exact type: without these, a mutated end sent to a spawn child
# would be pickled as a bare file descriptor number. The child gets a plain Connection.
for _cls in (OffsetIgnored, MaxlengthIgnored, PollNoWait):
    multiprocessing.reduction.register(_cls, multiprocessing.connection.reduce_connection)


def pipe_of(cls: type) -> Callable[..., tuple[Any, Any]]:
    """A ``Pipe(duplex)`` factory whose two ends are stdlib Connections re-wrapped as ``cls``.

    Each end's descriptor is duplicated into the new object and the stdlib one closed, so the
    pipe's end-of-file behaviour is unchanged.
    """

    def make(base: Any, duplex: bool = True) -> tuple[Any, Any]:
        first, second = (rewrap(cls, end) for end in multiprocessing.connection.Pipe(duplex))
        return first, second

    return make


def rewrap(cls: type, end: Any) -> Any:
    wrapped = cls(os.dup(end.fileno()), readable=end.readable, writable=end.writable)
    end.close()
    return wrapped


class AuthkeyDroppedListener(multiprocessing.connection.Listener):
    """Takes an authkey and forgets it, as a wrapper that forwards only address and family
    does: with no key, stdlib skips the challenge and accepts anyone."""

    def __init__(
        self, address: Any = None, family: Any = None, backlog: int = 1, authkey: Any = None
    ) -> None:
        super().__init__(address, family, backlog)


def authkey_dropped_client(address: Any, family: Any = None, authkey: Any = None) -> Any:
    """The Client half of the same bug: the key is accepted and never used."""
    return multiprocessing.connection.Client(address, family)


def connection_module(name: str, **overrides: Any) -> ModuleType:
    """stdlib ``multiprocessing.connection`` with some names replaced (see wrap.module_like)."""
    return module_like(multiprocessing.connection, f"{__name__}.{name}", **overrides)


# -- queues ------------------------------------------------------------------------------------

_NOTHING_HELD = object()


class LastPutHeldBack(multiprocessing.queues.Queue):
    """put() hands an item to the feeder only when the next put comes (a one-item batch), and
    nothing flushes the held item at exit: the last item a process puts is lost."""

    def __init__(self, maxsize: int = 0, *, ctx: Any) -> None:
        super().__init__(maxsize, ctx=ctx)
        self._held: Any = _NOTHING_HELD

    def __setstate__(self, state: Any) -> None:
        super().__setstate__(state)
        self._held = _NOTHING_HELD

    def put(self, obj: Any, block: bool = True, timeout: float | None = None) -> None:
        held, self._held = self._held, obj
        if held is not _NOTHING_HELD:
            super().put(held, block, timeout)


class GetGivesUpAtOnce(multiprocessing.queues.Queue):
    """get(timeout=t) on an empty queue raises Empty at once instead of waiting up to t, as if
    a timed get were get_nowait()."""

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        if block and timeout is not None:
            return super().get(False)
        return super().get(block, timeout)


class FullPutDropped(multiprocessing.queues.Queue):
    """put(obj, block=False) on a full queue drops obj instead of raising queue.Full."""

    def put(self, obj: Any, block: bool = True, timeout: float | None = None) -> None:
        if not block and self.full():
            return
        super().put(obj, block, timeout)


class JoinableMaxsizeIgnored(multiprocessing.queues.JoinableQueue):
    """JoinableQueue(maxsize) is unbounded."""

    def __init__(self, maxsize: int = 0, *, ctx: Any) -> None:
        super().__init__(0, ctx=ctx)


class JoinWhenEmpty(multiprocessing.queues.JoinableQueue):
    """join() waits until the queue is empty, not until every task is done: a worker still busy
    with the last item it took is not waited for."""

    def join(self) -> None:
        while not self.empty():
            time.sleep(POLL)


class BatchReversed(multiprocessing.queues.SimpleQueue):
    """get() reads every message already in the pipe into a local buffer and hands them out
    from its end, so each batch of waiting items comes out last in, first out."""

    def __init__(self, *, ctx: Any) -> None:
        super().__init__(ctx=ctx)
        self._batch: list[bytes] = []

    def __setstate__(self, state: Any) -> None:
        super().__setstate__(state)
        self._batch = []

    def empty(self) -> bool:
        return not self._batch and super().empty()

    def get(self) -> Any:
        if not self._batch:
            with self._rlock:
                self._batch.append(self._reader.recv_bytes())
                while self._reader.poll():
                    self._batch.append(self._reader.recv_bytes())
        return multiprocessing.reduction.ForkingPickler.loads(self._batch.pop())


def queue_of(cls: type) -> Callable[..., Any]:
    """A ``Queue(...)`` factory building ``cls`` over the stdlib context it is bound to."""

    def make(base: Any, *args: Any, **kwargs: Any) -> Any:
        return cls(*args, ctx=base, **kwargs)

    return make


# -- adapters ----------------------------------------------------------------------------------


send_bytes_offset_ignored = factory_mutant(
    "send-bytes-offset-ignored",
    "send_bytes(buf, offset, size) sends buf[:size]",
    Pipe=pipe_of(OffsetIgnored),
)
exit_leaves_open = factory_mutant(
    "exit-leaves-open", "a Connection's with block does not close it", Pipe=pipe_of(ExitLeavesOpen)
)
recv_bytes_maxlength_ignored = factory_mutant(
    "recv-bytes-maxlength-ignored",
    "recv_bytes(maxlength) returns messages longer than maxlength",
    Pipe=pipe_of(MaxlengthIgnored),
)
poll_never_waits = factory_mutant(
    "poll-never-waits", "poll(timeout) returns at once", Pipe=pipe_of(PollNoWait)
)
authkey_ignored = factory_mutant(
    "authkey-ignored",
    "Listener and Client drop the authkey, so anyone connects",
    connection=connection_module(
        "authkey_ignored", Listener=AuthkeyDroppedListener, Client=authkey_dropped_client
    ),
)
last_put_lost = factory_mutant(
    "last-put-lost",
    "Queue.put() holds each item until the next put; the last one is lost at exit",
    Queue=queue_of(LastPutHeldBack),
)
get_timeout_ignored = factory_mutant(
    "get-timeout-ignored",
    "Queue.get(timeout=t) raises Empty at once",
    Queue=queue_of(GetGivesUpAtOnce),
)
full_put_dropped = factory_mutant(
    "full-put-dropped",
    "Queue.put(block=False) on a full queue drops the item silently",
    Queue=queue_of(FullPutDropped),
)
joinable_maxsize_ignored = factory_mutant(
    "joinable-maxsize-ignored",
    "JoinableQueue(maxsize) is unbounded",
    JoinableQueue=queue_of(JoinableMaxsizeIgnored),
)
join_when_empty = factory_mutant(
    "join-when-empty",
    "JoinableQueue.join() returns once the queue is empty, tasks still open",
    JoinableQueue=queue_of(JoinWhenEmpty),
)
simple_queue_lifo = factory_mutant(
    "simple-queue-lifo",
    "SimpleQueue.get() hands out each batch of waiting items in reverse",
    SimpleQueue=queue_of(BatchReversed),
)
