"""Stress mutants: bugs that only show under concurrency and volume.

Each module attribute below is an Adapter (use it as ``--mp-backend mutants.stress:<name>``);
the stress tests (scenarios and workloads) that must FAIL against it carry its name in an
``mp_catches`` marker under fork with the ci profile. These bugs are invisible to a single
sequential check: a reordering needs two items buffered at once, a lost item one put in many, a
second lock holder real contention, a lost increment two read-modify-writes interleaved. Only
the factories a mutant overrides change; the rest of the stdlib context passes through (a
Queue's internal locks and the harness's own Events stay correct).
"""

from __future__ import annotations

import collections
import multiprocessing
import multiprocessing.connection
import multiprocessing.queues
import multiprocessing.synchronize as synchronize
import time
from typing import Any, Callable

from mutants.locks import value_with_fresh_locks
from mutants.wrap import factory_mutant

DROP_EVERY = 50
PAIR_WAIT = 0.05  # seconds the swapping feeder waits for a second item on its turn


class _SwappingBuffer(collections.deque):
    """The feeder takes items with ``popleft``; every second time two or more are waiting it
    takes the second one, so buffered pairs reach the pipe swapped."""

    def __init__(self) -> None:
        super().__init__()
        self._turn = False

    def popleft(self) -> Any:
        self._turn = not self._turn
        if self._turn and len(self) == 1 and self[0] is not multiprocessing.queues._sentinel:
            # A feeder that keeps up never sees a pair: on its turn it gives the producer a
            # moment to put the next item (a producer puts its items microseconds apart), so
            # the bug shows whatever the machine's load, not only when the feeder lags.
            end = time.monotonic() + PAIR_WAIT
            while len(self) < 2 and time.monotonic() < end:
                time.sleep(0.001)
        # The close() sentinel is never swapped ahead: this mutant reorders, it does not lose.
        if self._turn and len(self) >= 2 and self[1] is not multiprocessing.queues._sentinel:
            first = super().popleft()
            second = super().popleft()
            self.appendleft(first)
            return second
        return super().popleft()


class PairSwappingQueue(multiprocessing.queues.Queue):
    """A Queue whose feeder sends buffered pairs out of order, as a feeder that batches the
    waiting items and writes a batch from the wrong end would: one producer's items then
    come out in another order than they were put."""

    def _reset(self, after_fork: bool = False) -> None:
        super()._reset(after_fork)
        self._buffer = _SwappingBuffer()


class DroppingQueue(multiprocessing.queues.Queue):
    """A Queue that silently drops every DROP_EVERY-th put of each process, as a put that
    loses the item when it races the feeder thread's start-up would, now and then."""

    def _reset(self, after_fork: bool = False) -> None:
        super()._reset(after_fork)
        self._puts = 0

    def put(self, obj: Any, block: bool = True, timeout: float | None = None) -> None:
        self._puts += 1
        if self._puts % DROP_EVERY == 0:
            return
        super().put(obj, block, timeout)


class TwoHolderLock(synchronize.Lock):
    """A Lock whose semaphore starts at 2: two processes can hold it at once, as a Lock
    built on a counting semaphore created with the wrong initial value would."""

    def __init__(self, *, ctx: Any) -> None:
        synchronize.SemLock.__init__(self, synchronize.SEMAPHORE, 2, 2, ctx=ctx)


def semaphore_extra_slot(base: Any, value: int = 1) -> Any:
    """Semaphore(n) with n + 1 slots, as an off-by-one in a binding's initial value."""
    return base.Semaphore(value + 1)


def queue_of(cls: type) -> Callable[..., Any]:
    def make(base: Any, *args: Any, **kwargs: Any) -> Any:
        return cls(*args, ctx=base.get_context(), **kwargs)

    return make


def two_holder_lock(base: Any) -> Any:
    return TwoHolderLock(ctx=base.get_context())


queue_pairs_swapped = factory_mutant(
    "queue-pairs-swapped",
    "Queue's feeder sends every other buffered pair in reverse order",
    Queue=queue_of(PairSwappingQueue),
)
queue_drops_items = factory_mutant(
    "queue-drops-items",
    f"Queue.put() drops every {DROP_EVERY}th item of each process",
    Queue=queue_of(DroppingQueue),
)
lock_two_holders = factory_mutant(
    "lock-two-holders",
    "Lock is a semaphore with two slots: two processes can hold it at once",
    Lock=two_holder_lock,
)
semaphore_off_by_one = factory_mutant(
    "semaphore-off-by-one",
    "Semaphore(n) admits n + 1 holders",
    Semaphore=semaphore_extra_slot,
)
value_lock_fresh = factory_mutant(
    "value-lock-fresh",
    "Value.get_lock() returns a new lock on every call, so increments under it race",
    Value=value_with_fresh_locks,
)
