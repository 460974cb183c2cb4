"""ProcessPoolExecutor mutants: a stdlib context with one realistic bug in what the executor
builds on (the results SimpleQueue, a Process's sentinel).

Each module attribute below is an Adapter (``--mp-backend mutants.executor:<name>``); the
executor properties that must FAIL against it name it in an ``mp_catches`` marker. The
classes are module-level so that workers could unpickle them by name; the meta-tests use fork,
where the workers inherit them.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.queues
import os
from typing import Any

from .wrap import factory_mutant, mutant


class StaleResults(multiprocessing.queues.SimpleQueue):
    """put() of a task result sends the result of the worker's previous task: a send buffer
    reused before it was refilled (the first result of each worker comes back None)."""

    def put(self, obj: Any) -> None:
        if hasattr(obj, "result") and hasattr(obj, "work_id"):
            previous = getattr(self, "_stale", None)
            self._stale = obj.result
            obj.result = previous
        super().put(obj)


class LostExceptions(multiprocessing.queues.SimpleQueue):
    """put() of a failed task's outcome drops the exception, as a transport that cannot pickle
    an exception with its traceback might, and sends a None result in its place."""

    def put(self, obj: Any) -> None:
        if getattr(obj, "exception", None) is not None:
            obj.exception = None
            obj.result = None
        super().put(obj)


def _simple_queue(cls: type) -> Any:
    def make(base: Any) -> Any:
        return cls(ctx=base.get_context())

    return make


stale_results = factory_mutant(
    "stale-results",
    "stdlib whose SimpleQueue sends a worker's previous result",
    SimpleQueue=_simple_queue(StaleResults),
)
lost_exceptions = factory_mutant(
    "lost-exceptions",
    "stdlib whose SimpleQueue drops a task's exception",
    SimpleQueue=_simple_queue(LostExceptions),
)


class DeafSentinel:
    """A Process whose ``sentinel`` is the read end of a pipe only ``kill()`` closes: it never
    becomes ready when the process ends, so whoever waits on it (the executor's manager
    thread, connection.wait) never learns of the death."""

    def start(self) -> None:
        super().start()  # type: ignore[misc]
        self._deaf = os.pipe()

    @property
    def sentinel(self) -> int:
        return self._deaf[0]

    def kill(self) -> None:
        super().kill()  # type: ignore[misc]
        os.close(self._deaf[1])


deaf_sentinel = mutant(
    "deaf-sentinel",
    DeafSentinel,
    globals(),
    "stdlib whose Process.sentinel never reports the end of the process",
)
