"""Pool mutants: a stdlib context whose Pool is a subclass carrying one realistic bug.

Each module attribute below is an Adapter (use it as ``--mp-backend mutants.pool:<name>``); the
Pool properties that must FAIL against it name it in an ``mp_catches`` marker. Only
``Pool`` changes: the rest of the stdlib context, the ``pool`` module (ThreadPool) and the
queues the suite uses to watch the workers stay correct, so a FAIL can only come from the
injected bug. Classes and helpers are module-level so spawn and forkserver workers could
unpickle them by name, although the meta-tests only use fork.
"""

from __future__ import annotations

import functools
import multiprocessing
import multiprocessing.connection
import multiprocessing.managers
import multiprocessing.pool
import os
from types import ModuleType
from typing import Any, Callable

from mpconform.adapter import Adapter

from .wrap import factory_mutant, module_like, stdlib_with

StdPool = multiprocessing.pool.Pool


def _pool_of(
    pool_class: type,
    base: Any,
    processes: int | None = None,
    initializer: Callable[..., Any] | None = None,
    initargs: tuple = (),
    maxtasksperchild: int | None = None,
) -> Any:
    """``base.Pool(...)`` as a context whose Pool is ``pool_class`` builds it."""
    return pool_class(processes, initializer, initargs, maxtasksperchild, context=base)


# -- ordering and chunking ---------------------------------------------------------------------


class ImapInCompletionOrder(StdPool):
    """imap() hands results out as tasks complete, as if it were imap_unordered()."""

    def imap(self, func: Any, iterable: Any, chunksize: int = 1) -> Any:
        return self.imap_unordered(func, iterable, chunksize)


class MapDropsPartialChunk(StdPool):
    """map() and starmap() cut the input into len // chunksize chunks, so the last, partial
    chunk is never sent: an off-by-one in the chunk count."""

    def _map_async(
        self,
        func: Any,
        iterable: Any,
        mapper: Any,
        chunksize: int | None = None,
        callback: Any = None,
        error_callback: Any = None,
    ) -> Any:
        items = list(iterable)
        if chunksize is None:
            chunksize, extra = divmod(len(items), len(self._pool) * 4)
            chunksize += bool(extra)
        whole = len(items) // chunksize * chunksize if chunksize else 0
        return super()._map_async(
            func, items[:whole], mapper, chunksize or 1, callback, error_callback
        )


# -- callbacks and results ---------------------------------------------------------------------


class ChunksizeIgnored(StdPool):
    """map, map_async, starmap, starmap_async and imap_unordered accept chunksize and send
    one item per task whatever it says."""

    def _map_async(
        self,
        func: Any,
        iterable: Any,
        mapper: Any,
        chunksize: int | None = None,
        callback: Any = None,
        error_callback: Any = None,
    ) -> Any:
        return super()._map_async(func, iterable, mapper, 1, callback, error_callback)

    def imap_unordered(self, func: Any, iterable: Any, chunksize: int = 1) -> Any:
        return super().imap_unordered(func, iterable, 1)


class CallbackTwice(StdPool):
    """apply_async() calls the callback when the result arrives and again as it marks the
    result ready: two code paths that each think they own the notification."""

    def apply_async(
        self,
        func: Any,
        args: tuple = (),
        kwds: dict | None = None,
        callback: Any = None,
        error_callback: Any = None,
    ) -> Any:
        twice = None if callback is None else _twice(callback)
        return super().apply_async(func, args, kwds or {}, twice, error_callback)


def _twice(callback: Callable[[Any], Any]) -> Callable[[Any], None]:
    def call(value: Any) -> None:
        callback(value)
        callback(value)

    return call


class ErrorCallbackDropped(StdPool):
    """apply_async(), map_async() and starmap_async() accept error_callback and never call it."""

    def apply_async(
        self,
        func: Any,
        args: tuple = (),
        kwds: dict | None = None,
        callback: Any = None,
        error_callback: Any = None,
    ) -> Any:
        return super().apply_async(func, args, kwds or {}, callback)

    def _map_async(
        self,
        func: Any,
        iterable: Any,
        mapper: Any,
        chunksize: int | None = None,
        callback: Any = None,
        error_callback: Any = None,
    ) -> Any:
        return super()._map_async(func, iterable, mapper, chunksize, callback)


class BuiltinTimeout:
    """get(timeout) raises the builtin TimeoutError instead of multiprocessing.TimeoutError,
    as a backend does that reuses the builtin name; ``except mp.TimeoutError`` misses it."""

    def get(self, timeout: float | None = None) -> Any:
        self.wait(timeout)  # type: ignore[attr-defined]
        if not self.ready():  # type: ignore[attr-defined]
            raise TimeoutError(f"no result within {timeout} s")
        return super().get(0)  # type: ignore[misc]


class BuiltinTimeoutApplyResult(BuiltinTimeout, multiprocessing.pool.ApplyResult):
    pass


class BuiltinTimeoutMapResult(BuiltinTimeout, multiprocessing.pool.MapResult):
    pass


class TimeoutIsBuiltin(StdPool):
    def apply_async(self, *args: Any, **kwargs: Any) -> Any:
        result = super().apply_async(*args, **kwargs)
        result.__class__ = BuiltinTimeoutApplyResult
        return result

    def _map_async(self, *args: Any, **kwargs: Any) -> Any:
        result = super()._map_async(*args, **kwargs)
        result.__class__ = BuiltinTimeoutMapResult
        return result


class GenericErrors:
    """A task wrapper that re-raises every exception as RuntimeError carrying its repr, as a
    backend does that does not trust exceptions to pickle."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.func(*args, **kwargs)
        except Exception as exc:
            raise RuntimeError(f"task failed: {exc!r}") from None


class ExceptionsBecomeRuntimeError(StdPool):
    """Every task's exception reaches the caller as a RuntimeError: type and message lost."""

    def apply_async(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        return super().apply_async(GenericErrors(func), *args, **kwargs)

    def _map_async(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        return super()._map_async(GenericErrors(func), *args, **kwargs)

    def imap(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        return super().imap(GenericErrors(func), *args, **kwargs)

    def imap_unordered(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        return super().imap_unordered(GenericErrors(func), *args, **kwargs)


# -- workers and lifecycle ---------------------------------------------------------------------


def first_workers_only(initializer: Any, initargs: tuple, started: Any, processes: int) -> None:
    """Run the initializer in the first ``processes`` workers only."""
    with started.get_lock():
        started.value += 1
        number = started.value
    if number <= processes:
        initializer(*initargs)


class InitializerSkippedOnReplacement(StdPool):
    """The initializer runs in the workers the pool starts with, not in the ones that replace
    workers retired by maxtasksperchild: as if only the first population were passed it."""

    def __init__(
        self,
        processes: int | None = None,
        initializer: Any = None,
        initargs: tuple = (),
        maxtasksperchild: int | None = None,
        context: Any = None,
    ) -> None:
        if initializer is not None:
            count = processes or os.cpu_count() or 1
            started = (context or multiprocessing.get_context()).Value("i", 0)
            initargs = (initializer, tuple(initargs), started, count)
            initializer = first_workers_only
        super().__init__(processes, initializer, initargs, maxtasksperchild, context)


class MaxtasksIgnored(StdPool):
    """maxtasksperchild is accepted and dropped: workers are never retired."""

    def __init__(
        self,
        processes: int | None = None,
        initializer: Any = None,
        initargs: tuple = (),
        maxtasksperchild: int | None = None,
        context: Any = None,
    ) -> None:
        super().__init__(processes, initializer, initargs, None, context)


class OneWorkerTooMany(StdPool):
    """Pool(processes=n) starts n + 1 workers: an off-by-one in the population loop."""

    def __init__(
        self,
        processes: int | None = None,
        initializer: Any = None,
        initargs: tuple = (),
        maxtasksperchild: int | None = None,
        context: Any = None,
    ) -> None:
        count = (processes or os.cpu_count() or 1) + 1
        super().__init__(count, initializer, initargs, maxtasksperchild, context)


class CloseAcceptsWork(StdPool):
    """close() does not stop submissions: only a terminated pool refuses new work."""

    def _check_running(self) -> None:
        if self._state == multiprocessing.pool.TERMINATE:
            raise ValueError("Pool not running")


# -- adapters ----------------------------------------------------------------------------------


def pool_mutant(name: str, pool_class: type, description: str) -> Adapter:
    """An adapter named ``name``: stdlib whose contexts build ``pool_class`` pools."""
    return factory_mutant(name, description, Pool=functools.partial(_pool_of, pool_class))


imap_in_completion_order = pool_mutant(
    "imap-in-completion-order", ImapInCompletionOrder, "imap() yields in completion order"
)
map_drops_partial_chunk = pool_mutant(
    "map-drops-partial-chunk", MapDropsPartialChunk, "map() never sends the last, partial chunk"
)
callback_twice = pool_mutant(
    "callback-twice", CallbackTwice, "apply_async() calls its callback twice"
)
error_callback_dropped = pool_mutant(
    "error-callback-dropped", ErrorCallbackDropped, "error_callback is never called"
)
timeout_is_builtin = pool_mutant(
    "timeout-is-builtin", TimeoutIsBuiltin, "get(timeout) raises the builtin TimeoutError"
)
exceptions_become_runtime_error = pool_mutant(
    "exceptions-become-runtime-error",
    ExceptionsBecomeRuntimeError,
    "task exceptions are re-raised as RuntimeError",
)
initializer_skipped_on_replacement = pool_mutant(
    "initializer-skipped-on-replacement",
    InitializerSkippedOnReplacement,
    "workers started to replace retired ones skip the initializer",
)
maxtasks_ignored = pool_mutant("maxtasks-ignored", MaxtasksIgnored, "maxtasksperchild is ignored")
one_worker_too_many = pool_mutant(
    "one-worker-too-many", OneWorkerTooMany, "Pool(processes=n) starts n + 1 workers"
)
chunksize_ignored = pool_mutant(
    "chunksize-ignored", ChunksizeIgnored, "chunksize is ignored: one item per task"
)
close_accepts_work = pool_mutant(
    "close-accepts-work", CloseAcceptsWork, "submissions after close() are accepted"
)


class ContextIgnoringPool(StdPool):
    """Pool(context=ctx) starts its workers with the default (fork) context instead."""

    def __init__(self, processes: Any = None, *args: Any, context: Any = None, **kw: Any) -> None:
        super().__init__(processes, *args, context=multiprocessing.get_context("fork"), **kw)


class InitializerlessThreadPool(multiprocessing.pool.ThreadPool):
    """ThreadPool(n, initializer, initargs) never calls the initializer."""

    def __init__(self, processes: Any = None, initializer: Any = None, initargs: Any = ()) -> None:
        super().__init__(processes)


class OneThreadTooManyThreadPool(multiprocessing.pool.ThreadPool):
    """ThreadPool(processes=n) starts n + 1 threads: an off-by-one in the population loop."""

    def __init__(self, processes: Any = None, initializer: Any = None, initargs: Any = ()) -> None:
        super().__init__((processes or os.cpu_count() or 1) + 1, initializer, initargs)


def _pool_module(name: str, **overrides: Any) -> ModuleType:
    return module_like(multiprocessing.pool, f"{__name__}.{name}", **overrides)


pool_ignores_context = stdlib_with(
    "pool-ignores-context",
    "Pool(context=ctx) forks its workers whatever ctx is",
    pool=_pool_module("pool_ignores_context", Pool=ContextIgnoringPool),
)
thread_pool_initializer_ignored = stdlib_with(
    "thread-pool-initializer-ignored",
    "ThreadPool never calls its initializer",
    pool=_pool_module("thread_pool_initializer_ignored", ThreadPool=InitializerlessThreadPool),
)
thread_pool_one_thread_too_many = stdlib_with(
    "thread-pool-one-thread-too-many",
    "ThreadPool(processes=n) starts n + 1 threads",
    pool=_pool_module("thread_pool_one_thread_too_many", ThreadPool=OneThreadTooManyThreadPool),
)


#: Mutants whose bug fork cannot show: a forked worker is what the mutant makes anyway.
START_METHOD: dict[str, str] = {"pool_ignores_context": "spawn"}
