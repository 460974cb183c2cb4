"""Pool: map, imap, starmap and apply compute what sequential calls compute, and the pool
starts, replaces and stops its workers as documented.

Starting a pool costs a process start per worker, so properties about results share one pool
across their Hypothesis examples; only the properties about start-up, initializers, worker
replacement, close and terminate start fresh pools. Tasks are module-level functions in
``children_pool`` (spawn and forkserver pickle them by name), and synchronised objects reach
the workers only through ``initializer``/``initargs``.

Nothing may hang: every ``get()`` has a timeout, blocking calls (``map()``, ``apply()``,
``join()``) run in a thread with a liveness bound, and every pool is terminated and joined
however the test ends. A worker killed mid-task is a fault whose outcome is reported, not
judged: CPython's Pool waits forever for the lost task (gh-66587), so that property reads
TIMEOUT on the reference, after a short bound of its own.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import inspect
import os
import pickle
import signal
import threading
import time
import types
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import psutil
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from mpconform.conformance import children_pool as kids
from mpconform.limits import scaled
from mpconform.outcomes import TestTimeout, Unsupported
from mpconform.plugin import only_first_start_method
from mpconform.profiles import budget
from mpconform.target import Target
from mpconform.waiting import LIVENESS, in_thread, wait_until

pytestmark = pytest.mark.mp_area("Pool")

CLOCK_SLACK = 0.001  # a timed wait rounded to whole milliseconds may return this early
POOL_SIZE = 2  # workers of the pools shared across examples
RENDEZVOUS = scaled(20.0)  # how long a rendezvous task waits for the other workers before giving up
# The wait for map() after a worker was killed. CPython never returns; billiard raises
# WorkerLostError once its lost_worker_timeout (10 s by default) has passed, so a shorter bound
# would misreport that as a hang.
NO_CHUNKSIZE = None  # call without the chunksize argument, to use the default

# -- strategies --------------------------------------------------------------------------------

# Mostly short inputs, sometimes a long one (a range, so the falsifying example stays short).
INPUTS = st.one_of(
    st.lists(st.integers(), max_size=20),
    st.integers(0, 700).map(lambda n: list(range(-n // 2, n - n // 2))),
)
# None means the default; the larger sizes often exceed the input or do not divide it.
CHUNKSIZES = st.one_of(st.none(), st.just(1), st.integers(2, 40))
SHAPES = st.sampled_from(["list", "tuple", "generator"])
PAUSES = st.sampled_from([0.0, 0.0, 0.0, 0.0, 0.0, 0.002])
SMALL = st.integers(-50, 50)


def shaped(items: list, shape: str) -> Iterable:
    """``items`` as a list, a tuple, or a generator, which has no len()."""
    if shape == "tuple":
        return tuple(items)
    if shape == "generator":
        return (item for item in items)
    return list(items)


# -- helpers -----------------------------------------------------------------------------------


def describe_error(exc: BaseException) -> str:
    """Type and text, and what it wraps (billiard wraps a worker's error in another)."""
    text = f"{type(exc).__name__}: {short(str(exc), 150)}"
    inner = getattr(exc, "exc", None) or exc.__cause__
    if isinstance(inner, BaseException):
        text += f" wrapping {type(inner).__name__}: {short(str(inner), 150)}"
    return text


def short(value: Any, limit: int = 200) -> str:
    """repr() cut to ``limit`` characters, for failure messages."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def first_difference(expected: list, got: Any) -> str:
    """Where two result lists part, in words."""
    if not isinstance(got, list):
        return f"returned a {type(got).__name__}, not a list: {short(got)}"
    for i, (want, have) in enumerate(zip(expected, got)):
        if want != have:
            return f"result {i} is {short(have)}, expected {short(want)}"
    return f"returned {len(got)} results for {len(expected)} inputs"


def timeout_error(mp: Target) -> type[BaseException]:
    """The backend's TimeoutError; multiprocessing.dummy only has it in its pool module."""
    try:
        return mp.TimeoutError
    except Unsupported:
        return mp.pool.TimeoutError


def result_of(mp: Target, result: Any, what: str, timeout: float = LIVENESS) -> Any:
    """``result.get(timeout)``, its timeout turned into TIMEOUT."""
    try:
        return result.get(timeout)
    except timeout_error(mp):
        raise TestTimeout(f"{what} had no result after {timeout:g} s") from None


def walk(iterator: Iterator, limit: int) -> list[tuple[bool, Any]]:
    """Every step of an iteration: (True, value) or (False, (type, message)), until it ends.

    Stops after ``limit`` steps, so an iterator that keeps raising cannot loop forever.
    """
    steps: list[tuple[bool, Any]] = []
    while len(steps) < limit:
        try:
            steps.append((True, next(iterator)))
        except StopIteration:
            break
        except Exception as exc:
            steps.append((False, (type(exc), str(exc))))
    return steps


def stop(pool: Any, what: str = "the pool") -> None:
    """terminate() then join(), bounded; workers still alive after that are killed (TIMEOUT)."""
    try:
        in_thread(lambda: (pool.terminate(), pool.join()), f"terminate() and join() of {what}")
    except TestTimeout:
        for worker in getattr(pool, "_pool", None) or []:
            with contextlib.suppress(Exception):
                worker.kill()
        raise


@contextlib.contextmanager
def pool_of(mp: Target, processes: int = POOL_SIZE, **kwargs: Any) -> Iterator[Any]:
    """A new ``mp.Pool``, terminated and joined however the body ends.

    When the body failed, an error while stopping is not allowed to hide the body's error,
    but a pool that cannot be stopped still ends the test as TIMEOUT.
    """
    pool = mp.Pool(processes, **kwargs)
    try:
        yield pool
    except BaseException:
        with contextlib.suppress(Exception):
            stop(pool)
        raise
    stop(pool)


def gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (reaped, or a zombie nobody reaped yet)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_gone(pid: int, timeout: float = LIVENESS) -> bool:
    end = time.monotonic() + timeout
    while not gone(pid):
        if time.monotonic() >= end:
            return False
        time.sleep(0.01)
    return True


def drain(q: Any) -> list:
    """Everything in a queue whose producers have all ended (so nothing is still buffered)."""
    items = []
    while True:
        try:
            items.append(q.get(block=False))
        except Exception:  # queue.Empty; nothing else can come now
            return items


def takes_maxtasksperchild(mp: Target) -> bool:
    """Whether ``Pool()`` accepts maxtasksperchild (multiprocessing.dummy's does not)."""
    try:
        return "maxtasksperchild" in inspect.signature(mp.Pool).parameters
    except (TypeError, ValueError):  # no signature to read: let the call itself tell
        return True


def require_processes(mp: Target, why: str) -> None:
    if mp.memory_model == "shared":
        raise Unsupported(f"this Pool runs tasks in threads: {why}")


def first_bad(items: list, bad: frozenset) -> int:
    return next(i for i, x in enumerate(items) if x in bad)


def refusal(x: int) -> tuple[type, str]:
    return kids.TaskError, f"task refused {x}"


def failures(items: list, bad: frozenset) -> set[str]:
    return {refusal(x)[1] for x in items if x in bad}


def attempt(call: Callable[..., Any], *args: Any) -> str:
    """What ``call(*args)`` did, in words: "returned <value>" or "raised <type>: <message>"."""
    try:
        value = call(*args)
    except Exception as exc:
        return f"raised {type(exc).__name__}: {exc}"
    return f"returned {short(value, 80)}"


# Items with at least one that the task refuses: a list, and a draw that picks the refused ones.
FAILING_INPUTS = st.tuples(
    st.lists(SMALL, min_size=1, max_size=30), st.sets(SMALL, max_size=3), st.integers(0, 999)
).map(lambda t: (t[0], frozenset(t[1]) | {t[0][t[2] % len(t[0])]}))


def raised(call: Callable[..., Any], *args: Any) -> tuple[type, str] | None:
    """The type and message of what ``call(*args)`` raised, or None; the exception is not kept."""
    try:
        call(*args)
    except Exception as exc:
        return type(exc), str(exc)
    return None


# -- results equal the sequential computation --------------------------------------------------


@pytest.mark.mp_catches("mutants.pool:map_drops_partial_chunk")
@pytest.mark.mp_api(
    "pool.AsyncResult.get",
    "pool.Pool.map",
    "pool.Pool.map(func)",
    "pool.Pool.map(iterable)",
    "pool.Pool.map_async",
    "pool.Pool.map_async(func)",
    "pool.Pool.map_async(iterable)",
)
def test_map_returns_results_in_order(mp):
    """map() and map_async() return func applied to every item, in input order, for any chunksize.

    Inputs include empty ones, long ones and generators without len(); chunk sizes include the
    default, 1, sizes larger than the input and sizes that do not divide it.
    """
    with pool_of(mp) as pool:

        @budget("cheap")
        @example(items=list(range(10)), chunksize=3, shape="list", use_async=False)
        @given(items=INPUTS, chunksize=CHUNKSIZES, shape=SHAPES, use_async=st.booleans())
        def check(items: list, chunksize: int | None, shape: str, use_async: bool) -> None:
            expected = [kids.square(x) for x in items]
            source = shaped(items, shape)
            if use_async:
                name = "map_async()"
                got = result_of(mp, pool.map_async(kids.square, source, chunksize), name)
            else:
                name = "map()"
                got = in_thread(lambda: pool.map(kids.square, source, chunksize), name)
            assert got == expected, (
                f"{name} of {len(items)} items (chunksize={chunksize}, {shape}) "
                f"{first_difference(expected, got)}"
            )

        check()


@pytest.mark.mp_catches("mutants.pool:map_drops_partial_chunk")
@pytest.mark.mp_api(
    "pool.AsyncResult.get",
    "pool.Pool.starmap",
    "pool.Pool.starmap(func)",
    "pool.Pool.starmap(iterable)",
    "pool.Pool.starmap_async",
    "pool.Pool.starmap_async(func)",
    "pool.Pool.starmap_async(iterable)",
)
def test_starmap_unpacks_argument_tuples(mp):
    """starmap() and starmap_async() call func(*args) for every tuple, results in input order."""
    with pool_of(mp) as pool:

        @budget("cheap")
        @example(pairs=[(i, -i) for i in range(7)], chunksize=2, shape="list", use_async=True)
        @given(
            pairs=st.lists(st.tuples(st.integers(), st.integers()), max_size=40),
            chunksize=CHUNKSIZES,
            shape=SHAPES,
            use_async=st.booleans(),
        )
        def check(pairs: list, chunksize: int | None, shape: str, use_async: bool) -> None:
            expected = [kids.add(a, b) for a, b in pairs]
            source = shaped(pairs, shape)
            if use_async:
                name = "starmap_async()"
                got = result_of(mp, pool.starmap_async(kids.add, source, chunksize), name)
            else:
                name = "starmap()"
                got = in_thread(lambda: pool.starmap(kids.add, source, chunksize), name)
            assert got == expected, (
                f"{name} of {len(pairs)} tuples (chunksize={chunksize}, {shape}) "
                f"{first_difference(expected, got)}"
            )

        check()


def _imap(pool: Any, unordered: bool, items: Iterable, chunksize: int | None) -> Iterator:
    method = pool.imap_unordered if unordered else pool.imap
    if chunksize is NO_CHUNKSIZE:
        return method(kids.paced_square, items)
    return method(kids.paced_square, items, chunksize)


IMAP_CHUNKSIZES = st.one_of(st.just(NO_CHUNKSIZE), st.just(1), st.integers(2, 40))
PACED = st.lists(st.tuples(st.integers(), PAUSES), max_size=20)
# The first task is the slow one: a pool that hands results out as they complete puts it last.
SLOW_FIRST = [(7, 0.05), *((i, 0.0) for i in range(6))]


@pytest.mark.mp_catches("mutants.pool:imap_in_completion_order")
@pytest.mark.mp_api("pool.Pool.imap", "pool.Pool.imap(func)", "pool.Pool.imap(iterable)")
def test_imap_returns_results_in_order(mp):
    """imap() yields func applied to every item, in input order, whatever order tasks finish in.

    Tasks hold their worker for varied short times so that later items often finish first.
    """
    with pool_of(mp) as pool:

        @budget("cheap")
        @example(items=SLOW_FIRST, chunksize=1, shape="list")
        @given(items=PACED, chunksize=IMAP_CHUNKSIZES, shape=SHAPES)
        def check(items: list, chunksize: int | None, shape: str) -> None:
            expected = [kids.paced_square(item) for item in items]
            iterator = _imap(pool, False, shaped(items, shape), chunksize)
            steps = in_thread(lambda: walk(iterator, len(items) + 2), "iterating imap()")
            got = [value if ok else value[0].__name__ for ok, value in steps]
            assert got == expected, (
                f"imap() of {len(items)} items (chunksize={chunksize}, {shape}) "
                f"{first_difference(expected, got)}"
            )

        check()


@pytest.mark.mp_api(
    "pool.Pool.imap_unordered",
    "pool.Pool.imap_unordered(func)",
    "pool.Pool.imap_unordered(iterable)",
)
def test_imap_unordered_yields_every_result_once(mp):
    """imap_unordered() yields func applied to every item exactly once, in some order."""
    with pool_of(mp) as pool:

        @budget("cheap")
        @example(items=SLOW_FIRST, chunksize=1, shape="list")
        @given(items=PACED, chunksize=IMAP_CHUNKSIZES, shape=SHAPES)
        def check(items: list, chunksize: int | None, shape: str) -> None:
            expected = collections.Counter(kids.paced_square(item) for item in items)
            iterator = _imap(pool, True, shaped(items, shape), chunksize)
            steps = in_thread(lambda: walk(iterator, len(items) + 2), "iterating imap_unordered()")
            errors = [value for ok, value in steps if not ok]
            assert not errors, f"imap_unordered() raised {errors[0]}"
            got = collections.Counter(value for _, value in steps)
            assert got == expected, (
                f"imap_unordered() of {len(items)} items (chunksize={chunksize}) yielded "
                f"{short(sorted(got.elements()))}, expected {short(sorted(expected.elements()))}"
            )

        check()


@pytest.mark.mp_api(
    "pool.AsyncResult.get",
    "pool.Pool.apply",
    "pool.Pool.apply(args)",
    "pool.Pool.apply(func)",
    "pool.Pool.apply(kwds)",
    "pool.Pool.apply_async",
    "pool.Pool.apply_async(args)",
    "pool.Pool.apply_async(func)",
    "pool.Pool.apply_async(kwds)",
)
def test_apply_calls_func_with_args_and_kwds(mp):
    """apply() and apply_async() return func(*args, **kwds) computed in a worker."""
    with pool_of(mp) as pool:

        @budget("cheap")
        @given(
            base=st.integers(), exponent=st.integers(0, 6), offset=SMALL, use_async=st.booleans()
        )
        def check(base: int, exponent: int, offset: int, use_async: bool) -> None:
            expected = kids.power(base, exponent, offset=offset)
            args, kwds = (base,), {"exponent": exponent, "offset": offset}
            if use_async:
                name = "apply_async()"
                got = result_of(mp, pool.apply_async(kids.power, args, kwds), name)
            else:
                name = "apply()"
                got = in_thread(lambda: pool.apply(kids.power, args, kwds), name)
            assert got == expected, f"{name} returned {short(got)}, expected {short(expected)}"

        check()


# -- exceptions and callbacks ------------------------------------------------------------------


@pytest.mark.mp_catches("mutants.pool:exceptions_become_runtime_error")
@pytest.mark.mp_api("pool.AsyncResult.get", "pool.Pool.map", "pool.Pool.map_async")
def test_map_raises_the_task_exception(mp):
    """map() raises the exception a task raised, with its type and message, and the pool goes on.

    With several failing items, any one of their exceptions may be the one raised: chunks
    finish in any order.
    """
    with pool_of(mp) as pool:

        @budget("cheap")
        @given(case=FAILING_INPUTS, chunksize=CHUNKSIZES, use_async=st.booleans())
        def check(case: tuple[list, frozenset], chunksize: int | None, use_async: bool) -> None:
            items, bad = case
            task = functools.partial(kids.square_unless, bad=bad)
            if use_async:
                name = "map_async().get()"
                got = raised(lambda: result_of(mp, pool.map_async(task, items, chunksize), name))
            else:
                name = "map()"
                got = raised(lambda: in_thread(lambda: pool.map(task, items, chunksize), name))
            assert got is not None, f"{name} raised nothing although tasks raised TaskError"
            kind, message = got
            assert kind is kids.TaskError, (
                f"{name} raised {kind.__name__}: {message}; expected the task's TaskError"
            )
            assert message in failures(items, bad), (
                f"{name} raised TaskError({message!r}), not one of the tasks' messages "
                f"{sorted(failures(items, bad))}"
            )
            follow_up = in_thread(lambda: pool.map(kids.square, [1, 2, 3]), "map() after a failure")
            assert follow_up == [1, 4, 9], f"the pool returned {follow_up} after a failed map()"

        check()


@pytest.mark.mp_catches("mutants.pool:exceptions_become_runtime_error")
@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("pool.Pool.imap", "pool.Pool.imap(chunksize)")
def test_imap_raises_at_the_failing_position(mp):
    """imap() raises a task's exception at that task's position; with chunksize 1 it goes on after.

    The documentation is silent; CPython delivers each chunk's outcome in order: the results
    before the first failing chunk, then the first failing item's exception. With chunksize 1
    the iterator then carries on with the next items; with larger chunks it ends there.
    """
    with pool_of(mp) as pool:

        @budget("cheap")
        @given(case=FAILING_INPUTS, chunksize=st.one_of(st.just(1), st.integers(2, 8)))
        def check(case: tuple[list, frozenset], chunksize: int) -> None:
            items, bad = case
            task = functools.partial(kids.square_unless, bad=bad)
            iterator = pool.imap(task, items, chunksize)
            steps = in_thread(lambda: walk(iterator, len(items) + 2), "iterating imap()")
            outcomes = [(False, refusal(x)) if x in bad else (True, kids.square(x)) for x in items]
            if chunksize > 1:
                start = first_bad(items, bad) // chunksize * chunksize
                outcomes = [*outcomes[:start], (False, refusal(items[first_bad(items, bad)]))]
            for i, (want, have) in enumerate(zip(outcomes, steps)):
                assert want == have, (
                    f"imap(chunksize={chunksize}) step {i} was {have}, expected {want}"
                )
            assert len(steps) == len(outcomes), (
                f"imap(chunksize={chunksize}) of {len(items)} items gave {len(steps)} steps, "
                f"expected {len(outcomes)}: {short(steps)}"
            )

        check()


@pytest.mark.mp_catches(
    "mutants.pool:callback_twice",
    "mutants.pool:error_callback_dropped",
    "mutants.pool:exceptions_become_runtime_error",
)
@pytest.mark.mp_api(
    "pool.AsyncResult.get",
    "pool.Pool.apply_async",
    "pool.Pool.apply_async(callback)",
    "pool.Pool.apply_async(error_callback)",
    "pool.Pool.map_async",
    "pool.Pool.map_async(callback)",
    "pool.Pool.map_async(error_callback)",
    "pool.Pool.starmap_async",
    "pool.Pool.starmap_async(callback)",
    "pool.Pool.starmap_async(error_callback)",
)
def test_callbacks_are_called_once_with_the_outcome(mp):
    """callback gets the result (map_async: the whole list) once; error_callback the exception once.

    CPython calls the callback before the result is marked ready, so once get() returned the
    calls have all been made.
    """
    with pool_of(mp) as pool:

        @budget("cheap")
        @given(
            api=st.sampled_from(["apply_async", "map_async", "starmap_async"]),
            items=st.lists(SMALL, min_size=1, max_size=12),
            fails=st.booleans(),
        )
        def check(api: str, items: list, fails: bool) -> None:
            bad = frozenset(items[:1]) if fails else frozenset()
            values: list = []
            errors: list = []
            callbacks = {"callback": values.append, "error_callback": errors.append}
            if api == "apply_async":
                expected: Any = kids.square(items[0])
                result = pool.apply_async(kids.square_unless, (items[0], bad), **callbacks)
            elif api == "map_async":
                expected = [kids.square(x) for x in items]
                task = functools.partial(kids.square_unless, bad=bad)
                result = pool.map_async(task, items, **callbacks)
            else:
                expected = [kids.square(x) for x in items]
                pairs = [(x, bad) for x in items]
                result = pool.starmap_async(kids.square_unless, pairs, **callbacks)
            outcome = raised(lambda: result_of(mp, result, f"{api}().get()"))
            if fails:
                assert outcome == refusal(items[0]), f"{api}().get() raised {outcome}"
                assert values == [], f"{api} called callback with {short(values)} on failure"
                got = [(type(e), str(e)) for e in errors]
                assert len(got) == 1, (
                    f"{api} called error_callback {len(errors)} times with {short(got)}; "
                    "expected once, with the task's exception"
                )
                kind = f"{got[0][0].__module__}.{got[0][0].__qualname__}"
                assert got == [refusal(items[0])], (
                    f"{api} called error_callback with a {kind}: {short(got[0][1], 80)}; "
                    f"CPython passes the task's exception, TaskError({refusal(items[0])[1]!r})"
                )
            else:
                assert outcome is None, f"{api}().get() raised {outcome}"
                assert errors == [], f"{api} called error_callback with {errors} on success"
                assert values == [expected], (
                    f"{api} called callback {len(values)} times with {short(values)}; "
                    f"expected once, with {short(expected)}"
                )

        check()


# -- AsyncResult -------------------------------------------------------------------------------


@pytest.mark.mp_catches(
    "mutants.pool:exceptions_become_runtime_error", "mutants.pool:timeout_is_builtin"
)
@pytest.mark.mp_api(
    "TimeoutError",
    "pool.AsyncResult",
    "pool.AsyncResult.get",
    "pool.AsyncResult.get(timeout)",
    "pool.AsyncResult.ready",
    "pool.AsyncResult.successful",
    "pool.AsyncResult.wait",
    "pool.AsyncResult.wait(timeout)",
)
def test_async_result_reports_its_state(mp):
    """AsyncResult: get(timeout) raises multiprocessing.TimeoutError until ready(); then the
    outcome.

    The task waits for an event the test sets, so "not ready yet" is a known state: ready() is
    False, get(timeout) raises multiprocessing.TimeoutError and wait(timeout) returns, each
    after the timeout at least; once the task ended, ready(), successful() and get() tell its
    outcome.
    """
    gate = mp.Event()
    errors = timeout_error(mp)
    with pool_of(mp, initializer=kids.keep, initargs=({"gate": gate},)) as pool:

        @budget("process")
        @given(value=st.integers(), fails=st.booleans(), timeout=st.floats(0.0, 0.03))
        def check(value: int, fails: bool, timeout: float) -> None:
            task = kids.gated_failure if fails else kids.gated
            result = pool.apply_async(task, (value,))
            try:
                assert not result.ready(), "ready() is True while the task waits"
                t0 = time.monotonic()
                outcome = raised(lambda: result.get(timeout))
                elapsed = time.monotonic() - t0
                assert outcome is not None, f"get(timeout={timeout}) returned while the task waits"
                assert issubclass(outcome[0], errors), (
                    f"get(timeout={timeout}) raised {outcome[0].__module__}.{outcome[0].__name__}; "
                    "CPython raises multiprocessing.TimeoutError"
                )
                assert elapsed >= timeout - CLOCK_SLACK, (
                    f"get(timeout={timeout}) gave up after {elapsed:.4f} s"
                )
                t0 = time.monotonic()
                result.wait(timeout)
                elapsed = time.monotonic() - t0
                assert elapsed >= timeout - CLOCK_SLACK, (
                    f"wait(timeout={timeout}) returned after {elapsed:.4f} s"
                )
                assert not result.ready(), "ready() is True while the task waits"
                gate.set()
                result.wait(LIVENESS)
                if not result.ready():
                    raise TestTimeout(f"the task was not ready {LIVENESS:g} s after it could end")
                assert result.successful() is not fails, (
                    f"successful() is {result.successful()} for a task that "
                    f"{'raised' if fails else 'returned'}"
                )
                got = raised(lambda: result.get(0))
                if fails:
                    assert got == refusal(value), f"get() raised {got}"
                else:
                    assert got is None, f"get() raised {got}"
                    assert result.get(0) == value
            finally:
                gate.set()
                result.wait(LIVENESS)
                gate.clear()

        check()


@pytest.mark.mp_api("pool.AsyncResult.successful")
def test_successful_before_ready_raises_value_error(mp):
    """successful() on a result that is not ready yet raises ValueError (since Python 3.7)."""
    gate = mp.Event()
    with pool_of(mp, 1, initializer=kids.keep, initargs=({"gate": gate},)) as pool:
        result = pool.apply_async(kids.gated, (1,))
        try:
            got = raised(result.successful)
        finally:
            gate.set()
        assert result_of(mp, result, "apply_async().get()") == 1
        assert got is not None, "successful() answered before the result was ready"
        assert issubclass(got[0], ValueError), (
            f"successful() before ready raised {got[0].__name__}{': ' + got[1] if got[1] else ''}; "
            "Python 3.7+ raises ValueError (3.6 and older raised AssertionError)"
        )


# -- workers: count, initializer, replacement --------------------------------------------------


@pytest.mark.mp_catches("mutants.pool:one_worker_too_many")
@pytest.mark.mp_api("pool.Pool", "pool.Pool(processes)")
@budget("heavy")
# More tasks than workers: an extra worker would get some (and run alongside the others).
@example(processes=2, rounds=3)
@example(processes=1, rounds=3)
@given(processes=st.integers(1, 3), rounds=st.integers(1, 2))
def test_pool_runs_exactly_processes_workers(mp, processes, rounds):
    """Pool(processes=n) runs n tasks at once, never more, on n distinct workers.

    Each task waits at a barrier for n parties, so the tasks can only finish if n of them run
    together; a shared counter records how many were ever inside at once.
    """
    mp.require("Barrier", "Value", "Lock")
    shared = {
        "barrier": mp.Barrier(processes),
        "lock": mp.Lock(),
        "running": mp.Value("i", 0),
        "peak": mp.Value("i", 0),
        "patience": RENDEZVOUS,
    }
    with pool_of(mp, processes, initializer=kids.keep, initargs=(shared,)) as pool:
        count = processes * rounds
        result = pool.map_async(kids.rendezvous, range(count), 1)
        got = result_of(mp, result, "map_async(rendezvous)", LIVENESS + RENDEZVOUS)
    broken = [i for i, (value, _, _) in enumerate(got) if value == kids.BROKEN]
    assert not broken, (
        f"Pool(processes={processes}) never ran {processes} tasks at once: tasks {broken} "
        f"waited {RENDEZVOUS:g} s at a barrier for {processes}"
    )
    assert [value for value, _, _ in got] == list(range(count))
    peak = max(seen for _, _, seen in got)
    assert peak <= processes, f"Pool(processes={processes}) ran {peak} tasks at once"
    workers = {token for _, token, _ in got}
    assert len(workers) == processes, (
        f"Pool(processes={processes}) ran {count} tasks on {len(workers)} workers"
    )


@pytest.mark.mp_catches("mutants.pool:initializer_skipped_on_replacement")
@pytest.mark.mp_api("pool.Pool", "pool.Pool(initargs)", "pool.Pool(initializer)")
@budget("heavy")
@example(processes=1, tasks=3, maxtasks=1, value=0)  # two replacement workers serve tasks
@given(
    processes=st.integers(1, 3),
    tasks=st.integers(0, 4),
    maxtasks=st.sampled_from([None, 1, 2]),
    value=st.one_of(st.integers(), st.text(max_size=5), st.tuples(SMALL, st.none())),
)
def test_initializer_runs_once_in_every_worker(mp, processes, tasks, maxtasks, value):
    """initializer(*initargs) runs exactly once in every worker, replacement workers included.

    Each worker reports (token, times initialised, initargs) when its initializer runs; tasks
    report their worker's token. With maxtasksperchild, replacement workers serve tasks too.
    Those replacements are forked by the Pool's own handler thread: under fork this property
    forks from a threaded process, and must.
    """
    if maxtasks is not None:
        assume(takes_maxtasksperchild(mp))  # test_maxtasksperchild_* reports the lack
        options: dict[str, Any] = {"maxtasksperchild": maxtasks}
    else:
        options = {}
    report = mp.Queue()
    options.update(initializer=kids.remember, initargs=(report, value))
    with pool_of(mp, processes, **options) as pool:
        got = result_of(mp, pool.map_async(kids.whoami, range(tasks), 1), "map_async(whoami)")
        pool.close()
        in_thread(pool.join, "join() after close()")
    records = drain(report)
    counts = collections.Counter(token for token, _, _ in records)
    twice = [token for token, n in counts.items() if n > 1]
    assert not twice, f"the initializer ran more than once in workers {twice}"
    assert all(n == 1 for _, n, _ in records), f"initialisation counts: {records}"
    wrong = [v for _, _, v in records if v != value or type(v) is not type(value)]
    assert not wrong, f"initializer got {short(wrong[0])}, initargs held {short(value)}"
    if maxtasks is None:
        assert len(records) == processes, (
            f"the initializer ran in {len(records)} workers of Pool({processes})"
        )
    else:
        assert len(records) >= processes, (
            f"the initializer ran in {len(records)} workers of Pool({processes})"
        )
    uninitialised = sorted({token for _, token, n in got if n != 1 or token not in counts})
    assert not uninitialised, (
        f"tasks ran in workers whose initializer never ran: {uninitialised} "
        f"(maxtasksperchild={maxtasks})"
    )


@pytest.mark.mp_catches(
    "mutants.pool:initializer_skipped_on_replacement", "mutants.pool:maxtasks_ignored"
)
@pytest.mark.mp_api("pool.Pool", "pool.Pool(initializer)", "pool.Pool(maxtasksperchild)")
def test_maxtasksperchild_replaces_workers(mp):
    """With maxtasksperchild=k, no worker runs more than k tasks: spent workers are replaced.

    One pool serves all examples, so counts add up across them; a chunk is one task, so
    tasks go one per chunk. Replacements must be initialised like the first workers.

    Under fork this property forks from a threaded process, and must: the Pool's own
    worker-handler thread starts the replacement workers (that is what is under test).
    """
    if not takes_maxtasksperchild(mp):
        raise Unsupported("Pool() takes no maxtasksperchild argument")
    limit = 2
    options = {"initializer": kids.remember, "initargs": (None, None)}
    served: collections.Counter = collections.Counter()
    with pool_of(mp, POOL_SIZE, maxtasksperchild=limit, **options) as pool:

        @budget("heavy")
        @example(tasks=3 * POOL_SIZE * limit, use_map=True)  # every worker spent at least once
        @given(tasks=st.integers(1, 6), use_map=st.booleans())
        def check(tasks: int, use_map: bool) -> None:
            if use_map:
                got = result_of(mp, pool.map_async(kids.whoami, range(tasks), 1), "map_async()")
            else:
                pending = [pool.apply_async(kids.whoami, (i,)) for i in range(tasks)]
                got = [result_of(mp, r, "apply_async()") for r in pending]
            assert [x for x, _, _ in got] == list(range(tasks))
            served.update(token for _, token, _ in got)
            over = {token: n for token, n in served.items() if n > limit}
            assert not over, (
                f"with maxtasksperchild={limit}, workers ran {sorted(over.values())} tasks"
            )
            uninitialised = sorted({token for _, token, n in got if n != 1})
            assert not uninitialised, f"replacement workers {uninitialised} were not initialised"

        check()


CHUNKED_CALLS = ("map", "map_async", "starmap", "starmap_async", "imap_unordered")


def chunked(mp: Target, pool: Any, call: str, items: list, chunksize: int) -> list:
    """(x, token, inits) for every item, as ``call`` with ``chunksize`` ran them, by item."""
    pairs = [(x,) for x in items]
    calls = {
        "map": lambda: pool.map(kids.whoami, items, chunksize),
        "map_async": lambda: result_of(mp, pool.map_async(kids.whoami, items, chunksize), call),
        "starmap": lambda: pool.starmap(kids.whoami, pairs, chunksize),
        "starmap_async": lambda: result_of(
            mp, pool.starmap_async(kids.whoami, pairs, chunksize), call
        ),
        "imap_unordered": lambda: sorted(pool.imap_unordered(kids.whoami, items, chunksize)),
    }
    return in_thread(calls[call], f"{call}()")


@pytest.mark.mp_catches("mutants.pool:chunksize_ignored")
@pytest.mark.mp_api(
    "pool.Pool.imap_unordered(chunksize)",
    "pool.Pool.map(chunksize)",
    "pool.Pool.map_async(chunksize)",
    "pool.Pool.starmap(chunksize)",
    "pool.Pool.starmap_async(chunksize)",
)
@pytest.mark.mp_basis("cpython")
def test_chunksize_cuts_the_input_into_tasks_of_that_size(mp, request):
    """map, map_async, starmap, starmap_async and imap_unordered send chunksize items per task.

    The documentation says the iterable is chopped into chunks submitted as separate tasks, of
    an "(approximate)" size chunksize; CPython cuts exactly: consecutive chunks of chunksize
    items, the last one taking the rest (``Pool._get_tasks``), so the exact sizes are CPython's
    behaviour rather than a documented promise. A task is seen through its worker: in a
    ``Pool(1, maxtasksperchild=1)`` every task runs in a fresh worker, so the items that share a
    worker token are exactly one task. Inputs stay short: every chunk starts a process. The
    cutting happens in the parent's task handler, the same code under every start method,
    while each chunk's fresh worker costs a start: one start method per backend is checked.
    """
    require_processes(mp, "a task's worker cannot be told apart from the others")
    only_first_start_method(mp, request, "chunks are cut by the parent's task handler")
    if not takes_maxtasksperchild(mp):
        raise Unsupported("Pool() takes no maxtasksperchild argument, needed to see the tasks")
    with pool_of(mp, 1, maxtasksperchild=1) as pool:

        @budget("heavy")
        @example(call="map", length=5, chunksize=2)  # a partial last chunk
        @example(call="map_async", length=2, chunksize=2)
        @example(call="starmap", length=2, chunksize=2)
        @example(call="starmap_async", length=2, chunksize=2)
        @example(call="imap_unordered", length=3, chunksize=2)
        @given(
            call=st.sampled_from(CHUNKED_CALLS),
            length=st.integers(0, 4),
            chunksize=st.integers(1, 5),
        )
        def check(call: str, length: int, chunksize: int) -> None:
            items = list(range(length))
            got = chunked(mp, pool, call, items, chunksize)
            assert [x for x, _, _ in got] == items, f"{call}() returned {short(got)}"
            runs: list[list[int]] = []  # items in input order, split where the worker changes
            for x, token, _ in got:
                if runs and got[runs[-1][-1]][1] == token:
                    runs[-1].append(x)
                else:
                    runs.append([x])
            tokens = [got[run[0]][1] for run in runs]
            assert len(set(tokens)) == len(tokens), (
                f"{call}() of {length} items with chunksize={chunksize}: one worker of a "
                f"Pool(1, maxtasksperchild=1) ran items that are not adjacent ({runs})"
            )
            sizes = [len(run) for run in runs]
            expected = [chunksize] * (length // chunksize) + [length % chunksize] * bool(
                length % chunksize
            )
            assert sizes == expected, (
                f"{call}() of {length} items with chunksize={chunksize} ran them as tasks of "
                f"{sizes} items; CPython cuts chunks of {expected}"
            )

        check()


# -- close, terminate, join --------------------------------------------------------------------


def _holding_objects(mp: Target) -> tuple[Any, dict]:
    """The ``started`` queue and ``gate`` event :func:`children_pool.hold` needs.

    The gate is never opened: these properties end the held task by stopping its worker, and
    setting an Event that a killed process was waiting on blocks forever (its Condition
    counts a sleeper that will never wake). terminate() ends the task instead.
    """
    started = mp.Queue()
    return started, {"started": started, "gate": mp.Event()}


def _started_holding(pool: Any, started: Any) -> tuple[Any, int]:
    """Submit a task that holds its worker; return its result and the worker's pid."""
    result = pool.apply_async(kids.hold, (1,))
    try:
        return result, started.get(timeout=LIVENESS)
    except Exception as exc:
        raise TestTimeout(f"the task never started ({type(exc).__name__})") from None


@pytest.mark.mp_api("pool.Pool.terminate")
def test_terminate_stops_outstanding_work(mp):
    """terminate() stops the workers at once, without completing a task still running."""
    require_processes(mp, "a running thread cannot be stopped")
    started, shared = _holding_objects(mp)
    with pool_of(mp, 1, initializer=kids.keep, initargs=(shared,)) as pool:
        result, pid = _started_holding(pool, started)
        in_thread(pool.terminate, "terminate() with a task running")
        in_thread(pool.join, "join() after terminate() with a task running")
        stopped = wait_gone(pid)
        ready = result.ready()
    assert stopped, f"worker {pid} still ran its task {LIVENESS:g} s after terminate()"
    assert not ready, "the held task's result is ready although terminate() stopped it"


@pytest.mark.mp_api("pool.Pool")
def test_context_manager_exit_terminates(mp):
    """Leaving a Pool's with block terminates it: a task still running is not completed.

    The documentation says __exit__() calls terminate(); it does not wait for the task.
    """
    require_processes(mp, "a running thread cannot be stopped")
    started, shared = _holding_objects(mp)
    pool = mp.Pool(1, initializer=kids.keep, initargs=(shared,))
    try:
        with pool:
            result, pid = _started_holding(pool, started)
        stopped = wait_gone(pid)
        ready = result.ready()
        late = raised(lambda: pool.apply_async(kids.square, (2,)))
        late_call = attempt(pool.apply_async, kids.square, (2,)) if late is None else ""
    finally:
        stop(pool)
    assert stopped, f"worker {pid} still ran its task {LIVENESS:g} s after the with block"
    assert not ready, "the held task completed although the with block terminated the pool"
    assert late is not None and issubclass(late[0], ValueError), (
        f"apply_async() after the with block {late_call or f'raised {late}'}; "
        "CPython raises ValueError (the pool is no longer running)"
    )


ASYNC_SUBMISSIONS: dict[str, Callable[[Any], Any]] = {
    "apply_async": lambda pool: pool.apply_async(kids.square, (1,)),
    "map_async": lambda pool: pool.map_async(kids.square, [1]),
    "starmap_async": lambda pool: pool.starmap_async(kids.add, [(1, 2)]),
    "imap": lambda pool: pool.imap(kids.square, [1]),
    "imap_unordered": lambda pool: pool.imap_unordered(kids.square, [1]),
}
BLOCKING_SUBMISSIONS: dict[str, Callable[[Any], Any]] = {
    "apply": lambda pool: pool.apply(kids.square, (1,)),
    "map": lambda pool: pool.map(kids.square, [1]),
    "starmap": lambda pool: pool.starmap(kids.add, [(1, 2)]),
}


@pytest.mark.mp_catches("mutants.pool:close_accepts_work")
@pytest.mark.mp_api("pool.Pool.close")
def test_submitting_after_close_raises_value_error(mp):
    """After close(), apply, map, starmap, imap and their async forms raise ValueError.

    The calls that return at once are tried first: if one is accepted, the blocking ones
    might wait forever for a pool that no longer runs tasks.
    """
    with pool_of(mp, 1) as pool:
        pool.close()
        accepted = {n: attempt(submit, pool) for n, submit in ASYNC_SUBMISSIONS.items()}
        accepted = {n: what for n, what in accepted.items() if what.startswith("returned")}
        assert not accepted, (
            f"after close(), {'; '.join(f'{n}() {what}' for n, what in accepted.items())}; "
            "CPython raises ValueError"
        )
        outcomes = {
            name: raised(in_thread, functools.partial(submit, pool), f"{name}() after close()")
            for name, submit in {**ASYNC_SUBMISSIONS, **BLOCKING_SUBMISSIONS}.items()
        }
        in_thread(pool.join, "join() after close()")
    wrong = {n: o for n, o in outcomes.items() if o is None or not issubclass(o[0], ValueError)}
    assert not wrong, f"after close(), expected ValueError from every submission; got {wrong}"


@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("pool.Pool.join")
def test_join_before_close_raises_value_error(mp):
    """join() on a pool that was neither closed nor terminated raises ValueError.

    The documentation only says close() or terminate() must come first; CPython raises
    ValueError("Pool is still running") instead of waiting forever.
    """
    with pool_of(mp, 1) as pool:
        got = raised(lambda: in_thread(pool.join, "join() on a running pool"))
        after = in_thread(lambda: pool.map(kids.square, [3]), "map() after the refused join()")
    assert got is not None, "join() on a running pool returned"
    assert issubclass(got[0], ValueError), (
        f"join() on a running pool raised {got[0].__name__}{': ' + got[1] if got[1] else ''}; "
        "CPython raises ValueError('Pool is still running')"
    )
    assert after == [9], f"the pool returned {after} after the refused join()"


# -- pickling failures -------------------------------------------------------------------------

PICKLING_ERRORS = (pickle.PicklingError, TypeError, AttributeError)
UNPICKLABLE = {
    "a generator": lambda: (x for x in range(1)),
    "an object whose __reduce__ raises": kids.Unpicklable,
}


@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("pool.AsyncResult.get")
def test_unpicklable_argument_raises_from_get(mp):
    """An argument that cannot be pickled makes the call or get() raise, and the pool goes on.

    The documentation is silent. CPython's task handler catches the pickling error and hands it
    to the result, so map() and get() raise it (TypeError for both kinds used here; locks and
    lambdas are left out because dill-based backends pickle them).
    """
    require_processes(mp, "tasks take their arguments without pickling")
    with pool_of(mp) as pool:

        @budget("cheap")
        @given(
            api=st.sampled_from(["map", "map_async", "apply_async", "starmap_async", "imap"]),
            kind=st.sampled_from(sorted(UNPICKLABLE)),
            before=st.lists(SMALL, max_size=3),
        )
        def check(api: str, kind: str, before: list) -> None:
            items = [*before, UNPICKLABLE[kind]()]
            what = f"{api}() with {kind} as an argument (CPython raises its pickling error)"
            calls = {
                "map": lambda: in_thread(lambda: pool.map(kids.identity, items, 1), what),
                "map_async": lambda: result_of(mp, pool.map_async(kids.identity, items), what),
                "apply_async": lambda: result_of(
                    mp, pool.apply_async(kids.identity, (items[-1],)), what
                ),
                "starmap_async": lambda: result_of(
                    mp, pool.starmap_async(kids.add, [(x, 0) for x in items]), what
                ),
                "imap": lambda: in_thread(lambda: list(pool.imap(kids.identity, items)), what),
            }
            got = raised(calls[api])
            assert got is not None, f"{api}() with {kind} as an argument raised nothing"
            assert issubclass(got[0], PICKLING_ERRORS), (
                f"{api}() with {kind} as an argument raised {got[0].__name__}: {got[1]}; "
                "CPython raises the pickling error (TypeError)"
            )
            follow_up = in_thread(lambda: pool.map(kids.square, [1, 2]), "map() after the error")
            assert follow_up == [1, 4], f"the pool returned {follow_up} after the error"

        check()


@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("pool.AsyncResult.get")
def test_unpicklable_result_raises_from_get(mp):
    """A result that cannot be pickled makes get() raise MaybeEncodingError, and the pool goes on.

    The worker cannot send the value back; CPython sends a MaybeEncodingError in its place.
    """
    require_processes(mp, "results come back without pickling")
    expected = getattr(mp.pool, "MaybeEncodingError", Exception)
    with pool_of(mp) as pool:

        @budget("cheap")
        @given(api=st.sampled_from(["apply_async", "map_async", "imap"]), count=st.integers(1, 4))
        def check(api: str, count: int) -> None:
            calls = {
                "apply_async": lambda: result_of(
                    mp, pool.apply_async(kids.make_generator, (1,)), api
                ),
                "map_async": lambda: result_of(
                    mp, pool.map_async(kids.make_generator, range(count)), api
                ),
                "imap": lambda: in_thread(
                    lambda: list(pool.imap(kids.make_generator, range(count))), api
                ),
            }
            got = raised(calls[api])
            assert got is not None, f"{api}() of an unpicklable result raised nothing"
            assert issubclass(got[0], expected), (
                f"{api}() of an unpicklable result raised {got[0].__name__}: {got[1]}; "
                "CPython raises multiprocessing.pool.MaybeEncodingError"
            )
            follow_up = in_thread(lambda: pool.map(kids.square, [1, 2]), "map() after the error")
            assert follow_up == [1, 4], f"the pool returned {follow_up} after the error"

        check()


# -- faults ------------------------------------------------------------------------------------


@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_outcome(
    "TIMEOUT", reason="CPython's Pool waits forever for a task whose worker died"
)
@pytest.mark.mp_api("pool.Pool.map_async")
def test_killed_worker_does_not_hang_map(mp, mp_note):
    """map() raises or returns when a worker is killed mid-task (CPython hangs: gh-66587).

    The outcome is reported, not judged (``mp_outcome``): CPython's Pool replaces the dead
    worker but never runs the task it lost again, so the reference reads TIMEOUT here, and
    that is accepted; a backend that raises (or re-runs the task) passes, with what it did in
    the result's message.

    "Hangs" is decided by evidence, not by waiting out a long bound: once the killed worker
    has been replaced (a probe task answers from a new worker) and every probe submitted after
    the kill has completed, the pool has shown it works and has handled the death; a result
    still unset then can only be delivered by a lost-worker timeout, which an adapter that has
    one declares (billiard: 10 s), and only that long is waited for. The replacement is forked
    by the Pool's handler thread (under fork, a fork from a threaded process, as in any use of
    a Pool that replaces workers).
    """
    require_processes(mp, "a thread cannot be killed")
    started, shared = _holding_objects(mp)
    with pool_of(mp, initializer=kids.keep, initargs=(shared,)) as pool:
        result = pool.map_async(kids.hold, [1])
        try:
            pid = started.get(timeout=LIVENESS)
        except Exception as exc:
            raise TestTimeout(f"the task never started ({type(exc).__name__})") from None
        before = set(pool.map(kids.worker_pid, [0.0] * (POOL_SIZE - 1), 1)) | {pid}
        os.kill(pid, signal.SIGKILL)
        replacement = _replacement_worker(mp, pool, before, result)
        lost = mp.adapter.lost_worker_timeout
        if not result.ready() and lost is not None:
            result.wait(lost * 1.5 + 2.0)  # the adapter's own give-up time, with room
        if not result.ready():
            waited = "" if lost is None else f" and {lost * 1.5 + 2.0:g} s more"
            raise TestTimeout(
                f"map() can never return after worker pid {pid} was killed: the pool replaced "
                f"it (pid {replacement} answered) and ran every later task, but left the lost "
                f"task unset{waited} (CPython hangs: gh-66587)"
            )
        try:
            value = result.get(0)
        except Exception as exc:  # raising is one of the outcomes this property accepts
            mp_note(f"map_async().get() raised {describe_error(exc)}")
        else:
            mp_note(f"map_async().get() returned {short(value, 200)} (the task was re-run)")


def _replacement_worker(mp: Target, pool: Any, before: set, result: Any) -> int | None:
    """Run probe tasks until one answers from a worker not in ``before`` (the killed worker's
    replacement) or ``result`` became ready; the new worker's pid, or None when the result
    settled first. A pool that never replaces the worker and never settles is a TIMEOUT."""
    found: list[int] = []

    def replaced(_: float) -> bool:
        if result.ready():
            return True
        pids = result_of(mp, pool.map_async(kids.worker_pid, [0.01] * 4 * POOL_SIZE, 1), "probes")
        found.extend(p for p in pids if p not in before)
        return bool(found)

    wait_until(replaced, "a replacement worker answering", None)
    return found[0] if found else None


# -- ThreadPool --------------------------------------------------------------------------------


@contextlib.contextmanager
def thread_pool(mp: Target, *args: Any, processes: int = POOL_SIZE) -> Iterator[Any]:
    """A ThreadPool(processes, *args), stopped on the way out."""
    try:
        pool = mp.pool.ThreadPool(processes, *args)
    except Exception as exc:
        raise AssertionError(
            f"ThreadPool({processes}) raised {type(exc).__name__}: {exc}; it cannot be created"
        ) from None
    try:
        yield pool
    finally:
        stop(pool, "the ThreadPool")


@pytest.mark.mp_requires("pool.ThreadPool")
@pytest.mark.mp_api("pool.ThreadPool")
def test_thread_pool_computes_what_sequential_calls_compute(mp):
    """ThreadPool: map, imap, imap_unordered, starmap and apply_async return sequential results."""
    with thread_pool(mp) as pool:

        @budget("cheap")
        @given(
            api=st.sampled_from(["map", "imap", "imap_unordered", "starmap", "apply_async"]),
            items=INPUTS,
            chunksize=st.one_of(st.just(1), st.integers(2, 40)),
        )
        def check(api: str, items: list, chunksize: int) -> None:
            expected = [kids.square(x) for x in items]
            calls = {
                "map": lambda: pool.map(kids.square, items, chunksize),
                "imap": lambda: list(pool.imap(kids.square, items, chunksize)),
                "imap_unordered": lambda: sorted(pool.imap_unordered(kids.square, items)),
                "starmap": lambda: pool.starmap(kids.power, [(x, 2) for x in items], chunksize),
                "apply_async": lambda: [
                    result_of(mp, r, "ThreadPool.apply_async()")
                    for r in [pool.apply_async(kids.square, (x,)) for x in items]
                ],
            }
            got = in_thread(calls[api], f"ThreadPool.{api}()")
            if api == "imap_unordered":
                expected = sorted(expected)
            assert got == expected, f"ThreadPool.{api}() {first_difference(expected, got)}"

        check()


@pytest.mark.mp_requires("pool.ThreadPool")
@pytest.mark.mp_api("pool.ThreadPool")
def test_thread_pool_raises_the_task_exception(mp):
    """ThreadPool: map() and apply_async().get() raise a task's exception, type and message kept."""
    with thread_pool(mp) as pool:

        @budget("cheap")
        @given(case=FAILING_INPUTS, use_map=st.booleans())
        def check(case: tuple[list, frozenset], use_map: bool) -> None:
            items, bad = case
            task = functools.partial(kids.square_unless, bad=bad)
            if use_map:
                got = raised(lambda: in_thread(lambda: pool.map(task, items), "ThreadPool.map()"))
                allowed = failures(items, bad)
            else:
                x = items[first_bad(items, bad)]
                got = raised(
                    lambda: result_of(mp, pool.apply_async(task, (x,)), "ThreadPool.apply_async()")
                )
                allowed = {refusal(x)[1]}
            assert got is not None, "the ThreadPool raised nothing although a task raised"
            assert got[0] is kids.TaskError and got[1] in allowed, (
                f"the ThreadPool raised {got[0].__name__}: {got[1]}; expected the task's TaskError"
            )

        check()


# -- Pool(context=...) and ThreadPool's initializer --------------------------------------------


@pytest.mark.mp_catches("mutants.pool:pool_ignores_context")
@pytest.mark.mp_api("pool.Pool", "pool.Pool(context)")
def test_pool_workers_are_started_by_the_context_given(mp):
    """Pool(context=ctx) starts its workers with ctx's start method.

    Told apart by what a worker sees of a module global changed before the Pool was made:
    a forked worker sees the change, a spawned or fork server one the value at import.
    """
    mp.require("pool", "Process")  # a context to give: a Pool-only backend has none
    model = mp.memory_model
    if model not in ("copied", "fresh"):
        raise Unsupported(f"no process start method to tell apart under {mp.start_method!r}")
    token = f"set before the pool, {os.getpid()}"
    kids.MARKER = token
    try:
        pool = mp.pool.Pool(1, context=mp.ctx)
        try:
            seen = in_thread(lambda: pool.map(kids.marker, [0]), "map() of the Pool")
        finally:
            stop(pool, "the Pool(context=...)")
    finally:
        kids.MARKER = "as imported"
    expected = token if model == "copied" else "as imported"
    assert seen == [expected], f"a {mp.start_method} worker saw {seen[0]!r}, not {expected!r}"


@pytest.mark.mp_catches("mutants.pool:thread_pool_initializer_ignored")
@pytest.mark.mp_api("pool.ThreadPool", "pool.ThreadPool(initargs)", "pool.ThreadPool(initializer)")
def test_thread_pool_runs_its_initializer_in_every_thread(mp):
    """ThreadPool(n, initializer, initargs) calls initializer(*initargs) once in each thread.

    Tasks then see what it set up in their own thread.
    """
    mp.require("pool.ThreadPool")
    token = f"thread token {time.monotonic_ns()}"
    del kids.INITIALISED[:]
    with thread_pool(mp, kids.remember_in_thread, (token,)) as pool:
        seen = in_thread(lambda: pool.map(kids.thread_token, range(8), 1), "ThreadPool.map()")
    runs = [t for _, t in kids.INITIALISED]
    assert runs == [token] * POOL_SIZE, (
        f"the initializer ran {len(runs)} times for {POOL_SIZE} threads: {runs}"
    )
    assert set(seen) == {token}, f"tasks saw {set(seen)} of their thread's initialisation"


@pytest.mark.mp_catches("mutants.pool:thread_pool_one_thread_too_many")
@pytest.mark.mp_api("pool.ThreadPool", "pool.ThreadPool(processes)")
@pytest.mark.mp_requires("pool.ThreadPool")
@budget("process")
# More tasks than threads: an extra thread would get some (and run alongside the others).
@example(processes=2, rounds=3)
@example(processes=1, rounds=3)
@given(processes=st.integers(1, 4), rounds=st.integers(1, 3))
def test_thread_pool_runs_exactly_processes_threads(mp, processes, rounds):
    """ThreadPool(processes=n) runs n tasks at once, never more, on n distinct threads.

    As for a process Pool: each task waits at a barrier for n parties, so the tasks can only
    finish if n of them run together, and a counter records how many were ever inside at once.
    The threads share this process, so plain threading objects do.
    """
    shared = {
        "barrier": threading.Barrier(processes),
        "lock": threading.Lock(),
        "running": types.SimpleNamespace(value=0),
        "peak": types.SimpleNamespace(value=0),
        "patience": RENDEZVOUS,
    }
    kids.keep(shared)
    count = processes * rounds
    with thread_pool(mp, processes=processes) as pool:
        result = pool.map_async(kids.rendezvous, range(count), 1)
        got = result_of(mp, result, "ThreadPool.map_async(rendezvous)", LIVENESS + RENDEZVOUS)
    broken = [i for i, (value, _, _) in enumerate(got) if value == kids.BROKEN]
    assert not broken, (
        f"ThreadPool(processes={processes}) never ran {processes} tasks at once: tasks {broken} "
        f"waited {RENDEZVOUS:g} s at a barrier for {processes}"
    )
    assert [value for value, _, _ in got] == list(range(count))
    peak = max(seen for _, _, seen in got)
    assert peak <= processes, f"ThreadPool(processes={processes}) ran {peak} tasks at once"
    threads = {token for _, token, _ in got}
    assert len(threads) == processes, (
        f"ThreadPool(processes={processes}) ran {count} tasks on {len(threads)} threads"
    )
