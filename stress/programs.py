"""Operation programs: what stress workers run, and the driver that runs a whole scenario.

This module is the one piece of the stress suite that both sides share. Workers (children)
execute their programs here; the driver (:func:`drive`) runs in the parent; and
:mod:`mpconform.stress.scripts` copies this very file into every standalone reproduction
script, so a script replays a failure with exactly the code that found it. Hence the rules:
only the standard library, nothing done at import time, and the backend only ever reached
through the context object passed in (``ctx.Process``, ``ctx.Lock``...).

A scenario here is plain data, so it pickles to spawn children and prints into a script:
``kind`` (which shared object), ``programs`` (one tuple of steps per worker, a step being
``(op, arg, delay, hold)``) and ``nemesis`` (``(name, worker, after, seconds)``).

Workers log every call before making it and every return right after, over their own pipe.
A pipe write of a few hundred bytes is atomic and needs no helper thread, so when a worker is
killed the parent still has everything up to the kill: the call in progress is the one with no
return (its effect unknown). Times are ``time.monotonic_ns()``, system-wide on Linux.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from typing import Any, Callable

# This module is pasted verbatim into standalone scripts that run without mpconform, so it
# keeps the reference values of mpconform.limits (tests/test_stress_limits.py checks that
# they agree); inside the suite, drive() is handed mpconform's progress-aware wait instead.
LIVENESS = 30.0  # mpconform.limits.LIVENESS_AT_REFERENCE: a scenario this long hangs
PATIENCE = 4 * LIVENESS  # mpconform.limits.PATIENCE at the reference: a worker gives up
JOIN_LIMIT = 10.0  # seconds a worker that finished its program may take to exit
POLL = 0.002
GET_TIMEOUT = 0.05  # a get gives up (Empty) after this; Empty is a legal answer anyway
DRAIN_TIMEOUT = 0.05  # the final drain: flushed items are already in the pipe, so no wait
ACQUIRE_TIMEOUT = 10.0  # nobody holds a lock that long unless its holder died
ACQUIRE_TIMEOUT_KILL = 0.1  # when a holder may be killed: waiters must give up quickly
EMPTY = ("mpconform-empty",)  # a get that found nothing
GAVE_UP = ("mpconform-gave-up",)  # a fetch_inc whose lock acquire timed out
SLOTS = 2  # a semaphore scenario's initial value: at most this many holders at once
PARENT = "parent"


class Hang(Exception):
    """The scenario's workers stopped making progress; every worker has been killed."""


# -- child side --------------------------------------------------------------------------------


def worker(wid: int, kind: str, steps: Any, objs: dict, log: Any, go: Any, options: dict) -> None:
    """Run one program, logging ("call", op, args, t), ("ret", result, t) and ("step", i)."""
    if not go.wait(PATIENCE):
        return
    try:
        for index, (op, arg, delay, hold) in enumerate(steps):
            if delay:
                time.sleep(delay)
            _perform(wid, kind, op, arg, hold, objs, log, options)
            log.send(("step", index))
    except Exception as exc:  # say what broke: a thread backend's exit code cannot
        log.send(("error", f"{type(exc).__name__}: {exc}"))
        raise
    log.send(("end",))
    if options.get("abrupt"):
        os._exit(0)  # skips the exit handlers, so a Queue's feeder thread is never flushed


def _call(log: Any, op: str, args: tuple) -> None:
    log.send(("call", op, args, time.monotonic_ns()))


def _ret(log: Any, result: Any) -> None:
    log.send(("ret", result, time.monotonic_ns()))


def _perform(
    wid: int, kind: str, op: str, arg: Any, hold: float, objs: dict, log: Any, options: dict
) -> None:
    try:
        step = KINDS[kind].steps[op]
    except KeyError:
        raise ValueError(f"unknown step {op!r} of a {kind} program") from None
    step(wid, objs, arg, hold, log, options["acquire_timeout"])


def _put(wid: int, objs: dict, arg: Any, hold: float, log: Any, timeout: float) -> None:
    _call(log, "put", (arg,))
    objs["queue"].put(arg)
    _ret(log, None)


def _timed_get(wid: int, objs: dict, arg: Any, hold: float, log: Any, timeout: float) -> None:
    _call(log, "get", ())
    try:
        got = objs["queue"].get(timeout=GET_TIMEOUT)
    except Exception as exc:
        if type(exc).__name__ != "Empty":
            raise
        got = EMPTY
    _ret(log, got)


def _polled_get(wid: int, objs: dict, arg: Any, hold: float, log: Any, timeout: float) -> None:
    """SimpleQueue has no timed get, so its (single) consumer polls empty(), which is exact
    there: put() writes to the pipe before it returns."""
    _call(log, "get", ())
    _ret(log, _poll_get(objs["queue"], GET_TIMEOUT))


def _value_read(wid: int, objs: dict, arg: Any, hold: float, log: Any, timeout: float) -> None:
    _call(log, "read", ())
    _ret(log, objs["value"].value)


def _value_write(wid: int, objs: dict, arg: Any, hold: float, log: Any, timeout: float) -> None:
    _call(log, "write", (arg,))
    objs["value"].value = arg
    _ret(log, None)


def _poll_get(q: Any, seconds: float) -> Any:
    end = time.monotonic() + seconds
    while q.empty():
        if time.monotonic() >= end:
            return EMPTY
        time.sleep(POLL)
    return q.get()


def _section(wid: int, objs: dict, arg: Any, hold: float, log: Any, timeout: float) -> None:
    """acquire(timeout); if it succeeded, an owner-checked critical section, then release.

    The owner cell is the in-band check: it needs no clocks, so it also sees overlaps too
    short for timestamps. Holder ids are wid + 1 because 0 means "nobody inside".
    """
    lock, owner, me = objs["lock"], objs["owner"], wid + 1
    _call(log, "acquire", ())
    got = lock.acquire(timeout=timeout)
    _ret(log, bool(got))
    if not got:
        return
    found = owner.value
    owner.value = me
    if found:
        log.send(("owner", "enter", found, time.monotonic_ns()))
    if hold:
        time.sleep(hold)
    found = owner.value
    owner.value = 0
    if found != me:
        log.send(("owner", "exit", found, time.monotonic_ns()))
    _call(log, "release", ())
    lock.release()
    _ret(log, None)


def _slot(wid: int, objs: dict, arg: Any, hold: float, log: Any, timeout: float) -> None:
    """acquire(timeout) on a Semaphore(SLOTS); holders count themselves in and out of a
    Value under its own lock, so a count above SLOTS is a holder too many."""
    sem, inside = objs["lock"], objs["inside"]
    _call(log, "acquire", ())
    got = sem.acquire(timeout=timeout)
    _ret(log, bool(got))
    if not got:
        return
    try:
        with inside.get_lock():
            inside.value += 1
            count = inside.value
        if count > SLOTS:
            log.send(("over", count, time.monotonic_ns()))
        if hold:
            time.sleep(hold)
        with inside.get_lock():
            inside.value -= 1
    finally:
        _call(log, "release", ())
        sem.release()
        _ret(log, None)


def _fetch_inc(wid: int, objs: dict, arg: Any, hold: float, log: Any, timeout: float) -> None:
    """Fetch-and-increment under the Value's own lock, the documented way to make += atomic;
    ``hold`` widens the read-to-write window a broken lock would let others into."""
    value = objs["value"]
    lock = value.get_lock()
    _call(log, "fetch_inc", ())
    if not lock.acquire(timeout=timeout):
        _ret(log, GAVE_UP)
        return
    try:
        old = value.value
        if hold:
            time.sleep(hold)
        value.value = old + 1
    finally:
        lock.release()
    _ret(log, old)


# -- parent side -------------------------------------------------------------------------------


def make_objects(ctx: Any, kind: str, make_lock: Callable[[Any], Any] | None = None) -> dict:
    """The shared objects of a scenario; ``make_lock`` replaces ``ctx.Lock()`` (scripts use
    it to show that they detect a broken lock)."""
    if kind not in KINDS:
        raise ValueError(f"unknown scenario kind {kind!r}")
    return KINDS[kind].make(ctx, make_lock or (lambda ctx: ctx.Lock()))


def release_objects(objs: dict, clean: bool) -> None:
    q = objs.get("queue")
    if q is not None:
        release_queue(q, clean)


def release_queue(q: Any, clean: bool) -> None:
    """Close a queue; wait for its feeder only after a clean run: after a failure its buffer
    may hold items nobody will read, and join_thread() would wait forever. Thread backends'
    queues have neither method. (The conformance properties' queues end the same way.)"""
    if not clean and hasattr(q, "cancel_join_thread"):
        q.cancel_join_thread()
    if hasattr(q, "close"):
        q.close()
    if clean and hasattr(q, "join_thread"):
        q.join_thread()


class _Run:
    """What the driver saw: rows per worker and the nemesis's doings."""

    def __init__(self, count: int) -> None:
        self.rows: list[list] = [[] for _ in range(count)]
        self.ended = [False] * count
        self.killed: dict[int, int] = {}  # worker -> monotonic_ns just before SIGKILL
        self.notes: list[str] = []
        self.owner: list[tuple] = []  # (worker, where, found, t)
        self.over: list[tuple] = []  # (worker, holders counted, t): semaphore scenarios
        self.flushed: list[int] = []
        self.drain: list[tuple] = []
        self.exitcodes: dict[int, Any] = {}
        self.abrupt: list[int] = []
        self.errors: list[str] = []

    def take(self, wid: int, msg: tuple) -> None:
        tag = msg[0]
        if tag == "call":
            self.rows[wid].append([msg[1], msg[2], None, msg[3], None])
        elif tag == "ret":
            self.rows[wid][-1][2] = msg[1]
            self.rows[wid][-1][4] = msg[2]
        elif tag == "owner":
            self.owner.append((wid, msg[1], msg[2], msg[3]))
        elif tag == "over":
            self.over.append((wid, msg[1], msg[2]))
        elif tag == "end":
            self.ended[wid] = True
        elif tag == "error":
            self.errors.append(f"w{wid} raised {msg[1]}")
            self.ended[wid] = True

    def result(self) -> dict:
        ops = []
        for wid, rows in enumerate(self.rows):
            for op, args, result, t_inv, t_ret in rows:
                ops.append((f"w{wid}", op, tuple(args), result, t_inv, t_ret))
        ops.extend(self.drain)
        return {
            "ops": ops,
            "killed": dict(self.killed),
            "notes": list(self.notes),
            "owner": list(self.owner),
            "over": list(self.over),
            "flushed": list(self.flushed),
            "drained": bool(self.drain),
            "exitcodes": dict(self.exitcodes),
            "abrupt": list(self.abrupt),
            "errors": list(self.errors),
        }


def drive(
    ctx: Any,
    kind: str,
    programs: Any,
    nemesis: Any = ("none", 0, 0, 0.0),
    make_lock: Callable[[Any], Any] | None = None,
    target: Callable[..., None] = worker,
    wait: Callable[..., None] | None = None,
) -> dict:
    """Run a scenario and return what it observed (see :meth:`_Run.result`).

    Raises :class:`Hang` when it did not finish (after killing every worker). ``wait`` decides
    that: ``wait(ready, what)`` calls ``ready(slice)`` until it returns True and raises when
    the scenario hangs; mpconform passes its progress-aware wait, which calls a scenario
    that keeps using CPU slow, not hung. Without it (a standalone script) the bound is a
    flat LIVENESS. Workers are always joined, or killed and joined, whatever happens.
    """
    name, victim = nemesis[0], nemesis[1]
    timeout = ACQUIRE_TIMEOUT_KILL if name == "kill" else ACQUIRE_TIMEOUT
    objs = make_objects(ctx, kind, make_lock)
    go = ctx.Event()
    run = _Run(len(programs))
    if name == "exit":
        run.abrupt.append(victim)
    procs, logs = [], []
    clean = False
    try:
        for wid, steps in enumerate(programs):
            reader, writer = ctx.Pipe(duplex=False)
            options = {"acquire_timeout": timeout, "abrupt": name == "exit" and wid == victim}
            proc = ctx.Process(
                target=target,
                args=(wid, kind, tuple(steps), objs, writer, go, options),
                name=f"stress-w{wid}",
            )
            proc.start()
            writer.close()
            procs.append(proc)
            logs.append(reader)
        if name == "pin":
            _pin(procs, run)
        go.set()
        _follow(procs, logs, run, nemesis, wait or _flat_wait)
        _join(procs, run)
        if KINDS[kind].queue:
            _record_flushes(procs, run, nemesis)
            _drain(objs["queue"], kind, run, sum(len(p) for p in programs))
        clean = not run.killed and name != "exit"
    finally:
        for proc in procs:
            if proc.is_alive():
                _kill(proc)
            proc.join(JOIN_LIMIT)
        for conn in logs:
            conn.close()
        release_objects(objs, clean)
    return run.result()


def _kill(proc: Any) -> None:
    """SIGKILL by pid: not every backend's Process has kill()."""
    if isinstance(proc.pid, int):
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)


def _pin(procs: list, run: _Run) -> None:
    """Every worker on one CPU: interleavings then come from preemption only."""
    if not hasattr(os, "sched_setaffinity"):
        run.notes.append("pin: os.sched_setaffinity is not available here; not pinned")
        return
    cpu = min(os.sched_getaffinity(0))
    for proc in procs:
        os.sched_setaffinity(proc.pid, {cpu})


def _flat_wait(ready: Callable[[float], bool], what: str) -> None:
    end = time.monotonic() + LIVENESS
    while not ready(POLL):
        if time.monotonic() > end:
            raise Hang(f"{what} did not happen within {LIVENESS:g} s")


def _follow(procs: list, logs: list, run: _Run, nemesis: Any, wait: Callable[..., None]) -> None:
    """Read every log until each worker ended or died; fire the nemesis on its trigger."""
    live = set(range(len(procs)))

    def finished(slice_: float) -> bool:
        quiet = True
        for wid in sorted(live):
            dead = not procs[wid].is_alive()  # before reading, so its last words are read
            got, closed = _read(logs[wid], wid, procs, run, nemesis)
            quiet = quiet and not got
            if closed or dead or run.ended[wid]:
                live.discard(wid)
        if quiet and live:
            logs[min(live)].poll(min(slice_, POLL))
        return not live

    try:
        wait(finished, "the scenario's workers ending")
    except Hang:
        raise
    except BaseException as exc:  # the suite's wait ends a hang its own way (TestTimeout)
        if type(exc).__name__ != "TestTimeout":
            raise
        raise Hang(f"workers {sorted(live)} still running: {exc}") from None


def _read(conn: Any, wid: int, procs: list, run: _Run, nemesis: Any) -> tuple[bool, bool]:
    """Everything ``wid`` has logged so far: (read anything, reached end of file)."""
    name, victim, after, seconds = nemesis
    got = False
    while conn.poll(0):
        try:
            msg = conn.recv()
        except EOFError:
            return got, True
        got = True
        run.take(wid, msg)
        if wid == victim and msg == ("step", after - 1):
            _strike(procs[wid], wid, name, seconds, run)
    return got, False


def _strike(proc: Any, wid: int, name: str, seconds: float, run: _Run) -> None:
    """Fire the nemesis at ``wid``. It may have finished its program and exited already (the
    trigger is its last step): then the nemesis missed, which is noted, not an error."""
    try:
        if name == "kill":
            run.killed[wid] = time.monotonic_ns()
            os.kill(proc.pid, signal.SIGKILL)
        elif name == "pause":
            os.kill(proc.pid, signal.SIGSTOP)
            try:
                time.sleep(seconds)  # keeps the worker stopped while the others run
            finally:
                os.kill(proc.pid, signal.SIGCONT)
    except ProcessLookupError:
        run.killed.pop(wid, None)
        run.notes.append(f"{name}: w{wid} had already exited")


def _join(procs: list, run: _Run) -> None:
    for wid, proc in enumerate(procs):
        proc.join(JOIN_LIMIT)
        if proc.is_alive():
            run.notes.append(
                f"w{wid} finished its program but had not exited after {JOIN_LIMIT:g} s; killed"
            )
            run.killed.setdefault(wid, time.monotonic_ns())
            _kill(proc)
            proc.join(JOIN_LIMIT)
        run.exitcodes[wid] = proc.exitcode


def _record_flushes(procs: list, run: _Run, nemesis: Any) -> None:
    """A producer that exited cleanly ran its exit handler, which waits for the feeder to
    write its buffer to the pipe: from then on those items are there to be read."""
    name, victim, _, _ = nemesis
    for wid, proc in enumerate(procs):
        if wid in run.killed or (name == "exit" and wid == victim) or proc.exitcode != 0:
            continue
        run.flushed.append(wid)
        t = time.monotonic_ns()
        run.drain.append((PARENT, "flush", (f"w{wid}",), None, t, t))


def _drain(q: Any, kind: str, run: _Run, limit: int) -> None:
    polled = KINDS[kind].polled
    for _ in range(limit + 1):
        t = time.monotonic_ns()
        if polled:
            got = q.get() if not q.empty() else EMPTY
        else:
            try:
                got = q.get(timeout=DRAIN_TIMEOUT)
            except Exception as exc:
                if type(exc).__name__ != "Empty":
                    raise
                got = EMPTY
        run.drain.append((PARENT, "get", (), got, t, time.monotonic_ns()))
        if got == EMPTY:
            return


# -- simple checks (what a standalone script can judge on its own) -----------------------------


def quick_check(kind: str, result: dict) -> list[str]:
    """Plain, sound checks of a run, for scripts: overlaps, owners, loss, order, counts."""
    ops = [o for o in result["ops"] if o[0] != PARENT or o[1] == "get"]
    return KINDS[kind].quick(ops, result)


def _quick_semaphore(ops: list, result: dict) -> list[str]:
    return [f"w{w} counted {n} holders of a Semaphore({SLOTS})" for w, n, _ in result["over"]]


def _quick_counter(ops: list, result: dict) -> list[str]:
    olds = [o[3] for o in ops if o[1] == "fetch_inc" and o[5] is not None and o[3] != GAVE_UP]
    dups = sorted({v for v in olds if olds.count(v) > 1})
    return [f"fetch_inc returned {v} more than once (a lost increment)" for v in dups]


def _quick_register(ops: list, result: dict) -> list[str]:
    written = {0} | {o[2][0] for o in ops if o[1] == "write"}
    odd = sorted({o[3] for o in ops if o[1] == "read" and o[5] is not None} - written)
    return [f"read returned {v!r}, which nobody wrote" for v in odd]


def _quick_lock(ops: list, result: dict) -> list[str]:
    out = []
    killed = {f"w{w}": t for w, t in result["killed"].items()}
    sections = []
    by_worker: dict[str, list] = {}
    for o in ops:
        by_worker.setdefault(o[0], []).append(o)
    for w, mine in by_worker.items():
        start = None
        for o in mine:
            if o[1] == "acquire" and o[3] is True and o[5] is not None:
                start = o[5]
            elif o[1] == "release" and start is not None:
                sections.append((start, o[4], w))
                start = None
        if start is not None:
            sections.append((start, killed.get(w, float("inf")), w))
    sections.sort()
    latest = (float("-inf"), "")  # the section that ends last among those started so far
    for start, end, w in sections:
        if start < latest[0]:
            out.append(f"{latest[1]} and {w} were inside the critical section at the same time")
        latest = max(latest, (end, w))
    dead = set(result["killed"])
    for wid, where, found, _ in result["owner"]:
        if found - 1 not in dead:
            out.append(f"w{wid} found owner {found} in the cell on {where}")
    return out


def _quick_queue(ops: list, result: dict) -> list[str]:
    """Loss is judged only for producers known flushed, and only when nothing was killed
    (a consumer killed inside get() keeps the reader lock, and the drain then reads nothing)."""
    out = []
    flushed = set()
    if result["drained"] and not result["killed"]:
        flushed = {f"w{w}" for w in result["flushed"]}
    puts = {o[2][0]: o for o in ops if o[1] == "put"}
    got = [o[3] for o in ops if o[1] == "get" and o[5] is not None and o[3] != EMPTY]
    for v in sorted(set(got), key=repr):
        if v not in puts:
            out.append(f"{v!r} was dequeued but never put")
        elif got.count(v) > 1:
            out.append(f"{v!r} was dequeued {got.count(v)} times")
    taken = {o[3]: o for o in ops if o[1] == "get" and o[5] is not None and o[3] != EMPTY}
    by_producer: dict[str, list] = {}
    for o in sorted(puts.values(), key=lambda o: o[4]):
        by_producer.setdefault(o[0], []).append(o[2][0])
    for w, values in by_producer.items():
        # a was put before b; b certainly left first if its get returned before a's began
        for a, b in zip(values, values[1:]):
            if a in taken and b in taken and taken[b][5] < taken[a][4]:
                out.append(f"{w} put {a!r} before {b!r}, but {b!r} was dequeued first")
    if flushed:
        pending_gets = sum(1 for o in ops if o[1] == "get" and o[5] is None)
        lost = [v for v, o in puts.items() if o[0] in flushed and v not in taken]
        if len(lost) > pending_gets:
            out.append(f"{len(lost)} items were never dequeued: {sorted(lost)[:10]}")
    return out


# -- the kinds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """A stress kind in one place: its shared objects, the steps its programs take, the check
    a standalone script makes, and what the rest of the suite must know about it.

    ``judge`` names the parent's history check (``mpconform.stress.runner.JUDGES``): the
    model or screen, which needs mpconform and so cannot live in this stdlib-only module.
    """

    make: Callable[[Any, Callable[[Any], Any]], dict]  # (ctx, make_lock) -> shared objects
    steps: dict[str, Callable[..., None]]  # op -> what a worker does for it
    quick: Callable[[list, dict], list[str]]
    judge: str
    queue: bool = False  # producers flush through a feeder or pipe; the parent drains at the end
    polled: bool = False  # no timed get(): gets poll empty()
    one_consumer: bool = False  # only worker 0 gets (an untimed get cannot bound a race)
    linearizable: bool = False  # put() returns with its item in the pipe: FIFO across producers
    killable: bool = False  # every wait has a timeout, so a killed worker hangs nobody
    feeder: bool = False  # items pass a feeder thread an abrupt exit can lose (the exit nemesis)
    needs_get_lock: bool = False  # uses Value.get_lock()

    @property
    def ops(self) -> tuple[str, ...]:
        return tuple(self.steps)


def _lock_objects(ctx: Any, make_lock: Callable[[Any], Any]) -> dict:
    return {"lock": make_lock(ctx), "owner": ctx.RawValue("i", 0)}


KINDS: dict[str, Kind] = {
    "queue": Kind(
        make=lambda ctx, _: {"queue": ctx.Queue()},
        steps={"put": _put, "get": _timed_get},
        quick=_quick_queue,
        judge="queue",
        queue=True,
        killable=True,
        feeder=True,
    ),
    "simple_queue": Kind(
        make=lambda ctx, _: {"queue": ctx.SimpleQueue()},
        steps={"put": _put, "get": _polled_get},
        quick=_quick_queue,
        judge="queue",
        queue=True,
        polled=True,
        one_consumer=True,
        linearizable=True,
    ),
    "lock": Kind(
        make=_lock_objects,
        steps={"lock": _section},
        quick=_quick_lock,
        judge="lock",
        killable=True,
    ),
    "semaphore": Kind(
        make=lambda ctx, _: {"lock": ctx.Semaphore(SLOTS), "inside": ctx.Value("i", 0)},
        steps={"lock": _slot},
        quick=_quick_semaphore,
        judge="semaphore",
        needs_get_lock=True,
    ),
    "counter": Kind(
        make=lambda ctx, _: {"value": ctx.Value("i", 0)},
        steps={"inc": _fetch_inc},
        quick=_quick_counter,
        judge="counter",
        killable=True,
        needs_get_lock=True,
    ),
    "register": Kind(
        make=lambda ctx, _: {"value": ctx.Value("i", 0)},
        steps={"write": _value_write, "read": _value_read},
        quick=_quick_register,
        judge="register",
    ),
}
