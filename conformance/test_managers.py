"""Managers: a server process holds shared objects; proxies in other processes use them.

Each call through a proxy runs one method on the manager's object, so concurrent calls from
several processes never lose or duplicate an operation: the final state must be that of SOME
interleaving of each process's calls. Exceptions raised inside the manager reach the caller
with their original type, and the manager stays usable. Proxies, unlike raw locks and queues,
can be pickled to processes that are already running, so each property starts one manager and
a few long-lived agents (:func:`children_managers.serve`) and sends them fresh proxies per
Hypothesis example. A manager whose process ended (shutdown or death) must make proxy calls
fail with an error, never hang: every such call runs in a thread with a liveness bound.
"""

from __future__ import annotations

import array
import contextlib
import functools
import os
import queue
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any, Callable

import psutil
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mpconform import warm
from mpconform.agents import Agent, Reply, crew
from mpconform.agents import outcome as outcome_of
from mpconform.conformance import children_managers as kids
from mpconform.limits import scaled
from mpconform.outcomes import TestTimeout, Unsupported
from mpconform.profiles import budget
from mpconform.target import Target
from mpconform.waiting import LIVENESS, finish

pytestmark = pytest.mark.mp_area("Managers")

CLOCK_SLACK = 0.001  # a timeout rounded to whole milliseconds may return this early
SHUTDOWN_GRACE = scaled(5.0)  # seconds a manager process may take to disappear after shutdown()
QUIET = 0.02  # how long a blocked party is watched to see that it stays blocked
POLL = 0.01  # between looks at whether a process has ended
CLOSE_WAIT = scaled(5.0)  # a finished Caller's thread ends by then (a stuck one is a daemon)

# -- strategies --------------------------------------------------------------------------------

SMALL = st.integers(-3, 3)  # few distinct values, so remove/index/count find them often
INDEX = st.integers(-4, 4)  # some in range, some not: IndexError must come back as itself
BOUND = st.none() | INDEX
KEY = st.sampled_from(["a", "b", "c", "d"])

LIST_OPS = st.one_of(
    st.tuples(st.just("append"), SMALL),
    st.tuples(st.just("extend"), st.lists(SMALL, max_size=3)),
    st.tuples(st.just("insert"), INDEX, SMALL),
    st.tuples(st.just("pop")),
    st.tuples(st.just("pop"), INDEX),
    st.tuples(st.just("remove"), SMALL),
    st.tuples(st.just("index"), SMALL),
    st.tuples(st.just("count"), SMALL),
    st.tuples(st.just("__getitem__"), INDEX),
    st.tuples(st.just("__setitem__"), INDEX, SMALL),
    st.tuples(st.just("__delitem__"), INDEX),
    st.tuples(st.just("getslice"), BOUND, BOUND),
    st.tuples(st.just("setslice"), BOUND, BOUND, st.lists(SMALL, max_size=3)),
    st.tuples(st.just("__len__")),
    st.tuples(st.just("__contains__"), SMALL),
    st.tuples(st.just("sort"), st.booleans()),
    st.tuples(st.just("reverse")),
)

DICT_OPS = st.one_of(
    st.tuples(st.just("__setitem__"), KEY, SMALL),
    st.tuples(st.just("__getitem__"), KEY),
    st.tuples(st.just("__delitem__"), KEY),
    st.tuples(st.just("get"), KEY),
    st.tuples(st.just("get"), KEY, SMALL),
    st.tuples(st.just("pop"), KEY),
    st.tuples(st.just("pop"), KEY, SMALL),
    st.tuples(st.just("popitem")),
    st.tuples(st.just("setdefault"), KEY, SMALL),
    st.tuples(st.just("update"), st.dictionaries(KEY, SMALL, max_size=3)),
    st.tuples(st.just("__contains__"), KEY),
    st.tuples(st.just("__len__")),
    st.tuples(st.just("keys")),
    st.tuples(st.just("values")),
    st.tuples(st.just("items")),
    st.tuples(st.just("copy")),
    st.tuples(st.just("clear")),
)

# Dict operations that touch one key each, so processes with disjoint keys commute.
KEYED_DICT_OPS = st.one_of(
    st.tuples(st.just("__setitem__"), KEY, SMALL),
    st.tuples(st.just("__getitem__"), KEY),
    st.tuples(st.just("__delitem__"), KEY),
    st.tuples(st.just("get"), KEY, SMALL),
    st.tuples(st.just("pop"), KEY),
    st.tuples(st.just("pop"), KEY, SMALL),
    st.tuples(st.just("setdefault"), KEY, SMALL),
    st.tuples(st.just("update"), st.dictionaries(KEY, SMALL, max_size=2)),
    st.tuples(st.just("__contains__"), KEY),
)

# Per-agent workloads for the concurrency properties: long enough that calls really overlap.
WORKLOADS = st.lists(st.integers(1, 25), min_size=2, max_size=3)
COUNTER_STEPS = st.lists(
    st.tuples(st.just("increment"), st.integers(-5, 5))
    | st.tuples(st.just("value"))
    | st.tuples(st.just("fail"), st.sampled_from(sorted(kids.ERRORS)), st.text(max_size=5)),
    max_size=8,
)

# -- helpers -----------------------------------------------------------------------------------


class Caller:
    """One daemon thread that runs calls in order, each bounded by a liveness timeout.

    The proxies of one manager share one connection to it per thread: calls made through the
    same Caller reuse the connection its first call opened, while :func:`bounded` connects
    anew, so a property can try both. A call that neither returns nor raises ends as TIMEOUT,
    which is the hang the death properties exist to rule out; the thread is a daemon, so a
    stuck call cannot keep the test run from exiting.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="mpconform-caller", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            call, answers = job
            answers.put(outcome_of(call))

    def __call__(self, call: Callable[[], Any], what: str, timeout: float = LIVENESS) -> Reply:
        """How ``call()`` ended, as the agents' one Reply."""
        answers: queue.SimpleQueue = queue.SimpleQueue()
        self._jobs.put((call, answers))
        try:
            return answers.get(timeout=timeout)
        except queue.Empty:
            raise TestTimeout(f"{what} neither returned nor raised within {timeout:g} s") from None

    def close(self) -> None:
        """End the thread and wait for it (briefly): a thread still alive when a later test
        forks would make that fork a fork of a multi-threaded process."""
        self._jobs.put(None)
        self._thread.join(CLOSE_WAIT)


@contextlib.contextmanager
def caller() -> Iterator[Caller]:
    made = Caller()
    try:
        yield made
    finally:
        made.close()


def bounded(call: Callable[[], Any], what: str, timeout: float = LIVENESS) -> Reply:
    """:meth:`Caller.__call__` in a thread of its own."""
    with caller() as call_in_thread:
        return call_in_thread(call, what, timeout)


def new_children(mp: Target, before: set) -> list[Any]:
    """Children started since ``before`` was taken: a manager's process, found by public API."""
    return [p for p in mp.active_children() if p not in before]


def ended(proc: Any, timeout: float) -> bool:
    """Whether ``proc`` ended within ``timeout``, by its own account and the kernel's.

    ``join()`` is not enough: billiard's forkserver child reports its exit code before it
    exits, so is_alive() is False while the manager's threads still answer requests for a
    moment. The property is about the process, so it waits until the pid is gone or a zombie.
    """
    end = time.monotonic() + timeout
    proc.join(timeout)
    while time.monotonic() < end:
        try:
            if psutil.Process(proc.pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(POLL)
    return False


def stop_manager(manager: Any, procs: list[Any]) -> None:
    """Shut ``manager`` down (bounded) and make sure its process is gone, whatever happened."""
    shutdown = getattr(manager, "shutdown", None)
    try:
        if callable(shutdown):
            bounded(shutdown, "shutdown()")
    finally:
        for proc in procs:
            if proc.is_alive():  # os.kill, not Process.kill(): some backends lack it
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
            proc.join(LIVENESS)


@contextlib.contextmanager
def sync_manager(mp: Target) -> Iterator[Any]:
    """A started ``mp.Manager()`` for the whole property, kept warm across the properties
    that use it (see :mod:`mpconform.warm`).

    They are about proxies, not about starting or stopping a manager (the properties that are
    start their own), and each works on objects it creates itself, so a manager that served
    a passing test serves the next one; one that was there when a test failed is shut down.
    """

    def make() -> warm.Kept:
        before = set(mp.active_children())
        manager = mp.Manager()
        procs = new_children(mp, before)
        return warm.Kept(
            manager,
            pids=lambda: [p.pid for p in procs if isinstance(p.pid, int)],
            close=lambda: stop_manager(manager, procs),
            healthy=lambda: all(p.is_alive() for p in procs),
        )

    with warm.borrowed(("SyncManager", mp.id), make) as manager:
        yield manager


@contextlib.contextmanager
def counter_manager(mp: Target, *start: Any) -> Iterator[Any]:
    """A started BaseManager subclass of the backend's managers module, Counter registered;
    ``start`` are the arguments of its start() (initializer, initargs)."""
    mp.require("managers.BaseManager")
    cls = kids.counter_manager(mp.managers)
    manager = cls(ctx=mp.ctx)
    before = set(mp.active_children())
    manager.start(*start)
    procs = new_children(mp, before)
    try:
        yield manager
    finally:
        stop_manager(manager, procs)


def result(agent: Agent, job: str) -> Any:
    """The value ``job`` returned in ``agent``; an AssertionError naming it when it raised."""
    reply = agent.reply(f"the result of {job}")
    if reply.raised:
        raise AssertionError(f"{job} in {agent.name} raised {reply.raised[0]}: {reply.message}")
    return reply.value


def ask(agent: Agent, job: str, *args: Any) -> Any:
    agent.send(job, *args)
    return result(agent, job)


def workers(mp: Target, count: int) -> Any:
    """``count`` agents running :data:`children_managers.COMMANDS`, stopped however it ends."""
    return crew(mp, kids.COMMANDS, count, name="agent")


def together(jobs: list[tuple[Agent, str, tuple]]) -> list[Any]:
    """Run jobs that wait for a common start signal, so their calls overlap in time.

    Every worker that got its job is answered and read to the end, even when another failed,
    so that none is left waiting for a signal that the next example would misread.
    """
    for worker, job, args in jobs:
        worker.send(job, *args)
    ready = []
    problems = []
    for worker, job, _ in jobs:
        try:
            first = worker.note(f"{job} to get ready")
        except AssertionError as exc:  # it replied (raised) before noting READY
            problems.append(str(exc))
            continue
        if first == kids.READY:
            ready.append(worker)
        else:
            problems.append(f"{job} in {worker.name} noted {first!r} instead of ready")
    for worker in ready:
        worker.tell(kids.GO)
    results = []
    for worker, job, _ in jobs:
        if worker in ready:
            try:
                results.append(result(worker, job))
            except AssertionError as exc:
                problems.append(str(exc))
    assert not problems, "; ".join(problems)
    return results


def check_against_model(proxy: Any, model: Any, ops: list[tuple], kind: str) -> None:
    for step, op in enumerate(ops):
        expected = kids.apply(model, op)
        got = kids.apply(proxy, op)
        assert got.same(expected), (
            f"step {step}: {kind} proxy {op[0]}{tuple(op[1:])!r} {got.show()}; "
            f"a local {kind} {expected.show()}"
        )


def merged_in_order(final: list, sequences: list[list]) -> None:
    """``final`` holds each sequence's items exactly once and in that sequence's order."""
    wanted = sorted(x for seq in sequences for x in seq)
    got = sorted(final)
    lost = sorted(set(wanted) - set(got))
    assert not lost, f"{len(lost)} appended items are missing (lost updates), e.g. {lost[:5]}"
    extra = len(got) - len(wanted)
    assert got == wanted, f"{extra} items too many: some appends were applied twice"
    for agent, seq in enumerate(sequences):
        mine = [x for x in final if x[0] == agent]
        assert mine == seq, f"agent {agent}'s appends are out of order: {mine}"


# -- single-process semantics against a local model --------------------------------------------


@pytest.mark.mp_catches("mutants.managers:errors_become_remote_error")
@pytest.mark.mp_api("managers.SyncManager.list", "managers.SyncManager.list(sequence)")
def test_list_proxy_behaves_like_a_list(mp):
    """A list proxy returns what a local list returns, exceptions included, for any operations.

    Exceptions raised inside the manager (IndexError, ValueError) reach the caller with their
    original type and arguments, and the manager keeps serving the list afterwards.
    """
    with sync_manager(mp) as manager:

        @budget("cheap")
        @given(initial=st.lists(SMALL, max_size=5), ops=st.lists(LIST_OPS, max_size=12))
        def behaves(initial: list, ops: list[tuple]) -> None:
            proxy = manager.list(initial)
            model = list(initial)
            check_against_model(proxy, model, ops, "list")
            assert proxy[:] == model, f"list proxy holds {proxy[:]}, a local list {model}"

        behaves()


@pytest.mark.mp_catches(
    "mutants.managers:dict_get_ignores_default", "mutants.managers:errors_become_remote_error"
)
@pytest.mark.mp_api("managers.SyncManager.dict", "managers.SyncManager.dict(mapping)")
def test_dict_proxy_behaves_like_a_dict(mp):
    """A dict proxy returns what a local dict returns, exceptions included, for any operations.

    KeyError from a missing key reaches the caller as KeyError with the key; get() and pop()
    honour their default; popitem() follows insertion order as a dict does.
    """
    with sync_manager(mp) as manager:

        @budget("cheap")
        @given(initial=st.dictionaries(KEY, SMALL, max_size=3), ops=st.lists(DICT_OPS, max_size=12))
        def behaves(initial: dict, ops: list[tuple]) -> None:
            proxy = manager.dict(initial)
            model = dict(initial)
            check_against_model(proxy, model, ops, "dict")
            assert proxy.copy() == model, f"dict proxy holds {proxy.copy()}, a local dict {model}"

        behaves()


# -- several processes on one object ------------------------------------------------------------


@pytest.mark.mp_catches("mutants.managers:list_append_not_atomic")
@pytest.mark.mp_api("managers.SyncManager.list")
def test_list_appends_from_several_processes_interleave(mp):
    """Appends from several processes to one list proxy are neither lost nor duplicated.

    Each append is one call on the manager, so the final list is a merge of every process's
    appends that keeps each process's order.
    """
    with sync_manager(mp) as manager, workers(mp, 3) as agents:

        @budget("process")
        @given(counts=WORKLOADS)
        def interleave(counts: list[int]) -> None:
            shared = manager.list()
            sequences = [[(a, i) for i in range(n)] for a, n in enumerate(counts)]
            together([(agents[a], "append_all", (shared, seq)) for a, seq in enumerate(sequences)])
            merged_in_order(shared[:], sequences)

        interleave()


def owned(op: tuple, prefix: str) -> tuple:
    """``op`` with its keys moved into the key space of one process."""
    name, *args = op
    if name == "update":
        return (name, {prefix + key: value for key, value in args[0].items()})
    return (name, prefix + args[0], *args[1:])


@pytest.mark.mp_catches("mutants.managers:dict_setitem_not_atomic")
@pytest.mark.mp_api("managers.SyncManager.dict")
def test_dict_operations_from_several_processes_are_atomic(mp):
    """Operations from several processes on one dict proxy each behave as on a local dict.

    Each process works on keys of its own, so every interleaving of single calls gives each
    process the results a local dict would give it, and leaves the union of their dicts.
    A call that was not atomic on the manager (a lost or doubled write) shows as a wrong
    result or a wrong final dict.
    """
    with sync_manager(mp) as manager, workers(mp, 3) as agents:

        @budget("process")
        @example(workloads=[[("__setitem__", f"k{i}", i) for i in range(30)]] * 3)  # a race
        @given(
            workloads=st.lists(
                st.lists(KEYED_DICT_OPS, min_size=10, max_size=30), min_size=2, max_size=3
            )
        )
        def atomic(workloads: list[list[tuple]]) -> None:
            shared = manager.dict()
            ops = [[owned(op, f"{a}:") for op in load] for a, load in enumerate(workloads)]
            jobs = [(agents[a], "apply_all", (shared, mine)) for a, mine in enumerate(ops)]
            models: list[dict] = [{} for _ in ops]
            for a, (got, mine) in enumerate(zip(together(jobs), ops)):
                expected = [kids.apply(models[a], op) for op in mine]
                assert len(got) == len(expected), f"process {a} ran {len(got)} of {len(mine)}"
                for step, (g, e) in enumerate(zip(got, expected)):
                    assert g.same(e), (
                        f"process {a}, step {step}: {mine[step][0]}{tuple(mine[step][1:])!r} "
                        f"{g.show()}; on a local dict it {e.show()}"
                    )
            union = {k: v for model in models for k, v in model.items()}
            final = shared.copy()
            assert final == union, f"the dict ends as {final}; expected {union}"

        atomic()


@pytest.mark.mp_catches("mutants.managers:namespace_writes_stay_local")
@pytest.mark.mp_api("managers.Namespace", "managers.SyncManager.Namespace")
def test_namespace_attributes_set_by_children_are_seen(mp):
    """Attributes set on a Namespace proxy by other processes are read back by this one."""
    with sync_manager(mp) as manager, workers(mp, 3) as agents:

        @budget("process")
        @given(counts=WORKLOADS, value=st.text(max_size=4))
        def seen(counts: list[int], value: str) -> None:
            ns = manager.Namespace()
            items = [
                [(f"a{a}_{i}", value + str(i)) for i in range(n)] for a, n in enumerate(counts)
            ]
            together([(agents[a], "set_attributes", (ns, its)) for a, its in enumerate(items)])
            for its in items:
                for name, expected in its:
                    got = getattr(ns, name, "<missing>")
                    assert got == expected, f"ns.{name} reads {got!r}; a child set {expected!r}"

        seen()


@pytest.mark.mp_api(
    "managers.SyncManager.Array",
    "managers.SyncManager.Array(sequence)",
    "managers.SyncManager.Lock",
    "managers.SyncManager.Value",
    "managers.SyncManager.Value(value)",
)
def test_value_and_array_updates_under_a_lock_proxy_are_not_lost(mp):
    """Read-modify-write of Value and Array proxies under a Lock proxy loses no update.

    Each process increments the shared Value and its own Array slot with the lock held, so
    the Value ends at the total number of increments and each slot at its process's count.
    """
    with sync_manager(mp) as manager, workers(mp, 3) as agents:

        @budget("process")
        @given(counts=WORKLOADS)
        def counted(counts: list[int]) -> None:
            lock = manager.Lock()
            value = manager.Value("i", 0)
            array = manager.Array("i", [0] * len(counts))
            jobs = [
                (agents[a], "increment_under_lock", (lock, value, array, a, n))
                for a, n in enumerate(counts)
            ]
            together(jobs)
            assert value.value == sum(counts), (
                f"Value ends at {value.value} after {sum(counts)} increments under the lock"
            )
            assert list(array[:]) == counts, f"Array slots {array[:]}, expected {counts}"

        counted()


TYPECODES = st.sampled_from("bBhHiIlLqQfd")
# Values an array of some typecodes refuses: out of range, negative for unsigned, float for int.
ARRAY_VALUES = st.one_of(
    st.integers(-300, 300),
    st.integers(-(2**64), 2**64),
    st.floats(-1e6, 1e6, allow_nan=False),
)


def stored(make: Callable[[], Any]) -> tuple[str, Any]:
    """What ``make()`` holds, items with their types, or the type of what it raised."""
    try:
        return "holds", [(type(v).__name__, v) for v in make()]
    except Exception as exc:
        return "raises", type(exc).__name__


@pytest.mark.mp_catches("mutants.managers:array_typecode_ignored")
@pytest.mark.mp_api(
    "managers.SyncManager.Array",
    "managers.SyncManager.Array(sequence)",
    "managers.SyncManager.Array(typecode)",
)
def test_array_proxy_holds_what_an_array_of_its_typecode_holds(mp):
    """Array(typecode, sequence) on a manager stores and refuses values as array(typecode) does.

    The manager builds ``array.array(typecode, sequence)``, so the typecode decides which values
    are accepted (int or float, its range) and how they are stored (a 'd' array turns ints into
    floats, an 'f' one rounds to single precision), at creation and on item assignment. A
    refused creation may raise any error (CPython's manager wraps it in RemoteError); a refused
    assignment raises the array's own error type.
    """
    with sync_manager(mp) as manager:

        @budget("cheap")
        @example(typecode="i", values=[1, 2.5], new=3)
        @example(typecode="d", values=[1, -2], new=7)
        @example(typecode="B", values=[255], new=-1)
        @given(typecode=TYPECODES, values=st.lists(ARRAY_VALUES, max_size=4), new=ARRAY_VALUES)
        def check(typecode: str, values: list, new: Any) -> None:
            local = stored(lambda: array.array(typecode, values))
            try:
                proxy = manager.Array(typecode, values)
            except Exception as exc:
                # CPython's manager sends a failed creation back as RemoteError, whatever failed
                refused = f"{type(exc).__name__}: {str(exc)[-200:]}"
                assert local[0] == "raises", (
                    f"Array({typecode!r}, {values!r}) raised {refused}; "
                    f"array.array holds {local[1]}"
                )
                return
            got = stored(lambda: proxy[:])
            assert got == local, (
                f"Array({typecode!r}, {values!r}) {got[0]} {got[1]}; "
                f"array.array {local[0]} {local[1]}"
            )
            if not values:
                return

            def assign(target: Any) -> Any:
                target[0] = new
                return target[:]

            expected = stored(lambda: assign(array.array(typecode, values)))
            got = stored(lambda: assign(proxy))
            assert got == expected, (
                f"Array({typecode!r}, {values!r})[0] = {new!r} {got[0]} {got[1]}; "
                f"array.array {expected[0]} {expected[1]}"
            )

        check()


@pytest.mark.mp_api("managers.SyncManager.dict", "managers.SyncManager.list")
def test_nested_proxy_writes_are_visible(mp):
    """A dict proxy stored in a list proxy can be changed through the list, from another process.

    Supported since Python 3.6: ``outer[0]`` returns a proxy to the same dict, not a copy.
    """
    with sync_manager(mp) as manager, workers(mp, 1) as (agent,):

        @budget("process")
        @given(items=st.lists(st.tuples(KEY, SMALL), min_size=1, max_size=5), extra=SMALL)
        def visible(items: list[tuple[str, int]], extra: int) -> None:
            inner = manager.dict()
            outer = manager.list([inner])
            ask(agent, "mutate_nested", outer, items)
            expected = dict(items)
            fetched = outer[0]
            assert fetched is inner or not isinstance(fetched, dict), (
                f"outer[0] returned a plain dict copy {fetched!r}, not a proxy: nested proxies "
                "(CPython 3.6+) are not supported, so writes through it are lost"
            )
            assert inner.copy() == expected, (
                f"the inner dict holds {inner.copy()} after a child wrote {expected} through "
                "the outer list"
            )
            outer[0]["extra"] = extra
            assert inner.get("extra") == extra, "a write through outer[0] here did not reach it"

        visible()


@pytest.mark.mp_api("Manager", "managers.BaseProxy")
def test_proxies_passed_at_process_creation_work_in_the_child(mp):
    """Proxies given to a new Process as arguments work in the child and its writes are seen.

    The documentation's own example; under spawn and forkserver the proxies are pickled with
    the manager's authkey while the child is being started, a path the agents don't take.
    """
    with sync_manager(mp) as manager:
        items = [(1, "1"), ("2", 2), (0.25, None)]
        d, lst, ns = manager.dict(), manager.list(range(5)), manager.Namespace()
        proc = mp.Process(target=kids.fill, args=(d, lst, ns, items))
        proc.start()
        assert finish(proc) == 0, f"the child ended with exitcode {proc.exitcode}"
        assert d.copy() == dict(items), f"the dict holds {d.copy()}, the child set {items}"
        assert lst[:] == [4, 3, 2, 1, 0], f"the list reads {lst[:]} after the child's reverse()"
        assert getattr(ns, "filled", None) == len(items), "the child's Namespace write is lost"


@pytest.mark.mp_api(
    "AuthenticationError",
    "managers.BaseManager",
    "managers.BaseManager(address)",
    "managers.BaseManager(authkey)",
    "managers.BaseManager.address",
    "managers.BaseManager.connect",
    "managers.SyncManager",
)
@budget("process")
@given(key=st.binary(min_size=1, max_size=16), wrong=st.binary(min_size=1, max_size=16))
def test_manager_accepts_only_clients_with_its_authkey(mp, key, wrong):
    """A manager object connect()ed by address with the authkey serves; a wrong key is refused.

    connect() with another authkey raises AuthenticationError and the manager keeps serving.
    """
    mp.require("managers.SyncManager")
    if wrong == key:
        wrong = key + b"!"
    cls = mp.managers.SyncManager
    manager = cls(ctx=mp.ctx, authkey=key)
    before = set(mp.active_children())
    manager.start()
    procs = new_children(mp, before)
    try:
        client = cls(address=manager.address, authkey=key, ctx=mp.ctx)
        client.connect()
        assert client.dict({"k": key}).copy() == {"k": key}, "a proxy from connect() failed"
        intruder = cls(address=manager.address, authkey=wrong, ctx=mp.ctx)
        outcome = bounded(intruder.connect, "connect() with a wrong authkey")
        assert not outcome.ok, "connect() with a wrong authkey succeeded"
        assert outcome.is_a(mp.AuthenticationError.__name__), (
            f"connect() with a wrong authkey {outcome.show()}, not AuthenticationError"
        )
        assert manager.list([1])[:] == [1], "the manager stopped serving after the refusal"
    finally:
        stop_manager(manager, procs)


# -- queues and synchronisation primitives --------------------------------------------------------


@pytest.mark.mp_catches("mutants.managers:queue_proxy_lifo")
@pytest.mark.parametrize("kind", ["Queue", "JoinableQueue"])
@pytest.mark.mp_api("managers.SyncManager.Queue")
def test_queue_proxy_is_fifo_across_processes(mp, kind):
    """Items put on a Queue proxy by one process are got by another in the order they were put.

    A proxy's put() returns once the manager's queue holds the item, so unlike
    ``multiprocessing.Queue`` the order is real-time FIFO. For JoinableQueue, join() returns
    once the consumer called task_done() for every item.
    """
    with sync_manager(mp) as manager, workers(mp, 2) as (producer, consumer):

        @budget("process")
        @given(values=st.lists(SMALL, min_size=1, max_size=10))
        def fifo(values: list[int]) -> None:
            q = getattr(manager, kind)()
            tagged = list(enumerate(values))
            ask(producer, "put_all", q, tagged)
            got = ask(consumer, "consume_all", q, len(tagged))
            assert got == tagged, f"put {tagged}, got {got}"
            if kind == "JoinableQueue":
                outcome = bounded(q.join, "join() after every task_done()")
                assert outcome.ok, f"join() {outcome.show()}"

        fifo()


LOCKS = {
    "Lock": lambda m: m.Lock(),
    "RLock": lambda m: m.RLock(),
    "Semaphore": lambda m: m.Semaphore(1),
    "BoundedSemaphore": lambda m: m.BoundedSemaphore(1),
}


@pytest.mark.parametrize("kind", sorted(LOCKS))
@pytest.mark.mp_api(
    "managers.SyncManager.BoundedSemaphore",
    "managers.SyncManager.Lock",
    "managers.SyncManager.RLock",
    "managers.SyncManager.Semaphore",
)
def test_lock_proxy_excludes_other_processes(mp, kind):
    """acquire(False) returns False while another process holds a lock proxy, True once freed.

    acquire(timeout=t) also returns False, after t at least.
    """
    with sync_manager(mp) as manager, workers(mp, 1) as (holder,):

        @budget("process")
        @given(timeout=st.floats(0.0, 0.03))
        def excludes(timeout: float) -> None:
            lock = LOCKS[kind](manager)
            holder.send("hold", lock)
            assert holder.note("the lock to be held") == "held"
            try:
                assert lock.acquire(False) is False, "acquire(False) succeeded while held"
                t0 = time.monotonic()
                assert lock.acquire(timeout=timeout) is False, "acquire(timeout) succeeded"
                elapsed = time.monotonic() - t0
                assert elapsed >= timeout - CLOCK_SLACK, (
                    f"acquire(timeout={timeout}) gave up after {elapsed:.4f} s"
                )
            finally:
                holder.tell(kids.GO)
                released = result(holder, "hold")
            assert released is True, "the holder did not get the release signal"
            assert lock.acquire(False) is True, "acquire(False) failed after the holder released"
            lock.release()

        excludes()


@pytest.mark.mp_api("managers.SyncManager.Event")
def test_event_proxy_set_is_seen_by_another_process(mp):
    """An Event proxy set by one process wakes a process waiting on it; clear() resets it."""
    with sync_manager(mp) as manager, workers(mp, 1) as (waiter,):
        for _ in range(3):
            event = manager.Event()
            waiter.send("wait_event", event)
            assert waiter.note("is_set() before waiting") == ("before", False)
            event.set()
            _, woke = result(waiter, "wait_event")
            assert woke is True, "wait() in the other process returned False after set()"
            assert event.is_set()
            event.clear()
            assert not event.is_set(), "is_set() is still True after clear()"


@pytest.mark.mp_api("managers.SyncManager.Condition")
def test_condition_proxy_notify_wakes_a_waiter(mp):
    """notify() on a Condition proxy wakes a process waiting on it, and wait() returns True."""
    with sync_manager(mp) as manager, workers(mp, 1) as (waiter,):
        for _ in range(3):
            condition = manager.Condition()
            waiter.send("wait_condition", condition)
            assert waiter.note("the waiter to wait") == "waiting"
            with condition:  # acquired only once the waiter's wait() released the lock
                condition.notify()
            assert result(waiter, "wait_condition") is True, "wait() timed out: notify was lost"


@pytest.mark.mp_api("managers.SyncManager.Barrier", "managers.SyncManager.Barrier(parties)")
def test_barrier_proxy_releases_all_parties_together(mp):
    """A Barrier proxy keeps every party waiting until the last arrives, then releases them all.

    wait() returns a distinct index in range(parties) to each party.
    """
    with sync_manager(mp) as manager, workers(mp, 3) as agents:

        @budget("process")
        @given(parties=st.integers(2, 4))
        def releases(parties: int) -> None:
            barrier = manager.Barrier(parties)
            others = agents[: parties - 1]
            for agent in others:
                agent.send("pass_barrier", barrier)
            for agent in others:
                assert agent.note("the party to arrive") == kids.READY
            early = [a.name for a in others if a.conn.poll(QUIET)]
            mine = barrier.wait(LIVENESS)
            indices = sorted([mine] + [result(a, "pass_barrier") for a in others])
            assert not early, f"{early} passed the barrier before the last party arrived"
            assert indices == list(range(parties)), f"wait() returned indices {indices}"

        releases()


# -- custom managers ----------------------------------------------------------------------------


@pytest.mark.mp_requires("managers.BaseManager")
@pytest.mark.mp_api(
    "managers.BaseManager",
    "managers.BaseManager.register",
    "managers.BaseManager.register(callable)",
    "managers.BaseManager.register(typeid)",
)
def test_registered_type_is_usable_from_a_child(mp):
    """A type registered on a BaseManager subclass works through a proxy in another process.

    Methods return what the object returns; an exception it raises, a user-defined one too,
    reaches the caller with its type and arguments.
    """
    with counter_manager(mp) as manager, workers(mp, 1) as (agent,):

        @budget("cheap")
        @given(start=st.integers(-3, 3), steps=COUNTER_STEPS)
        def usable(start: int, steps: list[tuple]) -> None:
            counter = manager.Counter(start)
            got = ask(agent, "use_counter", counter, steps)
            local = kids.Counter(start)
            expected = kids.use_counter(None, local, steps)
            same = len(got) == len(expected) and all(g.same(e) for g, e in zip(got, expected))
            assert same, (
                f"through a proxy: {[g.show() for g in got]}; "
                f"on a local Counter: {[e.show() for e in expected]}"
            )
            assert counter.value() == local.value(), "the manager's Counter ended elsewhere"

        usable()


@pytest.mark.mp_catches("mutants.managers:exposed_ignored")
@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_requires("managers.BaseManager")
@pytest.mark.mp_api("managers.BaseManager.register", "managers.BaseManager.register(exposed)")
def test_unexposed_method_is_refused(mp):
    """A method left out of exposed= is not on the proxy and the manager refuses to call it.

    The documentation says exposed= lists the methods ``_callmethod()`` may call; CPython's
    proxy has no attribute for another method (AttributeError) and its manager answers
    ``_callmethod()`` of it with an error (RemoteError) without running it.
    """
    with counter_manager(mp) as manager:
        counter = manager.RestrictedCounter(5)
        assert counter.increment(2) == 7, "an exposed method did not work"
        assert not hasattr(counter, "reset"), "the proxy has the unexposed method reset()"
        outcome = bounded(lambda: counter._callmethod("reset"), "_callmethod('reset')")
        assert not outcome.ok, "_callmethod('reset') of an unexposed method returned"
        assert counter.value() == 7, "the unexposed reset() ran on the manager"


# -- shutdown and death -------------------------------------------------------------------------


def expect_failure(
    call: Callable[[Callable[[], Any], str], Reply], proxy: Any, method: str, *args: Any
) -> str:
    """Call a proxy method that must fail; the exception's name, or a failure message."""
    outcome = call(lambda: getattr(proxy, method)(*args), f"{method}() on a dead manager")
    assert not outcome.ok, f"{method}() {outcome.show()} with its manager gone"
    return outcome.raised[0]


def start_for(mp: Target, how: str) -> Any:
    if how == "with":
        return mp.Manager()
    mp.require("managers.SyncManager")
    manager = mp.managers.SyncManager(ctx=mp.ctx)
    manager.start()
    return manager


@pytest.mark.mp_catches("mutants.managers:shutdown_leaves_process")
@pytest.mark.parametrize("how", ["with", "shutdown"])
@pytest.mark.mp_api("Manager", "managers.BaseManager.shutdown")
def test_shutdown_ends_the_manager_process(mp, how):
    """shutdown(), or the end of a with block, ends the manager's process; proxies then raise.

    CPython 3.11 raises BrokenPipeError over a connection opened before the shutdown and
    FileNotFoundError (the socket is gone) when a thread connects afterwards; any exception
    is accepted, a returned value is not.
    """
    before = set(mp.active_children())
    manager = start_for(mp, how)
    procs = new_children(mp, before)
    try:
        with caller() as call:
            if how == "with":
                if not hasattr(type(manager), "__enter__"):
                    raise AssertionError(
                        f"Manager() returned {manager!r}, which is not a context manager; "
                        "CPython returns a started SyncManager"
                    )
                with manager as entered:
                    shared = entered.list([1])
                    assert call(lambda: shared.append(2), "append()").ok
            else:
                shared = manager.list([1])
                assert call(lambda: shared.append(2), "append()").ok
                bounded(manager.shutdown, "shutdown()")
            still = [proc.pid for proc in procs if not ended(proc, SHUTDOWN_GRACE)]
            assert not still, (
                f"manager process {still} still runs {SHUTDOWN_GRACE:g} s after shutdown"
            )
            expect_failure(call, shared, "append", 3)  # over the connection opened above
            expect_failure(bounded, shared, "append", 4)  # over a new connection
    finally:
        stop_manager(manager, procs)


@pytest.mark.mp_api("managers.BaseProxy")
def test_killed_manager_makes_proxy_calls_fail(mp):
    """When the manager process dies, proxy calls raise an error instead of hanging.

    CPython 3.11 raises BrokenPipeError over a connection opened before the death and
    ConnectionRefusedError when a thread connects afterwards; any exception is accepted, a
    hang (TIMEOUT) or a returned value is not. shutdown() afterwards returns.
    """
    before = set(mp.active_children())
    manager = mp.Manager()
    procs = new_children(mp, before)
    try:
        if len(procs) != 1:
            raise Unsupported(f"Manager() started {len(procs)} child processes, not one to kill")
        with workers(mp, 1) as (agent,), caller() as call:
            used, unused, held = manager.list([1]), manager.dict(), manager.Lock()
            # The caller's thread opens a connection to the manager; so does the agent.
            assert call(lambda: used[:], "used[:]").get() == [1]
            assert call(lambda: held.acquire(False), "acquire(False)").get() is True
            assert ask(agent, "keep", "used", used) == 1
            os.kill(procs[0].pid, signal.SIGKILL)  # not Process.kill(): some backends lack it
            procs[0].join(LIVENESS)
            expect_failure(call, used, "append", 3)
            expect_failure(call, held, "release")
            expect_failure(bounded, unused, "keys")  # from a thread with no connection yet
            answer = agent.call("call_kept", "used", "__len__")
            assert not answer.ok, f"len() in another process {answer.show()}"
        outcome = bounded(manager.shutdown, "shutdown() after the manager died")
        assert outcome.ok, f"shutdown() {outcome.show()}"
    finally:
        stop_manager(manager, procs)


# -- the rest of the documented manager and proxy API ------------------------------------------


@pytest.mark.mp_catches("mutants.managers:initializer_ignored")
@pytest.mark.mp_api(
    "managers.BaseManager.start",
    "managers.BaseManager.start(initargs)",
    "managers.BaseManager.start(initializer)",
)
def test_start_runs_the_initializer_in_the_manager_process(mp):
    """start(initializer, initargs) calls initializer(*initargs) in the manager's process.

    What it stored there is what an object the manager serves then sees.
    """
    token = f"marker {os.getpid()} {time.monotonic_ns()}"
    with counter_manager(mp, kids.set_marker, (token,)) as manager:
        seen = manager.Marker().value()
    assert seen == token, f"the manager's objects see {seen!r}, the initializer stored {token!r}"


@pytest.mark.mp_catches("mutants.managers:method_to_typeid_ignored")
@pytest.mark.mp_api(
    "managers.BaseManager.register",
    "managers.BaseManager.register(create_method)",
    "managers.BaseManager.register(method_to_typeid)",
    "managers.BaseManager.register(proxytype)",
    "managers.BaseProxy._callmethod",
    "managers.BaseProxy._callmethod(args)",
    "managers.BaseProxy._callmethod(kwds)",
    "managers.BaseProxy._callmethod(methodname)",
    "managers.BaseProxy._getvalue",
)
def test_register_options_shape_the_proxies_a_manager_returns(mp):
    """register()'s proxytype, method_to_typeid and create_method shape what a manager returns.

    A proxytype whose methods call _callmethod() (with args and with kwds) is what the
    manager's method returns; a method named in method_to_typeid returns a proxy of that
    typeid instead of a copy; create_method=False gives the manager class no method for the
    typeid, which is still served through method_to_typeid. _getvalue() returns a copy of the
    referent.
    """
    with counter_manager(mp) as manager:
        assert not hasattr(manager, "HiddenCounter"), "create_method=False still made a method"
        counter = manager.CopyingCounter(3)
        assert type(counter).__name__.endswith(kids.PROXY), f"the proxy is a {type(counter)}"
        assert counter.increment(2) == 5, "_callmethod('increment', kwds=...) did not count"
        copy = counter.copy()
        assert isinstance(copy, type(counter)), f"copy() returned {type(copy)}, not a proxy"
        assert copy.increment(1) == 6 and counter.value() == 5, "the copy is not its own object"
        plain = copy._callmethod("increment", (10,))
        assert plain == 16, f"_callmethod('increment', (10,)) returned {plain}"
        local = counter._getvalue()
        assert isinstance(local, kids.Counter) and local.value() == 5, f"_getvalue() is {local!r}"
        local.increment(100)
        assert counter.value() == 5, "changing _getvalue()'s copy changed the referent"


@pytest.mark.mp_catches("mutants.managers:queue_maxsize_ignored")
@pytest.mark.mp_api(
    "managers.SyncManager.Barrier",
    "managers.SyncManager.Barrier(action)",
    "managers.SyncManager.Barrier(timeout)",
    "managers.SyncManager.BoundedSemaphore",
    "managers.SyncManager.BoundedSemaphore(value)",
    "managers.SyncManager.Condition",
    "managers.SyncManager.Condition(lock)",
    "managers.SyncManager.Queue",
    "managers.SyncManager.Queue(maxsize)",
    "managers.SyncManager.Semaphore",
    "managers.SyncManager.Semaphore(value)",
    "managers.SyncManager.dict",
    "managers.SyncManager.dict(sequence)",
)
def test_sync_manager_factories_honour_their_arguments(mp, tmp_path):
    """SyncManager's factories honour their documented arguments, as the local objects do.

    Queue(maxsize) fills up, Semaphore(value) and BoundedSemaphore(value) grant that many
    acquisitions (the bounded one refuses an extra release), Condition(lock) holds that lock,
    Barrier(parties, action, timeout) runs its action and breaks after its timeout, and
    dict(sequence) holds the pairs.
    """
    with sync_manager(mp) as manager:
        q = manager.Queue(maxsize=1)
        q.put_nowait(1)
        with pytest.raises(queue.Full):
            q.put_nowait(2)
        for factory in ("Semaphore", "BoundedSemaphore"):
            sem = getattr(manager, factory)(2)
            grants = [sem.acquire(False) for _ in range(3)]
            assert grants == [True, True, False], f"{factory}(2) granted {grants}"
            sem.release()
            sem.release()
        extra = outcome_of(manager.BoundedSemaphore(1).release)
        assert extra.is_a("ValueError"), f"BoundedSemaphore(1).release() {extra.show()}"
        lock = manager.Lock()
        cond = manager.Condition(lock)
        with cond:
            taken = lock.acquire(False)
        assert taken is False, "Condition(lock) held does not hold its lock"
        assert lock.acquire(False), "the lock stayed held after the Condition was released"
        lock.release()
        timed = manager.Barrier(2, timeout=0.05)
        broken = outcome_of(timed.wait)
        assert broken.is_a("BrokenBarrierError"), f"wait() past its timeout {broken.show()}"
        record = tmp_path / "actions"
        with_action = manager.Barrier(1, action=functools.partial(kids.note_action, str(record)))
        for _ in range(2):
            with_action.wait(LIVENESS)
        cycles = record.read_text().count("cycle") if record.exists() else 0
        assert cycles == 2, f"the Barrier's action ran {cycles} times in 2 cycles"
        assert manager.dict([("a", 1), ("b", 2)]).copy() == {"a": 1, "b": 2}, "dict(sequence)"


@pytest.mark.mp_catches("mutants.managers:proxy_str_is_repr")
@pytest.mark.mp_api("managers.BaseProxy.__repr__", "managers.BaseProxy.__str__")
def test_a_proxy_prints_as_its_referent_and_represents_itself(mp):
    """str() of a proxy is the referent's representation; repr() describes the proxy itself."""
    mp.require("managers.SyncManager")  # multiprocessing.dummy's Manager hands out plain lists
    with sync_manager(mp) as manager:
        items = [1, "two", (3,)]
        proxy = manager.list(items)
        assert str(proxy) == repr(items), f"str() of a list proxy is {str(proxy)!r}"
        assert repr(proxy) != repr(items), f"repr() of the proxy is the referent's: {repr(proxy)!r}"
