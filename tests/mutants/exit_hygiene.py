"""stdlib with one bug that shows only when a program exits.

Use as ``--mp-backend mutants.exit_hygiene:<name>``; the properties that must FAIL against
each (under fork) name it in an ``mp_catches`` marker. The exit-hygiene property loads the
backend again in a program of its own, by this same name.
"""

from __future__ import annotations

import _multiprocessing
import itertools
import multiprocessing.queues
import multiprocessing.synchronize
import os
from multiprocessing import resource_tracker
from typing import Any

from .wrap import factory_mutant

_numbers = itertools.count()


class LeakyLock(multiprocessing.synchronize.Lock):
    """Each Lock also makes a named semaphore that nobody unlinks (the tracker reports it)."""

    def __init__(self, *, ctx: Any) -> None:
        super().__init__(ctx=ctx)
        name = f"/mp-leak-{os.getpid()}-{next(_numbers)}"
        self._leaked = _multiprocessing.SemLock(
            multiprocessing.synchronize.SEMAPHORE, 1, 1, name, False
        )
        resource_tracker.register(name, "semaphore")


class NoisyQueue(multiprocessing.queues.Queue):
    """Its finalizer raises, which Python reports as "Exception ignored in ..." on stderr."""

    def __del__(self) -> None:
        raise RuntimeError("the queue's finalizer failed")


def _leaky_lock(base: Any) -> Any:
    return LeakyLock(ctx=base)


def _noisy_queue(base: Any, maxsize: int = 0) -> Any:
    return NoisyQueue(maxsize, ctx=base)


lock_leaks_a_semaphore = factory_mutant(
    "lock-leaks-a-semaphore", "every Lock leaks a named semaphore", Lock=_leaky_lock
)
queue_finalizer_raises = factory_mutant(
    "queue-finalizer-raises", "a Queue's finalizer raises at exit", Queue=_noisy_queue
)
