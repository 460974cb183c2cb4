"""Queues: Queue, SimpleQueue and JoinableQueue carry values intact, in order, exactly once.

What is checked is what the documentation promises, and no more: ``multiprocessing.Queue`` is
FIFO per producer, not in real time across producers (a feeder thread writes each process's
buffer to the pipe later), ``get(block=False)`` may raise Empty while items are still buffered,
and ``qsize()``/``empty()`` are only exact in quiescent states. SimpleQueue writes
synchronously, so completed puts are FIFO in real time. Every wait is bounded, and items are
always drained before the children that put them are joined.
"""

from __future__ import annotations

import contextlib
import math
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any, Callable

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mpconform.checkers import FifoQueue as FifoModel
from mpconform.checkers import History, Op, RelaxedQueue, check, same, screen_queue
from mpconform.conformance import children_queues as kids
from mpconform.conformance.strategies import Refuses, payloads, with_backend_payloads
from mpconform.limits import scaled
from mpconform.outcomes import ChildCrashed, TestTimeout, Unsupported
from mpconform.profiles import budget
from mpconform.stress.programs import release_queue
from mpconform.target import Target
from mpconform.waiting import LIVENESS, finish, receive

pytestmark = pytest.mark.mp_area("Queues")

POLL_SLICE = 0.05
CLOCK_SLACK = 0.001  # a poll timeout rounded to whole milliseconds may return this early
LINEARIZABILITY_LIMIT = 40  # ops per history; the search is exponential beyond that
LINEARIZABILITY_STEPS = 200_000

# -- strategies --------------------------------------------------------------------------------

PAYLOAD = payloads(
    st.sampled_from([math.inf, -math.inf, -0.0, math.nan]),
    st.builds(kids.Parcel, st.text(max_size=5), st.integers() | st.text(max_size=5)),
)
# Big blobs are rare (two draws in sixteen) and shrink away: the size matters to the pipe
# (several writes per message), not to Hypothesis, so the test builds them from a small spec,
# which also keeps megabytes out of the falsifying example Hypothesis prints.
BIG_SIZES = (2 * 1024 * 1024, 64 * 1024 + 1)
BIG_BLOB_SPEC = st.tuples(st.integers(0, 15), st.binary(min_size=1, max_size=8))


def big_blob(spec: tuple[int, bytes]) -> bytes | None:
    choice, pattern = spec
    if choice < 14:
        return None
    size = BIG_SIZES[choice - 14]
    return (pattern * (size // len(pattern) + 1))[:size]


# -- helpers -----------------------------------------------------------------------------------


def short(value: Any, limit: int = 300) -> str:
    """repr() cut to ``limit`` characters: a failure message must not carry a 2 MiB blob."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def is_timed(q: Any) -> bool:
    """Whether get() takes a timeout: SimpleQueue's does not."""
    return hasattr(q, "put_nowait")


def getter(q: Any) -> Any:
    """A ``get(slice)`` for :func:`mpconform.waiting.receive`, for any queue kind."""
    timed = is_timed(q)
    return lambda seconds: kids.take(q, timed, seconds)


def take(q: Any, proc: Any = None, what: str = "an item") -> Any:
    """The next item of ``q``, failing at once if child ``proc`` ended without putting it."""
    return receive(getter(q), proc, what)


@contextlib.contextmanager
def queues(mp: Target, kind: str, count: int = 1, *args: Any) -> Iterator[list[Any]]:
    """``count`` new queues of ``kind``, released however the body ends."""
    made = [getattr(mp, kind)(*args) for _ in range(count)]
    clean = False
    try:
        yield made
        clean = True
    finally:
        for q in made:
            release_queue(q, clean)


def require_method(obj: Any, name: str) -> None:
    if not callable(getattr(obj, name, None)):
        raise Unsupported(f"{type(obj).__name__} has no {name}()")


def exact_qsize(q: Any) -> int:
    try:
        return q.qsize()
    except NotImplementedError:
        raise Unsupported("qsize() is not implemented on this platform") from None


def start(mp: Target, target: Any, *args: Any) -> Any:
    proc = mp.Process(target=target, args=args)
    proc.start()
    return proc


@contextlib.contextmanager
def sending(q: Any, items: list, agent: Any, drain: Any) -> Iterator[None]:
    """Put ``items`` from a thread while the body reads the answers.

    A SimpleQueue put of a big item blocks until the agent reads it, so putting everything
    before reading would deadlock on a 2 MiB item, and would hang for good if the agent died.
    When the agent is gone, closing the queue makes the blocked write fail instead; when the
    body failed with the agent alive, ``drain`` reads what the agent echoes so it reads on.
    """
    failed: list[str] = []  # a repr, not the exception: its traceback would pin the queue

    def send() -> None:
        try:
            for item in items:
                q.put(item)
        except Exception as exc:
            failed.append(repr(exc))

    thread = threading.Thread(target=send, name="mpconform-sender", daemon=True)
    thread.start()
    try:
        yield
    finally:
        end = time.monotonic() + LIVENESS
        while thread.is_alive() and time.monotonic() < end:
            drain()
            thread.join(POLL_SLICE)
            if thread.is_alive() and not agent.is_alive() and hasattr(q, "close"):
                q.close()
        if thread.is_alive():
            raise TestTimeout(f"putting {len(items)} items still blocked after {LIVENESS:g} s")
    if failed:
        raise AssertionError(f"put() raised {failed[0]}")


# -- payload integrity -------------------------------------------------------------------------


@contextlib.contextmanager
def echoing(mp: Target, args: tuple, drain: Callable[[], Any]) -> Iterator[Any]:
    """The echo child (its protocol is the queues under test), told to stop with STOP on its
    inbox and joined while ``drain`` reads what it still echoes, however the body ends."""
    inbox = args[0]
    proc = start(mp, kids.echo, *args)
    try:
        yield proc
    except BaseException:
        with contextlib.suppress(Exception, ChildCrashed):  # the body's error comes first
            if proc.is_alive():  # a put nobody reads could block for good
                inbox.put(kids.STOP)
            finish(proc, what="the echo child", drain=drain)
        raise
    if proc.is_alive():
        inbox.put(kids.STOP)
    code = finish(proc, what="the echo child", drain=drain)
    assert code == 0, f"the echo child ended with exitcode {code} when asked to stop"


def _echo_round_trip(mp: Target, kind: str) -> None:
    """One echo agent for the whole property; every example sends its batch through it.

    Items are tagged (example, sequence): an item left over from an earlier example, or one
    the agent skipped, shows up as a tag mismatch instead of passing by coincidence. Items of
    an example that failed may still be on their way when the next one starts (Hypothesis
    goes on to shrink); those are skipped, or every later example would fail the same way.
    """
    with queues(mp, kind, 2) as (inbox, outbox):
        timed = is_timed(inbox)
        joinable = kind == "JoinableQueue"

        def drain() -> None:
            getter(outbox)(0)

        with echoing(mp, (inbox, outbox, timed, joinable), drain) as agent:
            examples = iter(range(1 << 30))
            spoiled: set[int] = set()

            def answer(what: str) -> Any:
                while True:
                    got = take(outbox, agent, what)
                    if joinable:
                        outbox.task_done()
                    if not (type(got) is tuple and len(got) == 3 and got[0] in spoiled):
                        return got

            @budget("cheap")
            @given(
                batch=st.lists(with_backend_payloads(PAYLOAD, mp), max_size=4),
                blob_spec=BIG_BLOB_SPEC,
            )
            def round_trip(batch: list, blob_spec: tuple[int, bytes]) -> None:
                number = next(examples)
                blob = big_blob(blob_spec)
                items = batch if blob is None else [*batch, blob]
                tagged = [(number, seq, p) for seq, p in enumerate(items)]
                try:
                    with sending(inbox, tagged, agent, drain):
                        for seq, payload in enumerate(items):
                            got = answer(f"item {seq} of example {number}")
                            assert type(got) is tuple, f"not a tagged item: {short(got)}"
                            tag = got[:2]
                            assert tag == (number, seq), f"expected {(number, seq)}, got {tag}"
                            assert same(got[2], payload), (
                                f"sent {short(payload)}, got back {short(got[2])}"
                            )
                except BaseException:
                    spoiled.add(number)
                    raise

            round_trip()


@pytest.mark.mp_api("Queue", "Queue.get", "Queue.put", "Queue.put(obj)")
def test_queue_payloads_arrive_intact(mp):
    """Values put on a Queue come out equal and of the same type, nested ones included."""
    _echo_round_trip(mp, "Queue")


@pytest.mark.mp_api("SimpleQueue", "SimpleQueue.get", "SimpleQueue.put", "SimpleQueue.put(item)")
def test_simple_queue_payloads_arrive_intact(mp):
    """Values put on a SimpleQueue come out equal and of the same type, nested ones included."""
    _echo_round_trip(mp, "SimpleQueue")


@pytest.mark.mp_api("JoinableQueue", "Queue.get", "Queue.put", "Queue.put(obj)")
def test_joinable_queue_payloads_arrive_intact(mp):
    """Values put on a JoinableQueue come out equal and of the same type, nested ones included."""
    _echo_round_trip(mp, "JoinableQueue")


# -- ordering with several producers and consumers ---------------------------------------------

SCENARIOS = st.tuples(
    st.lists(st.lists(st.integers(-5, 5), max_size=4), min_size=1, max_size=3),
    st.integers(1, 2),
)


def _expect(conn: Any, proc: Any, what: str) -> Any:
    """The next message from a child's pipe, failing at once when the child ended silently."""
    return receive(conn, proc, what)


def _run_scenario(mp: Target, kind: str, per_producer: list[list[int]], consumers: int) -> History:
    """Producers put tagged values and a marker each; consumers get until told to quit.

    The test tells consumers to quit (one QUIT each) only after every marker was dequeued,
    which by per-producer FIFO means every item was; producers are joined only after that.
    """
    flush = kind != "SimpleQueue"
    # (ours, proc, theirs): the child's end stays referenced here until the children are
    # joined, so garbage collection never closes it while start() may still be passing it on.
    markers = frozenset(("end", p, -1) for p in range(len(per_producer)))
    go = mp.Event()
    procs: list[Any] = []
    clean = False
    with queues(mp, kind) as (q,):
        timed = is_timed(q)
        try:
            cons = []
            for c in range(consumers):
                ours, theirs = mp.Pipe()
                procs.append(start(mp, kids.consume, q, theirs, f"C{c}", timed, markers))
                cons.append((ours, procs[-1], theirs))
            prods = []
            for p, seq in enumerate(per_producer):
                values = [("item", p, i * 100 + v) for i, v in enumerate(seq)]
                ours, theirs = mp.Pipe()
                args = (q, theirs, f"P{p}", values, go, ("end", p, -1), flush)
                procs.append(start(mp, kids.produce, *args))
                prods.append((ours, procs[-1], theirs))
            for conn, proc, _ in prods:
                assert _expect(conn, proc, "ready") == kids.READY
            go.set()
            seen: set = set()
            end = time.monotonic() + LIVENESS
            while len(seen) < len(markers):
                for conn, proc, _ in cons:
                    if conn.poll(0.01):
                        tag, marker = conn.recv()
                        assert tag == "marker", f"unexpected message {tag!r}"
                        assert marker not in seen, f"marker {marker!r} dequeued twice"
                        seen.add(marker)
                    elif not proc.is_alive() and not conn.poll(0):
                        raise AssertionError(f"{proc.name} ended before all markers arrived")
                if time.monotonic() > end:
                    raise TestTimeout(f"markers {sorted(markers - seen)} not dequeued in time")
            for _ in range(consumers):
                q.put(kids.QUIT)
            rows: list = []
            for conn, proc, _ in cons:
                tag, ops = _expect(conn, proc, "its history")
                assert tag == "history", f"unexpected message {tag!r}"
                rows.extend(ops)
            for conn, proc, _ in prods:
                rows.extend(_expect(conn, proc, "its history"))
            for proc in procs:
                assert finish(proc) == 0
            clean = True
        finally:
            if not clean:
                go.set()
                for _ in range(consumers):
                    with contextlib.suppress(Exception):
                        q.put(kids.QUIT)
                for proc in procs:
                    with contextlib.suppress(Exception):
                        finish(proc)
    return History(tuple(Op(*row) for row in rows))


def _check_history(history: History, model: Any, cross_producer: bool) -> None:
    violations = screen_queue(history, drained=True, cross_producer=cross_producer)
    assert not violations, "\n".join(v.message for v in violations)
    if len(history) <= LINEARIZABILITY_LIMIT:
        result = check(history, model, max_steps=LINEARIZABILITY_STEPS)
        assert not result.violation, result.explain()


@pytest.mark.mp_api("Queue", "Queue.get", "Queue.join_thread", "Queue.put", "Queue.put(obj)")
@budget("heavy")
@given(scenario=SCENARIOS)
def test_queue_keeps_per_producer_order(mp, scenario):
    """Queue delivers every item exactly once, nothing invented, each producer's items in order.

    Not real-time FIFO across producers: put() returns once the item is in the producer's
    buffer. The relaxed model also checks that items flushed by close() + join_thread() are
    read before items put after the flush.
    """
    per_producer, consumers = scenario
    history = _run_scenario(mp, "Queue", per_producer, consumers)
    _check_history(history, RelaxedQueue(), cross_producer=False)


@pytest.mark.mp_api("SimpleQueue", "SimpleQueue.get", "SimpleQueue.put", "SimpleQueue.put(item)")
@budget("heavy")
@given(scenario=SCENARIOS)
def test_simple_queue_is_fifo_in_real_time(mp, scenario):
    """SimpleQueue delivers every item exactly once, in the real-time order the puts completed.

    put() writes to the pipe before it returns, so a put that returned before another began
    is dequeued first, whichever processes made them.
    """
    per_producer, consumers = scenario
    history = _run_scenario(mp, "SimpleQueue", per_producer, consumers)
    _check_history(history, FifoModel(), cross_producer=True)


# -- Queue API ---------------------------------------------------------------------------------


@pytest.mark.mp_catches(
    "mutants.messaging:full_put_dropped", "mutants.messaging:joinable_maxsize_ignored"
)
@pytest.mark.mp_api(
    "JoinableQueue",
    "JoinableQueue(maxsize)",
    "Queue",
    "Queue(maxsize)",
    "Queue.full",
    "Queue.get",
    "Queue.put",
    "Queue.put(block)",
    "Queue.put(obj)",
    "Queue.put(timeout)",
    "Queue.put_nowait",
    "Queue.put_nowait(obj)",
)
@budget("process")
@given(
    kind=st.sampled_from(["Queue", "JoinableQueue"]),
    maxsize=st.integers(1, 4),
    timeout=st.floats(0.0, 0.05),
)
@example(kind="JoinableQueue", maxsize=2, timeout=0.01)
def test_full_queue_refuses_put(mp, kind, maxsize, timeout):
    """A full Queue(maxsize) reports full() and put_nowait() / put(timeout=t) raise queue.Full.

    put(timeout=t) gives up only after at least t seconds; put(block=False) raises at once,
    whatever timeout it is given (the documentation: the timeout is then ignored); the items
    already in come out in order afterwards. The same holds for a JoinableQueue(maxsize).
    """
    with queues(mp, kind, 1, maxsize) as (q,):
        for i in range(maxsize - 1):
            q.put(i, timeout=LIVENESS)
        q.put_nowait(maxsize - 1)
        assert q.full()
        with pytest.raises(queue.Full):
            q.put_nowait("extra")
        with pytest.raises(queue.Full):
            q.put("extra", block=False, timeout=LIVENESS)
        t0 = time.monotonic()
        with pytest.raises(queue.Full):
            q.put("extra", timeout=timeout)
        elapsed = time.monotonic() - t0
        assert elapsed >= timeout - CLOCK_SLACK, f"put(timeout={timeout}) gave up after {elapsed}"
        assert [take(q) for _ in range(maxsize)] == list(range(maxsize))
        assert not q.full()


@pytest.mark.mp_catches("mutants.messaging:get_timeout_ignored")
@pytest.mark.mp_api("Queue.get", "Queue.get(block)", "Queue.get(timeout)", "Queue.get_nowait")
@budget("process")
@given(timeouts=st.lists(st.floats(0.0, 0.05), max_size=2), waited=st.floats(0.005, 0.05))
def test_get_on_empty_queue_raises_empty(mp, timeouts, waited):
    """get(block=False) and get(timeout=t) on an empty Queue raise queue.Empty, after t at least.

    Every example includes one timeout well above the clock's rounding (``waited``): with
    only 0.0 and sub-millisecond ones, a get() that gives up at once would pass.
    """
    with queues(mp, "Queue") as (q,):
        with pytest.raises(queue.Empty):
            q.get(block=False)
        with pytest.raises(queue.Empty):
            q.get_nowait()
        for timeout in [*timeouts, waited]:
            t0 = time.monotonic()
            with pytest.raises(queue.Empty):
                q.get(timeout=timeout)
            elapsed = time.monotonic() - t0
            assert elapsed >= timeout - CLOCK_SLACK, (
                f"get(timeout={timeout}) gave up after {elapsed}"
            )


@pytest.mark.mp_catches("mutants.messaging:last_put_lost")
@pytest.mark.mp_api("Queue.empty", "Queue.get", "Queue.get(block)", "Queue.qsize")
@budget("process")
@given(count=st.integers(0, 6))
def test_qsize_and_empty_are_exact_when_quiescent(mp, count):
    """With the producer joined, qsize() counts the items left and empty() says whether any are.

    The producer puts a few small items, so its exit cannot block on a full pipe and joining
    it first is safe.
    """
    with queues(mp, "Queue") as (q,):
        assert finish(start(mp, kids.put_all, q, list(range(count)))) == 0
        for left in range(count, 0, -1):
            assert exact_qsize(q) == left
            assert not q.empty()
            assert q.get(block=False) == count - left
        assert exact_qsize(q) == 0
        assert q.empty()
        with pytest.raises(queue.Empty):
            q.get(block=False)


def outcome(call: Any) -> tuple[type, str] | None:
    """The type and message of the exception ``call()`` raised, or None.

    The exception itself is not kept: a traceback through the backend's frames would keep the
    queue alive after a failure, and under spawn its named semaphores with it (a LEAK).
    """
    try:
        call()
    except Exception as exc:
        return type(exc), str(exc)
    return None


def closed_and_used(q: Any, operation: str) -> tuple[type, str] | None:
    q.close()
    calls = {
        "put": lambda: q.put("late"),
        "get": lambda: q.get(timeout=0.01) if is_timed(q) else q.get(),
        "empty": q.empty,
    }
    return outcome(calls[operation])


@pytest.mark.parametrize("operation", ["put", "get"])
@pytest.mark.mp_api("Queue.close", "Queue.get", "Queue.put")
def test_closed_queue_raises_value_error(mp, operation):
    """After close(), put() and get() on that Queue raise ValueError (since Python 3.8)."""
    q = mp.Queue()
    require_method(q, "close")
    raised = closed_and_used(q, operation)
    q.join_thread()
    del q
    assert raised is not None, f"{operation}() after close() raised nothing"
    assert issubclass(raised[0], ValueError), f"{operation}() after close() raised {raised}"


@pytest.mark.mp_catches("mutants.messaging:last_put_lost")
@pytest.mark.mp_api("Queue", "Queue.get", "Queue.put", "Queue.put(obj)")
@budget("process")
@given(sizes=st.lists(st.sampled_from([0, 1, 100, 64 * 1024, 1024 * 1024]), max_size=6))
def test_items_put_by_exiting_child_are_not_lost(mp, sizes):
    """A child that puts items and exits normally loses none of them (drained before joining)."""
    values = [bytes([i % 256]) * size for i, size in enumerate(sizes)]
    with queues(mp, "Queue") as (q,):
        proc = start(mp, kids.put_all, q, values)
        try:
            got = [take(q, proc, f"item {i}") for i in range(len(values))]
        finally:
            finish(proc)
        assert proc.exitcode == 0
        assert [len(g) for g in got] == sizes
        wrong = [i for i, (g, v) in enumerate(zip(got, values)) if g != v]
        assert not wrong, f"items {wrong} arrived with the right sizes but different contents"


# More than any pipe buffer holds, so the feeder cannot finish writing without a reader.
BEYOND_PIPE = 4 * 1024 * 1024


@pytest.mark.mp_api("Queue")
@budget("process")
@given(wait=st.floats(0.01, 0.2))
def test_exiting_child_waits_until_its_items_are_read(mp, wait):
    """A child that put more than the pipe holds does not end before the items are read."""
    if mp.memory_model == "shared":
        raise Unsupported("threads share the queue: there is no feeder for an exit to wait on")
    value = b"q" * BEYOND_PIPE
    with queues(mp, "Queue") as (q,):
        proc = start(mp, kids.put_all, q, [value])
        try:
            proc.join(wait)
            still_running = proc.is_alive()
            got = take(q, proc, "the big item")
        finally:
            finish(proc)
        assert still_running, f"the child ended within {wait:.3f} s with its item unread"
        assert got == value
        assert proc.exitcode == 0


@pytest.mark.mp_api("Queue.cancel_join_thread")
@budget("process")
@given(count=st.integers(1, 3))
def test_cancel_join_thread_lets_a_child_exit_with_items_unread(mp, count):
    """After cancel_join_thread() a child ends without waiting for its items to be read."""
    with queues(mp, "Queue") as (q,):
        require_method(q, "cancel_join_thread")
        proc = start(mp, kids.put_all_then_cancel, q, [b"c" * BEYOND_PIPE] * count)
        assert finish(proc, what="a child that cancelled its feeder join") == 0


# -- JoinableQueue -----------------------------------------------------------------------------


@pytest.mark.mp_catches("mutants.messaging:join_when_empty")
@pytest.mark.mp_api("JoinableQueue.join", "JoinableQueue.task_done")
@budget("process")
@given(count=st.integers(1, 4), pause=st.floats(0.0, 0.02))
def test_joinable_queue_join_waits_for_every_task(mp, count, pause):
    """JoinableQueue.join() returns only after task_done() was called for every item put."""
    with queues(mp, "JoinableQueue") as (q,):
        held, go_on = mp.Event(), mp.Event()
        ours, theirs = mp.Pipe()
        # Started before the first put: put() starts the queue's feeder thread, and a fork
        # from a process with a running thread may deadlock in the child.
        proc = start(mp, kids.work_but_hold_last, q, count, theirs, held, go_on)
        for i in range(count):
            q.put(i)
        returned: list[int] = []

        def join_then_note_when() -> None:
            q.join()
            returned.append(time.monotonic_ns())

        joiner = threading.Thread(target=join_then_note_when)
        joiner.daemon = True
        try:
            assert held.wait(LIVENESS), "the worker never took its tasks"
            joiner.start()
            joiner.join(pause)
            assert not returned, f"join() returned with task {count - 1} still open"
            go_on.set()
            t_last = _expect(ours, proc, "the time of its last task_done()")
            joiner.join(LIVENESS)
            if joiner.is_alive():
                raise TestTimeout("join() still blocked after every task was done")
        finally:
            go_on.set()
            finish(proc)
        assert proc.exitcode == 0
        assert returned[0] >= t_last, "join() returned before the last task_done() was called"


@pytest.mark.mp_api("JoinableQueue.task_done")
@budget("process")
@given(count=st.integers(0, 4))
def test_task_done_too_often_raises_value_error(mp, count):
    """task_done() called more times than items were put raises ValueError."""
    with queues(mp, "JoinableQueue") as (q,):
        for i in range(count):
            q.put(i)
        for _ in range(count):
            take(q)
            q.task_done()
        with pytest.raises(ValueError):
            q.task_done()


# -- SimpleQueue -------------------------------------------------------------------------------


@pytest.mark.mp_catches("mutants.messaging:simple_queue_lifo")
@pytest.mark.mp_api(
    "SimpleQueue.empty", "SimpleQueue.get", "SimpleQueue.put", "SimpleQueue.put(item)"
)
@budget("process")
@given(values=st.lists(st.integers(), max_size=6))
def test_simple_queue_empty_put_get(mp, values):
    """SimpleQueue: empty() is True until a put, get() returns items in order, then empty again.

    The items come from a child that has set an event after its last put returned: SimpleQueue
    writes synchronously, so by then every item is in the pipe.
    """
    with queues(mp, "SimpleQueue") as (q,):
        assert q.empty()
        done = mp.Event()
        proc = start(mp, kids.put_all_then_signal, q, values, done)
        try:
            assert done.wait(LIVENESS), "the producer never finished its puts"
            assert q.empty() == (not values)
            got = []
            for _ in values:
                assert not q.empty()
                got.append(q.get())
            assert q.empty()
        finally:
            finish(proc)
        wrong = [i for i, (g, v) in enumerate(zip(got, values)) if g != v]
        assert not wrong, f"items {wrong} arrived with the right sizes but different contents"


@pytest.mark.mp_basis("cpython")
@pytest.mark.parametrize("operation", ["put", "get", "empty"])
@pytest.mark.mp_api("SimpleQueue.close")
def test_closed_simple_queue_raises_os_error(mp, operation):
    """After SimpleQueue.close(), put(), get() and empty() raise OSError.

    The documentation only says they must no longer be called; CPython closes both pipe ends.
    """
    q = mp.SimpleQueue()
    require_method(q, "close")
    raised = closed_and_used(q, operation)
    del q
    assert raised is not None, f"{operation}() after close() raised nothing"
    assert issubclass(raised[0], OSError), f"{operation}() after close() raised {raised}"


# -- pickling errors ---------------------------------------------------------------------------


# How long an item put by this process may take to come back through its own pipe: a liveness
# bound, far beyond a feeder thread's write on any loaded machine.
ROUND_TRIP_BOUND = scaled(10.0)


@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("Queue.get", "Queue.put", "Queue.put(obj)")
def test_unpicklable_item_is_dropped_and_later_items_still_arrive(mp):
    """put() of an object that cannot be pickled returns, the feeder thread drops it, and the
    items put after it still arrive.

    The documentation is silent. CPython pickles in the feeder thread, reports the error there
    (on stderr) and goes on with the next item; a feeder that dies instead loses every later
    item of that process.
    """
    with queues(mp, "Queue") as (q,):
        q.put(Refuses())
        q.put("after")
        got = kids.take(q, True, ROUND_TRIP_BOUND)
        assert got is not kids.NOTHING, (
            f"the item put after an unpicklable one never arrived (waited "
            f"{ROUND_TRIP_BOUND:g} s): the feeder thread stopped at the pickling error"
        )
        assert got == "after", f"got {short(got)} where CPython drops the unpicklable item"


@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("SimpleQueue.get", "SimpleQueue.put", "SimpleQueue.put(item)")
def test_simple_queue_put_of_an_unpicklable_object_raises(mp):
    """SimpleQueue.put() of an object that cannot be pickled raises the pickling error, and the
    queue stays usable.

    The documentation is silent; SimpleQueue pickles in put() itself, so the error reaches
    the caller and nothing is written.
    """
    with queues(mp, "SimpleQueue") as (q,):
        with pytest.raises(TypeError, match="will not be pickled"):
            q.put(Refuses())
        proc = start(mp, kids.put_all, q, ["after"])
        try:
            got = take(q, proc, "the item put after the failed put()")
        finally:
            finish(proc)
        assert got == "after", f"the first item after a failed put() was {short(got)}"
