"""Stress workloads: sustained contention and volume, checked while they run, with figures.

Each test loops in rounds until the ``mp_stress`` budget is spent (``--mp-stress-seconds``;
ci 2 s, thorough 60 s) and records its throughput and what it verified after every round, so
an interrupted run still reports exactly what was checked. Safety violations fail the test;
the figures (``ops_per_s`` and friends) and the liveness outcomes of the nemesis workloads are
reported, never judged: a slow backend is not a wrong one.

What each checks: lock contention (2-4 x cpu_count processes; owner cell, critical-section
overlap, final count), Value.get_lock() increments (every old value once, final count), queue
volume (several producers and consumers, tiny and multi-MiB items, bounded and unbounded; no
loss, duplication, invention or per-producer reordering), duplex pipe floods (sequence numbers
both ways at once), Pool throughput (results), Condition and Event ping-pong (strict
alternation). Lock contention and queue volume run with history recording on and off, and
report both throughputs and their ratio: the price of the checking itself.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from mpconform.checkers import History, Op, Section, screen_critical_sections, screen_queue
from mpconform.outcomes import TestTimeout, Unsupported
from mpconform.plugin import only_first_start_method
from mpconform.stress import nemesis
from mpconform.stress import workloads as wl
from mpconform.stress.programs import release_queue
from mpconform.stress.runner import has_signals
from mpconform.stressing import StressRun
from mpconform.target import Target
from mpconform.waiting import LIVENESS, finish, join, receive


def smoke_once(mp: Target, stress: StressRun, request: pytest.FixtureRequest) -> None:
    """A throughput workload's smoke (the ci profile) runs under one start method per backend.

    Once its processes run, a workload is the same code under every start method, and a
    smoke's figures are no measurement; what a smoke proves (the workload runs, its detector
    finds nothing) one start method proves. With a real budget (``--mp-stress-seconds``,
    ``thorough``) every start method runs, for figures per column. Start-method behaviour
    itself is the conformance properties' and the stress scenarios' to check.
    """
    if stress.smoke:
        only_first_start_method(mp, request, "a throughput smoke runs the same code once started")


pytestmark = pytest.mark.mp_area("Stress: workloads")

BIG_SIZE = 2 * 1024 * 1024 + 1  # a multi-MiB item: many pipe writes per message
BIG_EVERY = 1000
PAUSE = 0.02  # seconds a paused worker stays stopped
SMOKE_SLICE = 0.05  # seconds per measured run in a smoke: thousands of operations
SMOKE_ITEMS = 2000  # items per producer in a smoke's queue runs (a lost 50th shows 100 times)
SHOWN = 10  # problems quoted in a failure message
KILLED_HOLDER_WINDOW = 0.2  # seconds a killed holder's lock has to show it was freed


def slice_of(stress: StressRun) -> float:
    """Seconds per measured run: short in a smoke, longer when the budget is long."""
    if stress.smoke:
        return SMOKE_SLICE
    return min(max(stress.seconds / 10, 0.25), 2.0)


def history_variants(stress: StressRun) -> tuple[bool, ...]:
    """With history (the detector) always; without it too when figures are wanted (the
    overhead ratio), which a smoke leaves out."""
    return (True,) if stress.smoke else (True, False)


def cpus() -> int:
    return multiprocessing.cpu_count() or 1


@contextlib.contextmanager
def started(procs: Sequence[Any]) -> Iterator[None]:
    """Start ``procs``; however the block ends, none is left running."""
    try:
        for proc in procs:
            proc.start()
        yield
    finally:
        for proc in procs:
            if proc.is_alive() and isinstance(proc.pid, int):
                nemesis.kill(proc)
            with contextlib.suppress(TestTimeout, Exception):
                join(proc, 5)


@contextlib.contextmanager
def nemesis_on(name: str | None, procs: Sequence[Any]) -> Iterator[dict]:
    """``pin``: every worker on one CPU for the block; ``pause``: a thread keeps stopping a
    random worker for PAUSE seconds (and always resumes it) until the block ends."""
    seen = {"pauses": 0}
    if name == "pin":
        seen["pinned"] = nemesis.pin(procs) is not None
    if name != "pause":
        yield seen
        return
    done = threading.Event()
    rng = random.Random(len(procs))

    def pauser() -> None:
        while not done.is_set():
            victim = rng.choice(procs)
            if victim.is_alive():
                nemesis.pause(victim, PAUSE)
                seen["pauses"] += 1
            done.wait(PAUSE)

    thread = threading.Thread(target=pauser, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        done.set()
        thread.join(LIVENESS)


def require_signals(mp: Target) -> None:
    if not has_signals(mp):
        raise Unsupported(f"{mp.adapter.name} workers are threads: there is no process to signal")


def pipes(mp: Target, count: int) -> tuple[list[Any], list[Any]]:
    pairs = [mp.Pipe(duplex=False) for _ in range(count)]
    return [r for r, _ in pairs], [w for _, w in pairs]


def collect(readers: Sequence[Any], procs: Sequence[Any], what: str) -> list[Any]:
    return [receive(conn, proc, what) for conn, proc in zip(readers, procs)]


def fail_if(problems: list[str], what: str) -> None:
    if problems:
        shown = "\n".join(f"- {p}" for p in problems[:SHOWN])
        more = f"\n(and {len(problems) - SHOWN} more)" if len(problems) > SHOWN else ""
        raise AssertionError(f"{what}; CPython's never does:\n{shown}{more}")


class Tally:
    """Running totals over rounds, recorded into the stress figures after each round."""

    def __init__(self, stress: StressRun) -> None:
        self.stress = stress
        self.ops: dict[str, int] = {}
        self.secs: dict[str, float] = {}
        self.problems: list[str] = []

    def add(self, key: str, ops: int, seconds: float, problems: Sequence[str] = ()) -> None:
        self.ops[key] = self.ops.get(key, 0) + ops
        self.secs[key] = self.secs.get(key, 0.0) + seconds
        self.problems.extend(problems)

    def rate(self, key: str) -> float:
        secs = self.secs.get(key, 0.0)
        return round(self.ops.get(key, 0) / secs, 1) if secs else 0.0

    def record(self, **extra: Any) -> None:
        total_ops = sum(self.ops.values())
        total_secs = sum(self.secs.values())
        self.stress.record(
            operations=total_ops,
            ops_per_s=round(total_ops / total_secs, 1) if total_secs else 0.0,
            violations=len(self.problems),
            **extra,
        )

    def overhead(self, on: str = "history", off: str = "plain") -> dict[str, Any]:
        with_history, plain = self.rate(on), self.rate(off)
        ratio = round(plain / with_history, 3) if with_history else None
        return {
            "ops_per_s_history": with_history,
            "ops_per_s_plain": plain,
            "overhead_ratio": ratio,
        }


# -- lock contention ---------------------------------------------------------------------------


def contention(
    mp: Target,
    make: Callable[[], Any],
    workers: int,
    seconds: float,
    history: bool,
    nemesis_name: str | None = None,
) -> tuple[int, float, list[str]]:
    """(sections completed, seconds, problems) for ``workers`` processes hammering one lock."""
    lock, owner, counter, go = make(), mp.RawValue("i", 0), mp.RawValue("l", 0), mp.Event()
    readers, writers = pipes(mp, workers)
    procs = [
        mp.Process(
            target=wl.lock_worker,
            args=(i, lock, owner, counter, go, seconds, history, writers[i]),
            name=f"stress-lock-{i}",
        )
        for i in range(workers)
    ]
    with started(procs), nemesis_on(nemesis_name, procs):
        go.set()
        reports = collect(readers, procs, "its section count")
        for proc in procs:
            finish(proc)
    elapsed = max(r[4] for r in reports)  # the workers' loops, not the history's transfer
    done = sum(r[0] for r in reports)
    problems = [p for r in reports for p in r[1]]
    problems += [f"(and {r[2] - len(r[1])} more owner-cell findings)" for r in reports if r[2] > 20]
    if counter.value != done:
        problems.append(
            f"{done} critical sections incremented an unsynchronized counter to "
            f"{counter.value}: sections overlapped"
        )
    if history:
        sections = [
            Section(f"w{i}", start_ns, end_ns)
            for i, r in enumerate(reports)
            for start_ns, end_ns in zip(*r[3])
        ]
        problems += [str(v) for v in screen_critical_sections(sections)[:SHOWN]]
    return done, elapsed, problems


def lock_kinds(mp: Target) -> dict[str, Callable[[], Any]]:
    return {"Lock": mp.Lock, "RLock": mp.RLock, "Semaphore": lambda: mp.Semaphore(1)}


@pytest.mark.mp_catches("mutants.stress:lock_two_holders")
def test_lock_contention(mp: Target, mp_stress: StressRun, request: pytest.FixtureRequest) -> None:
    """Lock, RLock and Semaphore(1) stay exclusive under 2-4 x cpu_count contending processes."""
    smoke_once(mp, mp_stress, request)
    tally, per_kind = Tally(mp_stress), Tally(mp_stress)
    seconds = slice_of(mp_stress)
    for number in mp_stress.rounds():
        workers = (2 + number % 3) * cpus()
        for name, make in lock_kinds(mp).items():
            for history in history_variants(mp_stress):
                done, elapsed, problems = contention(mp, make, workers, seconds, history)
                tally.add("history" if history else "plain", done, elapsed, problems)
                per_kind.add(name, done, elapsed)
        rates = {f"ops_per_s_{name}": per_kind.rate(name) for name in per_kind.ops}
        overhead = {} if mp_stress.smoke else tally.overhead()
        tally.record(history=True, workers=workers, **overhead, **rates)
        if tally.problems:
            break
    fail_if(tally.problems, f"{mp.adapter.name} let two processes hold a lock at once")


@pytest.mark.mp_catches("mutants.stress:value_lock_fresh")
def test_value_counter_contention(
    mp: Target, mp_stress: StressRun, request: pytest.FixtureRequest
) -> None:
    """Increments made under Value.get_lock() by many processes are never lost."""
    smoke_once(mp, mp_stress, request)
    tally = Tally(mp_stress)
    seconds = slice_of(mp_stress)
    for number in mp_stress.rounds():
        workers = (2 + number % 3) * cpus()
        value, go = mp.Value("l", 0), mp.Event()
        if not hasattr(value, "get_lock"):
            raise Unsupported(f"{mp.adapter.name}'s Value has no get_lock()")
        readers, writers = pipes(mp, workers)
        procs = [
            mp.Process(target=wl.value_worker, args=(i, value, go, seconds, writers[i]))
            for i in range(workers)
        ]
        with started(procs):
            start = time.monotonic()
            go.set()
            reports = collect(readers, procs, "its old values")
            elapsed = time.monotonic() - start
            for proc in procs:
                finish(proc)
        olds = sorted(old for r in reports for old in r[0])
        problems = [p for r in reports for p in r[1]]
        if olds != list(range(len(olds))):
            dups = len(olds) - len(set(olds))
            problems.append(
                f"{len(olds)} fetch-and-increments under get_lock() returned {dups} duplicate "
                f"old values (increments lost)"
            )
        if value.value != len(olds):
            problems.append(f"{len(olds)} increments left the Value at {value.value}")
        tally.add("history", len(olds), elapsed, problems)
        tally.record(history=True, workers=workers)
        if tally.problems:
            break
    fail_if(tally.problems, f"{mp.adapter.name} lost increments made under Value.get_lock()")


# -- queue volume ------------------------------------------------------------------------------


def volume(
    mp: Target,
    maxsize: int,
    seconds: float,
    history: bool,
    nemesis_name: str | None = None,
    big_every: int = BIG_EVERY,
    limit: int = 0,
) -> tuple[int, float, list[str]]:
    """(items transferred, seconds, problems) for a multi-producer, multi-consumer run.

    ``limit`` caps each producer's items (0: none): producers outrun consumers on an
    unbounded queue, so without a cap a short run still spends seconds draining.
    """
    n_prod, n_cons = max(2, cpus()), 2
    q, go = mp.Queue(maxsize), mp.Event()
    readers, writers = pipes(mp, n_prod + n_cons)
    consumers = [
        mp.Process(target=wl.consumer, args=(i, q, go, history, writers[i]), name=f"stress-c{i}")
        for i in range(n_cons)
    ]
    producers = [
        mp.Process(
            target=wl.producer,
            args=(i, q, go, seconds, big_every, BIG_SIZE, history, writers[n_cons + i], limit),
            name=f"stress-p{i}",
        )
        for i in range(n_prod)
    ]
    clean = False
    try:
        with started(consumers + producers), nemesis_on(nemesis_name, consumers + producers):
            start = time.monotonic()
            go.set()
            made = collect(readers[n_cons:], producers, "its put count")
            for proc in producers:
                finish(proc)  # consumers are draining, so the feeders can flush at exit
            for _ in consumers:
                q.put(wl.STOP)
            taken = collect(readers[:n_cons], consumers, "what it got")
            elapsed = time.monotonic() - start
            for proc in consumers:
                finish(proc)
        clean = True
    finally:
        release_queue(q, clean)
    problems = [p for r in made for p in r[2]] + [p for r in taken for p in r[2]]
    problems += _loss(made, taken)
    if history:
        problems += _screened(made, taken)
    return sum(r[0] for r in taken), elapsed, problems


def _loss(made: list, taken: list) -> list[str]:
    """Exact accounting: producer p put seq 0..n_p-1; each must come out exactly once."""
    out = []
    got: dict[tuple[int, int], int] = {}
    for r in taken:
        for entry in r[1]:
            key = (entry[0], entry[1])
            got[key] = got.get(key, 0) + 1
    for key, times in got.items():
        p, seq = key
        if p >= len(made) or not 0 <= seq < made[p][0]:
            out.append(f"item {key} was dequeued but never put")
        elif times > 1:
            out.append(f"item {key} was dequeued {times} times")
    lost = [(p, s) for p, r in enumerate(made) for s in range(r[0]) if (p, s) not in got]
    if lost:
        out.append(f"{len(lost)} items put were never dequeued, e.g. {lost[:5]}")
    return out


def _screened(made: list, taken: list) -> list[str]:
    ops = [
        Op(f"p{p}", "put", ((p, seq),), None, t0, t1)
        for p, r in enumerate(made)
        for seq, t0, t1 in r[1]
    ]
    ops += [
        Op(f"c{c}", "get", (), (p, seq), t0, t1)
        for c, r in enumerate(taken)
        for p, seq, t0, t1 in r[1]
    ]
    return [str(v) for v in screen_queue(History(tuple(ops)), drained=True)[:SHOWN]]


@pytest.mark.mp_catches("mutants.stress:queue_drops_items", "mutants.stress:queue_pairs_swapped")
def test_queue_volume(mp: Target, mp_stress: StressRun, request: pytest.FixtureRequest) -> None:
    """Queue delivers every item once, in each producer's order, under sustained volume.

    Several producers and consumers, tiny and multi-MiB items, bounded and unbounded queues.
    """
    smoke_once(mp, mp_stress, request)
    tally = Tally(mp_stress)
    seconds = slice_of(mp_stress)
    for number in mp_stress.rounds():
        # A smoke has one round: it runs both queue kinds in it.
        maxsizes = (0, 64) if mp_stress.smoke else (0 if number % 2 == 0 else 64,)
        for maxsize in maxsizes:
            for history in history_variants(mp_stress):
                items, elapsed, problems = volume(
                    mp, maxsize, seconds, history, limit=SMOKE_ITEMS if mp_stress.smoke else 0
                )
                tally.add("history" if history else "plain", items, elapsed, problems)
        overhead = {} if mp_stress.smoke else tally.overhead()
        tally.record(history=True, big_item_bytes=BIG_SIZE, **overhead)
        if tally.problems:
            break
    fail_if(tally.problems, f"{mp.adapter.name}'s Queue lost, duplicated or reordered items")


# -- pipes, pools, ping-pong -------------------------------------------------------------------


def test_pipe_duplex_flood(
    mp: Target, mp_stress: StressRun, request: pytest.FixtureRequest
) -> None:
    """A duplex Pipe flooded in both directions at once delivers every message in order."""
    smoke_once(mp, mp_stress, request)
    tally = Tally(mp_stress)
    seconds = slice_of(mp_stress)
    for _ in mp_stress.rounds():
        a, b = mp.Pipe()
        go = mp.Event()
        readers, writers = pipes(mp, 2)
        procs = [
            mp.Process(target=wl.flood_end, args=(end, go, seconds, 200, 256 * 1024, out))
            for end, out in zip((a, b), writers)
        ]
        with started(procs):
            start = time.monotonic()
            go.set()
            reports = collect(readers, procs, "its message counts")
            elapsed = time.monotonic() - start
            for proc in procs:
                finish(proc)
        a.close()
        b.close()
        problems = [p for r in reports for p in r[2]]
        for (sent, _, _), (_, received, _) in ((reports[0], reports[1]), (reports[1], reports[0])):
            if sent != received:
                problems.append(f"{sent} messages sent one way, {received} received")
        tally.add("messages", sum(r[1] for r in reports), elapsed, problems)
        tally.record(history=False)
        if tally.problems:
            break
    fail_if(tally.problems, f"{mp.adapter.name}'s duplex Pipe lost or reordered messages")


TINY = 2000
HEAVY_N = 20_000


def pool_batch(pool: Any, kind: str, heavy_result: int) -> tuple[int, list[str]]:
    """One map of tiny or heavy tasks: (tasks done, problems)."""
    if kind == "tiny":
        got = pool.map_async(wl.square, range(TINY), 50).get(LIVENESS)
        ok = got == [x * x for x in range(TINY)]
    else:
        got = pool.map_async(wl.spin, [HEAVY_N] * 20, 1).get(LIVENESS)
        ok = got == [heavy_result] * 20
    return len(got), [] if ok else [f"Pool.map of {len(got)} {kind} tasks returned wrong results"]


def test_pool_throughput(mp: Target, mp_stress: StressRun, request: pytest.FixtureRequest) -> None:
    """Pool returns every result, for floods of tiny tasks and for CPU-heavy tasks."""
    smoke_once(mp, mp_stress, request)
    tally = Tally(mp_stress)
    seconds = slice_of(mp_stress)
    heavy_result = wl.spin(HEAVY_N)
    pool = mp.Pool(max(2, cpus()))
    try:
        for _ in mp_stress.rounds():
            for kind in ("tiny", "heavy"):
                start, done = time.monotonic(), 0
                while time.monotonic() - start < seconds:
                    tasks, problems = pool_batch(pool, kind, heavy_result)
                    done += tasks
                    tally.problems.extend(problems)
                tally.add(kind, done, time.monotonic() - start)
            tally.record(
                history=False,
                tiny_tasks_per_s=tally.rate("tiny"),
                heavy_tasks_per_s=tally.rate("heavy"),
            )
            if tally.problems:
                break
    except multiprocessing.TimeoutError:
        raise TestTimeout(f"a Pool.map did not finish within {LIVENESS:g} s") from None
    finally:
        pool.terminate()
        pool.join()
    fail_if(tally.problems, f"{mp.adapter.name}'s Pool returned wrong results")


def test_condition_and_event_ping_pong(
    mp: Target, mp_stress: StressRun, request: pytest.FixtureRequest
) -> None:
    """Two processes passing the turn through a Condition or a pair of Events strictly alternate."""
    smoke_once(mp, mp_stress, request)
    tally = Tally(mp_stress)
    seconds = slice_of(mp_stress)
    for _ in mp_stress.rounds():
        cond, turn = mp.Condition(), mp.RawValue("l", 0)
        readers, writers = pipes(mp, 2)
        procs = [
            mp.Process(target=wl.condition_player, args=(i, cond, turn, seconds, writers[i]))
            for i in range(2)
        ]
        tally_round(tally, "condition", procs, readers)
        pings, pongs = mp.Event(), mp.Event()
        turn, stop = mp.RawValue("l", 0), mp.RawValue("i", 0)
        readers, writers = pipes(mp, 2)
        procs = [
            mp.Process(
                target=wl.event_player,
                args=(i, mine, theirs, turn, stop, seconds, writers[i]),
            )
            for i, (mine, theirs) in enumerate(((pongs, pings), (pings, pongs)))
        ]
        tally_round(tally, "event", procs, readers)
        tally.record(
            history=False,
            round_trips_per_s_condition=round(tally.rate("condition") / 2, 1),
            round_trips_per_s_event=round(tally.rate("event") / 2, 1),
        )
        if tally.problems:
            break
    fail_if(tally.problems, f"{mp.adapter.name}'s players did not strictly alternate")


def tally_round(tally: Tally, key: str, procs: list, readers: list) -> None:
    with started(procs):
        start = time.monotonic()
        reports = collect(readers, procs, "its move count")
        elapsed = time.monotonic() - start
        for proc in procs:
            finish(proc)
    tally.add(key, sum(r[0] for r in reports), elapsed, [p for r in reports for p in r[1]])


# -- nemeses -----------------------------------------------------------------------------------


def test_safety_under_pause_and_pinning(mp: Target, mp_stress: StressRun) -> None:
    """Locks stay exclusive and Queues lose nothing with workers paused or pinned to one CPU."""
    require_signals(mp)
    tally = Tally(mp_stress)
    seconds = slice_of(mp_stress)
    # A smoke puts each object under one nemesis and each nemesis on one object; a longer run
    # puts both objects under both.
    if mp_stress.smoke:
        plan = [("lock", "pause"), ("queue", "pin")]
    else:
        plan = [(kind, name) for name in ("pause", "pin") for kind in ("lock", "queue")]
    for _ in mp_stress.rounds():
        for kind, name in plan:
            if kind == "lock":
                done, elapsed, problems = contention(mp, mp.Lock, 2 * cpus(), seconds, True, name)
                tally.add(f"lock_{name}", done, elapsed, problems)
            else:
                limit = SMOKE_ITEMS if mp_stress.smoke else 0
                items, elapsed, problems = volume(mp, 64, seconds, True, name, 0, limit)
                tally.add(f"queue_{name}", items, elapsed, problems)
        tally.record(
            history=True,
            **{f"ops_per_s_{key}": tally.rate(key) for key in sorted(tally.ops)},
        )
        if tally.problems:
            break
    fail_if(tally.problems, f"{mp.adapter.name} broke safety under SIGSTOP or CPU pinning")


def test_killed_lock_holder_outcome(mp: Target, mp_stress: StressRun) -> None:
    """Outcome: a Lock, RLock or Semaphore whose holder was killed (CPython: stays held).

    Reported, not judged: the documentation warns that a terminated holder may leave a lock
    unusable, so waiters need timeouts; the figures say what this backend does.
    """
    require_signals(mp)
    outcomes: dict[str, str] = {}
    exitcodes: dict[str, Any] = {}
    kills = 0
    for _ in mp_stress.rounds():
        # One holder per kind, all killed, then one shared 0.2 s window for every lock to show
        # it was freed: the outcome is read from the locks, not from three waits in a row.
        kinds = {
            name: (make(), mp.Event(), *mp.Pipe(duplex=False))
            for name, make in lock_kinds(mp).items()
        }
        holders = {
            name: mp.Process(target=nemesis.hold_lock, args=(lock, writer, release))
            for name, (lock, release, _, writer) in kinds.items()
        }
        with started(list(holders.values())):
            for name, holder in holders.items():
                said = receive(kinds[name][2], holder, "that it holds the lock")
                assert said == "held", f"the holder could not take a fresh {name}: {said}"
            for name, holder in holders.items():
                nemesis.kill(holder)
                exitcodes[name] = join(holder)
                kills += 1
        window_ends = time.monotonic() + KILLED_HOLDER_WINDOW
        for name, (lock, *_) in kinds.items():
            took = lock.acquire(timeout=max(0.0, window_ends - time.monotonic()))
            if took:
                lock.release()
                outcomes[name] = "released when its holder died (acquire(timeout) True)"
            else:
                outcomes[name] = f"stays held (acquire(timeout={KILLED_HOLDER_WINDOW}) False)"
        mp_stress.record(
            history=False,
            kills=kills,
            violations=0,
            **{f"outcome_after_kill_{n}": o for n, o in outcomes.items()},
            lock_abandoned=any(o.startswith("stays") for o in outcomes.values()),
            exitcode_after_kill=", ".join(sorted({str(c) for c in exitcodes.values()})),
        )


def test_put_then_os_exit_outcome(mp: Target, mp_stress: StressRun) -> None:
    """Outcome: items put right before os._exit() (CPython may lose them; no feeder flush).

    The loss is reported, not judged (os._exit skips the exit handler that flushes the feeder
    thread); what does arrive must arrive in order, once.
    """
    require_signals(mp)
    count, lost_total, rounds_with_loss = 50, 0, 0
    problems: list[str] = []
    for number in mp_stress.rounds():
        rounds = number + 1
        q = mp.Queue()
        reader, writer = mp.Pipe(duplex=False)
        child = mp.Process(target=nemesis.put_then_exit, args=(q, count, writer))
        with started([child]):
            receive(reader, child, "that it put its items")
            code = join(child)
        got = []
        while True:
            try:
                got.append(q.get(timeout=0.2))
            except Exception as exc:
                if not wl._empty(exc):
                    raise
                break
        release_queue(q, True)
        if got != [("exit", seq) for seq in range(len(got))]:
            problems.append(f"the items that arrived are not a prefix, in order: {got[:10]}")
        lost = count - len(got)
        lost_total += lost
        rounds_with_loss += lost > 0
        mp_stress.record(
            history=False,
            operations=rounds * count,
            violations=len(problems),
            items_lost=lost_total,
            exitcode_after_os_exit=code,
            rounds_with_loss=rounds_with_loss,
            outcome_after_exit=(
                f"{rounds_with_loss} of {rounds} rounds lost items "
                f"({lost_total} of {rounds * count} items)"
            ),
        )
        if problems:
            break
    fail_if(problems, f"{mp.adapter.name}'s Queue delivered items out of order or twice")
