"""concurrent.futures.ProcessPoolExecutor over the backend's context (``mp_context=ctx``).

The executor is CPython's; what the backend supplies is everything it builds on: the
context's ``Process`` (started, watched through its ``sentinel``), ``SimpleQueue`` for
results, ``Queue``'s locks and semaphores for calls, and ``get_start_method``. A context that
claims to be a multiprocessing context is used this way by real programs (joblib, dask,
user code), so a difference here is one users meet. The executor of a passing property is
kept warm for the next (it is not what is being tested); one that broke is discarded.
"""

from __future__ import annotations

import concurrent.futures
import concurrent.futures.process
import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mpconform import warm
from mpconform.conformance import children_executor as kids
from mpconform.limits import LIVENESS
from mpconform.outcomes import TestTimeout, Unsupported
from mpconform.profiles import budget
from mpconform.target import Target
from mpconform.waiting import in_thread

pytestmark = pytest.mark.mp_area("ProcessPoolExecutor over the context")

WORKERS = 2
SMALL = st.integers(-1000, 1000)


def executor_of(mp: Target, workers: int = WORKERS) -> concurrent.futures.ProcessPoolExecutor:
    mp.require("Process", "SimpleQueue", "Queue")
    if mp.memory_model == "shared":
        raise Unsupported("children are threads: there is no process for an executor to use")
    try:
        return concurrent.futures.ProcessPoolExecutor(workers, mp_context=mp.ctx)
    except (TypeError, ValueError, AttributeError) as exc:
        raise AssertionError(
            f"ProcessPoolExecutor(mp_context=ctx) refused the context: {type(exc).__name__}: "
            f"{exc}; CPython's executor takes any of its contexts"
        ) from exc


def shut(executor: concurrent.futures.ProcessPoolExecutor) -> None:
    """shutdown(cancel_futures=True), bounded; workers left alive after that are killed."""
    try:
        in_thread(lambda: executor.shutdown(wait=True, cancel_futures=True), "shutdown()")
    except TestTimeout:
        for proc in list((getattr(executor, "_processes", None) or {}).values()):
            with contextlib.suppress(Exception):
                proc.kill()
        raise


@contextlib.contextmanager
def warm_executor(mp: Target) -> Iterator[concurrent.futures.ProcessPoolExecutor]:
    def make() -> warm.Kept:
        executor = executor_of(mp)
        return warm.Kept(
            executor,
            pids=lambda: list(getattr(executor, "_processes", None) or {}),
            close=lambda: shut(executor),
            healthy=lambda: not getattr(executor, "_broken", False),
        )

    with warm.borrowed(("ProcessPoolExecutor", mp.id), make) as executor:
        yield executor


def submit(executor: Any, fn: Any, *args: Any) -> concurrent.futures.Future:
    """executor.submit(fn, *args); submit() starts the workers, so an error there is the
    context refusing to start them, said so."""
    try:
        return executor.submit(fn, *args)
    except concurrent.futures.process.BrokenProcessPool:
        raise
    except Exception as exc:
        raise AssertionError(
            f"submit() raised {type(exc).__name__}: {exc}: the executor could not start its "
            "workers with this context; with CPython's contexts it does"
        ) from exc


def outcome_of(future: concurrent.futures.Future, what: str) -> tuple[str, Any]:
    """("value", v) or ("raised", (type, message)) of a future, waiting at most LIVENESS."""
    try:
        return "value", future.result(LIVENESS)
    except concurrent.futures.TimeoutError:
        raise TestTimeout(f"{what} had no outcome after {LIVENESS:g} s") from None
    except Exception as exc:
        return "raised", (type(exc), str(exc))


@pytest.mark.mp_catches("mutants.executor:stale_results")
@pytest.mark.mp_api("SimpleQueue", "SimpleQueue.put", "SimpleQueue.get", "Queue", "Process")
@budget("cheap")
@given(values=st.lists(SMALL, max_size=20), chunksize=st.integers(1, 4))
def test_executor_results_are_what_the_function_returns(mp, values, chunksize):
    """ProcessPoolExecutor(mp_context=ctx) returns fn(x) for every submit() and map() call.

    submit() futures resolve to their own call's value, and map() yields every result in
    input order, whatever the chunksize; the results travel back on the context's SimpleQueue.
    """
    with warm_executor(mp) as executor:
        futures = [submit(executor, kids.square, x) for x in values]
        got = [outcome_of(f, f"submit(square, {x})") for f, x in zip(futures, values)]
        expected = [("value", x * x) for x in values]
        assert got == expected, f"submit() futures gave {got}, expected {expected}"
        mapped = in_thread(
            lambda: list(executor.map(kids.square, values, chunksize=chunksize)), "map()"
        )
        assert mapped == [x * x for x in values], (
            f"map(chunksize={chunksize}) gave {mapped}, expected {[x * x for x in values]}"
        )


@pytest.mark.mp_catches("mutants.executor:lost_exceptions")
@pytest.mark.mp_api("SimpleQueue", "SimpleQueue.get")
@budget("cheap")
@given(values=st.lists(SMALL, min_size=1, max_size=8))
def test_executor_task_exceptions_reach_their_futures(mp, values):
    """A task's exception reaches its future: exception() returns it and result() raises it.

    Its type and message arrive unchanged, each future gets its own, and map() raises it when
    the iteration reaches the failing call.
    """
    with warm_executor(mp) as executor:
        futures = [submit(executor, kids.refuse, x) for x in values]
        for future, x in zip(futures, values):
            got = outcome_of(future, f"submit(refuse, {x})")
            expected = ("raised", (kids.TaskError, f"task refused {x}"))
            assert got == expected, f"submit(refuse, {x}) gave {got}, expected {expected}"
            error = future.exception(LIVENESS)
            assert isinstance(error, kids.TaskError) and str(error) == f"task refused {x}", (
                f"exception() of submit(refuse, {x}) is {error!r}"
            )
        found = in_thread(lambda: _first_error(executor.map(kids.refuse, values)), "map()")
        assert found == (kids.TaskError, f"task refused {values[0]}"), (
            f"iterating map(refuse, ...) raised {found}, expected the first task's TaskError"
        )


def _first_error(results: Iterator[Any]) -> tuple[type, str] | None:
    try:
        for _ in results:
            pass
    except Exception as exc:
        return type(exc), str(exc)
    return None


@pytest.mark.mp_catches("mutants.executor:deaf_sentinel")
@pytest.mark.mp_api("Process.sentinel", "connection.wait", "Process")
def test_a_killed_worker_breaks_the_executor(mp):
    """A worker killed while running a task makes its future raise BrokenProcessPool.

    The executor watches its workers' sentinels; once one dies it marks itself broken, fails
    every pending future and refuses new work with BrokenProcessPool, instead of waiting
    forever for a result that cannot come.
    """
    executor = executor_of(mp, workers=1)
    try:
        _break_by_killing_a_worker(executor)
    except BaseException:
        # Kill first: a worker whose death went unnoticed keeps shutdown() waiting for it.
        for proc in list((getattr(executor, "_processes", None) or {}).values()):
            with contextlib.suppress(Exception):
                proc.kill()
        with contextlib.suppress(Exception):
            shut(executor)
        raise
    shut(executor)


def _break_by_killing_a_worker(executor: concurrent.futures.ProcessPoolExecutor) -> None:
    worker = outcome_of(submit(executor, kids.pid), "submit(pid)")
    assert worker[0] == "value", f"a plain task {worker}"
    future = submit(executor, kids.die)
    _wait_gone(worker[1])
    try:
        got = outcome_of(future, "the task whose worker was killed")
    except TestTimeout:
        raise AssertionError(
            f"the worker (pid {worker[1]}) is dead, but its task's future had no outcome "
            f"{LIVENESS:g} s later; CPython's executor raises BrokenProcessPool"
        ) from None
    broken = concurrent.futures.process.BrokenProcessPool
    assert got[0] == "raised" and issubclass(got[1][0], broken), (
        f"the task whose worker was killed gave {got}, expected BrokenProcessPool"
    )
    with pytest.raises(broken):
        executor.submit(kids.square, 2)


def _wait_gone(pid: int) -> None:
    import psutil

    end = time.monotonic() + LIVENESS
    while time.monotonic() < end:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.01)
    raise TestTimeout(f"the worker {pid} told to die was still alive after {LIVENESS:g} s")
