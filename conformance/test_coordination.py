"""Conditions, events and barriers: who waits, who wakes, and when, across processes.

Each property drives a small crew of agent processes, started once per test and reused by every
Hypothesis example; the Conditions, Events and Barriers they share are made before the crew
starts, since such objects reach a child only as Process arguments. Barriers of every size the
strategies draw (1 to 4 parties) are made up front for the same reason.

Nothing here needs to see inside an implementation. "This process is inside wait()" is known
from the lock: a waiter announces itself while holding the Condition's lock, and wait()
releases that lock only after registering as a sleeper, so once the notifier holds the lock
every announced waiter is asleep. Timing is used for lower bounds (a timed wait lasts at least
its timeout) and for real-time order of monotonic_ns() readings, which are system-wide on
Linux: a barrier party that returned before the last party was on its way passed too early.
A wait that timed out although it was woken a second or more before its deadline is a lost
wake-up; that bound is the only upper one, and it is generous.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mpconform import agents
from mpconform.agents import Crew
from mpconform.checkers import History, Op, Register, check
from mpconform.conformance import children_coordination as kids
from mpconform.limits import scaled
from mpconform.outcomes import TestTimeout
from mpconform.profiles import budget
from mpconform.target import Target
from mpconform.waiting import LIVENESS

pytestmark = pytest.mark.mp_area("Conditions, events and barriers")

CLOCK_SLACK = 0.001  # a timeout rounded to whole milliseconds may return this early
NS = 1_000_000_000
POLL = 0.001
# A woken waiter that still reports a timeout lost its wake-up only if the wake-up came well
# before its deadline: waiters that should be woken wait this long, and a verdict needs the
# wake-up to have come at least MARGIN before the deadline.
WAKE_BOUND = scaled(2.0)
MARGIN = scaled(1.0)
# How long to watch for a waiter that should still be asleep. Seeing nothing proves nothing,
# so this only gives a bug the chance to show; a correct backend passes whatever it is.
WATCH = 0.02
MAX_PARTIES = 4

TIMEOUTS = st.floats(0.0, 0.03)

# -- the crew ----------------------------------------------------------------------------------


@contextlib.contextmanager
def crew(mp: Target, size: int, things: dict, unstick: Callable[[], None]) -> Iterator[Crew]:
    """``size`` agents sharing ``things``; stopped, after any waits were undone, at the end."""
    with agents.crew(mp, kids.COMMANDS, size, (things,), name="agent") as members:
        team = Crew(members, unstick, release=kids.LET_GO)
        try:
            yield team
        finally:
            team.settle()


@contextlib.contextmanager
def locked(lock: Any, what: str = "the lock") -> Iterator[None]:
    if not lock.acquire(timeout=LIVENESS):
        raise TestTimeout(f"could not acquire {what} within {LIVENESS:g} s")
    try:
        yield
    finally:
        lock.release()


def notify_all_of(*conditions: Any) -> Callable[[], None]:
    def unstick() -> None:
        for cond in conditions:
            with locked(cond):
                cond.notify_all()

    return unstick


def seconds(ns: int) -> float:
    return ns / NS


def check_timed_out(what: str, result: Any, t_invoke: int, t_return: int, timeout: float) -> None:
    """A timed wait that nobody ended returns False, and not before its timeout."""
    assert result is False, f"{what} returned {result!r} on timeout; CPython returns False"
    elapsed = seconds(t_return - t_invoke)
    assert elapsed >= timeout - CLOCK_SLACK, (
        f"{what} returned after {elapsed:.4f} s; CPython waits at least the timeout"
    )


def check_woken(what: str, result: Any, t_invoke: int, t_wake: int) -> None:
    """A waiter woken at ``t_wake`` (well within its WAKE_BOUND) returns True."""
    if result is True:
        return
    early = seconds(t_invoke) + WAKE_BOUND - seconds(t_wake)
    if result is False and early < MARGIN:
        return  # woken so close to its deadline that timing out first is legitimate
    raise AssertionError(
        f"{what} returned {result!r} although it was woken {early:.2f} s before its timeout; "
        "CPython returns True"
    )


# -- Condition ---------------------------------------------------------------------------------


@contextlib.contextmanager
def condition_crew(mp: Target, size: int = MAX_PARTIES) -> Iterator[tuple[Crew, Any]]:
    """``size`` agents sharing one default Condition (on an RLock), named "cond"."""
    cond = mp.Condition()
    with crew(mp, size, {"cond": cond}, notify_all_of(cond)) as team:
        yield team, cond


def put_to_sleep(team: Crew, waiters: int, timeout: float, times: int = 1) -> None:
    """Agents 0..waiters-1 wait on "cond"; on return every one of them is inside wait()."""
    for i in range(waiters):
        team.order(i, "cond_wait", "cond", timeout, times)
    for i in range(waiters):
        team.expect(i, "waiting", f"agent {i} about to wait")


@pytest.mark.mp_catches("mutants.coordination:notify_wakes_all")
@pytest.mark.mp_api("Condition")
def test_condition_notify_wakes_one(mp):
    """notify() wakes exactly one of the waiting processes; the rest sleep on.

    Every waiter is asleep before the notify (see the module docstring). That the others
    slept on is checked by their wake-up times: each records when its wait() returned, and
    none of them may have returned before the notifier took the lock again for the
    notify_all() that ends the example.
    """
    with condition_crew(mp) as (team, cond):

        @budget("cheap")
        @given(waiters=st.integers(1, MAX_PARTIES))
        def example(waiters: int) -> None:
            with team.example():
                notify_some(team, cond, waiters, None)

        example()


@pytest.mark.mp_catches("mutants.coordination:notify_wakes_all")
@pytest.mark.mp_api("Condition")
def test_condition_notify_wakes_exactly_n(mp):
    """notify(n) wakes exactly n of the waiting processes (all when fewer wait); the rest
    sleep on.

    As for notify(): every waiter is asleep before the notify, so CPython wakes
    min(n, waiting), and the others must not return before the notify_all() that follows.
    """
    with condition_crew(mp) as (team, cond):

        @budget("cheap")
        @given(waiters=st.integers(1, MAX_PARTIES), n=st.integers(0, MAX_PARTIES + 1))
        def example(waiters: int, n: int) -> None:
            with team.example():
                notify_some(team, cond, waiters, n)

        example()


def notify_some(team: Crew, cond: Any, waiters: int, n: int | None) -> None:
    if n is None:
        wanted, call = 1, "notify()"
    else:
        wanted, call = min(n, waiters), f"notify({n})"
    put_to_sleep(team, waiters, WAKE_BOUND)
    with locked(cond):
        t_notify = time.monotonic_ns()
        if n is None:
            cond.notify()
        else:
            try:
                cond.notify(n)
            except TypeError as exc:
                raise AssertionError(
                    f"{call} raised TypeError: {exc}; CPython's notify() takes the number of "
                    "processes to wake"
                ) from None
    everyone = set(range(waiters))
    woken: set[int] = set()
    reported: set[int] = set()

    def count(found: tuple[int, Any] | None) -> None:
        """A waiter's report after the notify: woken, or timed out (legitimately, if the
        notify came so late that check_woken lets it pass)."""
        if found is None:
            return
        i, (woke, t_invoke, _) = found
        reported.add(i)
        assert not (woke is True and len(woken) == wanted), (
            f"{call} with {waiters} processes waiting woke more than {wanted}"
        )
        check_woken(f"wait() after {call}", woke, t_invoke, t_notify)
        if woke is True:
            woken.add(i)

    while len(woken) < wanted and reported != everyone:
        found = team.next_result(everyone - reported, LIVENESS, "a wait() result")
        if found is None:
            raise TestTimeout(f"{call} woke {len(woken)} waiters within {LIVENESS:g} s")
        count(found)
    if reported != everyone:
        count(team.next_result(everyone - reported, WATCH, "a wait() result"))
    with locked(cond):
        t_all = time.monotonic_ns()
        cond.notify_all()
    rest = team.results(everyone - reported, "a wait() result")
    for woke, t_invoke, t_return in rest.values():
        check_woken("wait() after notify_all()", woke, t_invoke, t_all)
        assert woke is not True or t_return > t_all, (
            f"{call} with {waiters} processes waiting woke more than {wanted}: one more "
            "returned before the next notify"
        )


@pytest.mark.mp_catches("mutants.coordination:notify_all_wakes_one")
@pytest.mark.mp_api("Condition")
def test_condition_notify_all_wakes_every_waiter(mp):
    """notify_all() wakes every waiting process, and each one's wait() returns True."""
    with condition_crew(mp) as (team, cond):

        @budget("cheap")
        @given(waiters=st.integers(1, MAX_PARTIES))
        def example(waiters: int) -> None:
            with team.example():
                put_to_sleep(team, waiters, WAKE_BOUND)
                with locked(cond):
                    t_all = time.monotonic_ns()
                    cond.notify_all()
                woken = team.results(set(range(waiters)), "a wait() result")
            for i, (woke, t_invoke, t_return) in woken.items():
                check_woken(f"wait() in agent {i} after notify_all()", woke, t_invoke, t_all)
                assert t_return >= t_all

        example()


@pytest.mark.mp_catches("mutants.coordination:condition_timeout_true")
@pytest.mark.mp_api("Condition")
def test_condition_wait_timeout(mp):
    """Condition.wait(timeout) returns False after the timeout, True when notified in time."""
    with condition_crew(mp, 1) as (team, cond):

        @budget("process")
        @given(timeout=TIMEOUTS, notified=st.booleans())
        def example(timeout: float, notified: bool) -> None:
            with team.example():
                put_to_sleep(team, 1, WAKE_BOUND if notified else timeout)
                t_notify = 0
                if notified:
                    with locked(cond):
                        t_notify = time.monotonic_ns()
                        cond.notify()
                woke, t_invoke, t_return = team.result(0, "the wait() result")
            if notified:
                check_woken("wait() after notify()", woke, t_invoke, t_notify)
            else:
                check_timed_out(f"wait({timeout})", woke, t_invoke, t_return, timeout)

        example()


@pytest.mark.mp_catches("mutants.coordination:notify_banked")
@pytest.mark.mp_api("Condition")
def test_condition_notify_is_not_remembered(mp):
    """A notify() with nobody waiting is lost, and one that comes after a waiter timed out
    is not taken by it: a wait() that starts later still waits for its own notify.

    A condition built on a bare semaphore banks such notifies, and its next wait() returns at
    once. The steps before the final wait(timeout) are generated.
    """
    with condition_crew(mp, 1) as (team, cond):

        def sleep_alone(timeout: float, notify: bool = False) -> tuple[Any, int, int]:
            put_to_sleep(team, 1, timeout)
            t_notify = 0
            if notify:
                with locked(cond):
                    t_notify = time.monotonic_ns()
                    cond.notify()
            woke, t_invoke, t_return = team.result(0, "the wait() result")
            if notify:
                check_woken("wait() after notify()", woke, t_invoke, t_notify)
            return woke, t_invoke, t_return

        @budget("process")
        @given(steps=st.lists(st.sampled_from(["timeout", "notify"]), max_size=4), t=TIMEOUTS)
        def example(steps: list[str], t: float) -> None:
            with team.example():
                for step in steps:
                    if step == "notify":
                        with locked(cond):
                            cond.notify()
                    else:
                        check_timed_out(f"wait({t})", *sleep_alone(t), t)
                woke, t_invoke, t_return = sleep_alone(t)
                sleep_alone(WAKE_BOUND, notify=True)
            said = {"notify": "notify() with nobody waiting", "timeout": "a timed-out wait()"}
            what = f"wait({t}) after {', '.join(said[s] for s in steps) or 'nothing else'}"
            check_timed_out(what, woke, t_invoke, t_return, t)

        example()


@pytest.mark.mp_api("Condition")
def test_condition_wait_for_returns_predicate_value(mp):
    """wait_for(predicate, timeout) returns the predicate's last value, as is.

    A truthy value is returned as soon as the predicate gives it (at once when it already
    does); a falsy one only after the timeout.
    """
    cond = mp.Condition()
    cell = mp.Value("i", 0)
    with crew(mp, 1, {"cond": cond, "cell": cell}, notify_all_of(cond)) as team:

        @budget("process")
        @given(start=st.integers(0, 3), later=st.integers(-2, 3), timeout=TIMEOUTS)
        def example(start: int, later: int, timeout: float) -> None:
            expected = start or later
            with team.example():
                cell.value = start
                patience = LIVENESS if expected else timeout  # a truthy value ends it early
                team.order(0, "cond_wait_for", "cond", "cell", patience)
                team.expect(0, "waiting", "the waiter about to wait")
                if not start:
                    with locked(cond):
                        cell.value = later
                        cond.notify_all()
                result, t_invoke, t_return = team.result(0, "the wait_for() result")
            assert type(result) is int and result == expected, (
                f"wait_for() returned {result!r}; CPython returns the predicate's value "
                f"{expected!r}"
            )
            if not expected:
                elapsed = seconds(t_return - t_invoke)
                assert elapsed >= timeout - CLOCK_SLACK, (
                    f"wait_for(predicate, {timeout}) gave up after {elapsed:.4f} s with the "
                    "predicate false; CPython waits at least the timeout"
                )

        example()


REFUSALS = (AssertionError, RuntimeError)


@pytest.mark.mp_basis("cpython")
@pytest.mark.parametrize("method", ["wait", "notify", "notify_all"])
@pytest.mark.parametrize("holder", ["nobody", "another process"])
@pytest.mark.mp_api("Condition")
def test_condition_needs_its_lock(mp, method, holder):
    """wait(), notify() and notify_all() without holding the Condition's lock raise.

    Also when another process holds it. The documentation calls Condition a clone of
    threading.Condition, which raises RuntimeError; CPython's multiprocessing raises
    AssertionError (an assert statement). Either is accepted; carrying on is not.
    """
    calls = {
        "wait": lambda c: c.wait(0.01),
        "notify": lambda c: c.notify(),
        "notify_all": lambda c: c.notify_all(),
    }
    raised: tuple[type, str] | None = None
    with condition_crew(mp, 1) as (team, cond), team.example():
        if holder != "nobody":
            team.order(0, "hold", "cond", 1)
            team.expect(0, "held", "the holder")
        try:
            calls[method](cond)
        except Exception as exc:
            raised = (type(exc), str(exc))
        if holder != "nobody":
            team.tell(0, kids.LET_GO)
            assert team.result(0, "the holder letting go") == "released"
    assert raised is not None, f"{method}() without the lock ({holder} held it) raised nothing"
    assert issubclass(raised[0], REFUSALS), (
        f"{method}() without the lock raised {raised[0].__name__}: {raised[1]}; CPython "
        "raises AssertionError (threading.Condition: RuntimeError)"
    )


@pytest.mark.mp_catches("mutants.coordination:given_lock_ignored")
@pytest.mark.parametrize("kind", ["Lock", "RLock"])
@pytest.mark.mp_api("Condition", "Condition(lock)")
def test_condition_uses_the_given_lock(mp, kind):
    """A Condition made with a Lock or RLock uses that lock: holding one is holding the other.

    Checked across processes both ways, and through wait(): while a process waits, another
    takes the lock itself, and notify() under that lock wakes the waiter.
    """
    lock = getattr(mp, kind)()
    cond = mp.Condition(lock)
    with crew(mp, 2, {"lock": lock, "cond": cond}, notify_all_of(cond)) as team:

        @budget("process")
        @given(held_as=st.sampled_from(["lock", "cond"]), wait_too=st.booleans())
        def example(held_as: str, wait_too: bool) -> None:
            with team.example():
                given_lock_is_shared(team, lock, cond, kind, held_as, wait_too)

        example()


def given_lock_is_shared(
    team: Crew, lock: Any, cond: Any, kind: str, held_as: str, wait_too: bool
) -> None:
    other = {"lock": "cond", "cond": "lock"}[held_as]
    names = {"cond": "the Condition", "lock": f"the {kind} it was made with"}
    team.order(0, "hold", held_as, 1)
    team.expect(0, "held", f"the holder of {names[held_as]}")
    team.order(1, "try_acquire", other)
    got = team.result(1, f"acquire(False) on {names[other]}")
    team.tell(0, kids.LET_GO)
    assert team.result(0, "the holder letting go") == "released"
    assert got is False, (
        f"acquire(False) on {names[other]} succeeded while another process held "
        f"{names[held_as]}; CPython's Condition uses the lock it is given"
    )
    if wait_too:
        put_to_sleep(team, 1, WAKE_BOUND)
        with locked(lock, f"the {kind} while the Condition's waiter sleeps"):
            t_notify = time.monotonic_ns()
            cond.notify()
        woke, t_invoke, _ = team.result(0, "the wait() result")
        check_woken("wait() after notify() under the given lock", woke, t_invoke, t_notify)


@pytest.mark.mp_catches("mutants.coordination:wait_keeps_rlock_level")
@pytest.mark.mp_api("Condition", "Condition(lock)")
def test_condition_wait_releases_every_rlock_level(mp):
    """wait() releases a Condition's RLock however many times it is held, then restores it.

    Another process acquires the Condition while the waiter sleeps (before its wait()
    returns, which a lock kept by the waiter would prevent); after waking, the waiter releases
    as many times as it had acquired without error.
    """
    with condition_crew(mp, 1) as (team, cond):

        @budget("process")
        @given(times=st.integers(1, 3))
        def example(times: int) -> None:
            with team.example():
                put_to_sleep(team, 1, WAKE_BOUND, times)
                with locked(cond, "the Condition while another process waits on it"):
                    t_acquired = time.monotonic_ns()
                    cond.notify()
                woke, t_invoke, t_return = team.result(0, f"the waiter releasing {times} levels")
            # Had wait() kept a level, the lock would have come free only once it returned.
            assert t_acquired < t_return, (
                f"the Condition could not be acquired while a process that had acquired it "
                f"{times} times waited in wait(); CPython releases every level"
            )
            check_woken("wait() after notify()", woke, t_invoke, t_acquired)

        example()


# -- Event -------------------------------------------------------------------------------------


@contextlib.contextmanager
def event_crew(mp: Target, size: int) -> Iterator[tuple[Crew, Any]]:
    """``size`` agents sharing one Event, named "event". A failed example is undone by set(),
    so every example starts with clear()."""
    event = mp.Event()
    with crew(mp, size, {"event": event}, event.set) as team:
        yield team, event


@pytest.mark.mp_catches("mutants.coordination:event_timeout_none")
@pytest.mark.mp_api("Event")
def test_event_wait_timeout(mp):
    """Event.wait(timeout) returns False after the timeout while unset, True at once when set."""
    with event_crew(mp, 1) as (team, event):

        @budget("process")
        @given(timeout=TIMEOUTS, preset=st.booleans())
        def example(timeout: float, preset: bool) -> None:
            with team.example():
                event.clear()
                if preset:
                    event.set()
                team.order(0, "event_wait", "event", timeout)
                team.expect(0, "waiting", "the waiter about to wait")
                result, t_invoke, t_return = team.result(0, "the wait() result")
            if preset:
                assert result is True, f"wait({timeout}) on a set Event returned {result!r}"
            else:
                check_timed_out(f"Event.wait({timeout})", result, t_invoke, t_return, timeout)

        example()


@pytest.mark.mp_api("Event")
def test_event_set_wakes_every_waiter(mp):
    """set() in one process wakes every process waiting on the Event; their wait() returns True."""
    with event_crew(mp, MAX_PARTIES) as (team, event):

        @budget("cheap")
        @given(waiters=st.integers(1, MAX_PARTIES - 1), by_agent=st.booleans())
        def example(waiters: int, by_agent: bool) -> None:
            with team.example():
                event.clear()
                for i in range(waiters):
                    team.order(i, "event_wait", "event", WAKE_BOUND)
                for i in range(waiters):
                    team.expect(i, "waiting", f"agent {i} about to wait")
                t_set = time.monotonic_ns()
                if by_agent:
                    team.order(waiters, "call", "event", "set")
                    team.result(waiters, "set()")
                else:
                    event.set()
                woken = team.results(set(range(waiters)), "a wait() result")
            for i, (result, t_invoke, t_return) in woken.items():
                check_woken(f"Event.wait() in agent {i} after set()", result, t_invoke, t_set)
                assert result is not True or t_return >= t_set, (
                    "Event.wait() returned True before set() was called"
                )

        example()


ACTORS = st.sampled_from(["test", 0, 1])


@pytest.mark.mp_catches(
    "mutants.coordination:event_clear_ignored", "mutants.coordination:event_timeout_none"
)
@pytest.mark.mp_api("Event")
def test_event_clear_clears(mp):
    """After set() then clear(), in any processes, is_set() is False and wait(timeout) times out."""
    with event_crew(mp, 3) as (team, event):

        def act(who: Any, method: str) -> Any:
            if who == "test":
                return getattr(event, method)()
            team.order(who, "call", "event", method)
            return team.result(who, f"{method}()")

        @budget("process")
        @given(setter=ACTORS, clearer=ACTORS, timeout=TIMEOUTS)
        def example(setter: Any, clearer: Any, timeout: float) -> None:
            with team.example():
                act(setter, "set")
                seen = act(clearer, "is_set")
                assert seen is True, f"is_set() returned {seen!r} after set() (by {setter})"
                act(clearer, "clear")
                seen = {who: act(who, "is_set") for who in ("test", 0, 1)}
                team.order(2, "event_wait", "event", timeout)
                team.expect(2, "waiting", "the waiter about to wait")
                result, t_invoke, t_return = team.result(2, "the wait() result")
            wrong = {who: v for who, v in seen.items() if v is not False}
            assert not wrong, f"after clear(), is_set() returned {wrong} (by process)"
            what = f"Event.wait({timeout}) after clear()"
            check_timed_out(what, result, t_invoke, t_return, timeout)

        example()


EVENT_OPS = st.lists(st.sampled_from(["set", "clear", "is_set"]), max_size=4)
ROUNDS = st.lists(st.lists(EVENT_OPS, min_size=3, max_size=3), min_size=1, max_size=3)


def event_op(process: Any, row: tuple) -> Op:
    """An Event call as a register operation: set/clear write, is_set reads."""
    name, result, t_invoke, t_return = row
    if name == "is_set":
        assert type(result) is bool, f"is_set() returned {result!r}, not a bool"
        return Op(process, "read", (), result, t_invoke, t_return)
    return Op(process, "write", (name == "set",), None, t_invoke, t_return)


@pytest.mark.mp_catches("mutants.coordination:event_clear_ignored")
@pytest.mark.mp_api("Event")
def test_event_is_a_shared_flag(mp):
    """set(), clear() and is_set() from several processes act on one flag, atomically.

    The history of calls must be linearizable against a boolean register (set writes True,
    clear writes False, is_set reads); in particular is_set() after all calls returned gives
    the last write.
    """
    with event_crew(mp, 3) as (team, event):

        @budget("cheap")
        @given(rounds=ROUNDS)
        def example(rounds: list[list[list[str]]]) -> None:
            ops: list[Op] = []

            def test_does(name: str) -> None:
                t_invoke = time.monotonic_ns()
                result = getattr(event, name)()
                ops.append(event_op("test", (name, result, t_invoke, time.monotonic_ns())))

            with team.example():
                test_does("clear")
                for per_agent in rounds:
                    busy = {i for i, seq in enumerate(per_agent) if seq}
                    for i in busy:
                        team.order(i, "event_ops", "event", per_agent[i])
                    for i, rows in team.results(busy, "a history").items():
                        ops.extend(event_op(f"agent-{i}", row) for row in rows)
                    test_does("is_set")
            result = check(History(tuple(ops)), Register(False))
            assert not result.violation, result.explain()

        example()


# -- Barrier -----------------------------------------------------------------------------------

PARTIES = st.integers(1, MAX_PARTIES)
DEFAULT_TIMEOUT = 0.02


class Barriers:
    """One Barrier per size 1..MAX_PARTIES, each with an action that counts its runs.

    The action is ``record_action`` bound to a shared array: ``cells[2 * (p - 1)]`` counts
    the runs of barrier ``p``'s action, the next cell holds when the latest run began.
    """

    def __init__(self, mp: Target) -> None:
        self.lock = mp.Lock()
        self.cells = counters(mp, 2 * MAX_PARTIES)
        self.of = {
            p: mp.Barrier(p, functools.partial(kids.record_action, self.lock, self.cells, p - 1))
            for p in range(1, MAX_PARTIES + 1)
        }
        # Barriers with a default timeout, named ("timed", parties).
        self.timed = {
            ("timed", p): mp.Barrier(p, timeout=DEFAULT_TIMEOUT) for p in range(2, MAX_PARTIES + 1)
        }

    def all(self) -> dict[Any, Any]:
        return {**self.of, **self.timed}

    def action_runs(self, parties: int) -> tuple[int, int]:
        """(runs so far, start of the latest run) of barrier ``parties``'s action."""
        with locked(self.lock, "the action log's lock"):
            return self.cells[2 * (parties - 1)], self.cells[2 * (parties - 1) + 1]

    def abort_all(self) -> None:
        for barrier in self.all().values():
            barrier.abort()

    def reset_all(self) -> None:
        for barrier in self.all().values():
            barrier.reset()


def counters(mp: Target, size: int) -> Any:
    """A shared array of 64-bit ints for the action log. Some backends lack typecode "q"
    (billiard); "l" is 64 bits on the platforms they run on. Arrays are not the subject here."""
    try:
        return mp.Array("q", [0] * size, lock=False)
    except TypeError:
        return mp.Array("l", [0] * size, lock=False)


@contextlib.contextmanager
def barrier_crew(mp: Target) -> Iterator[tuple[Crew, Barriers]]:
    """MAX_PARTIES agents sharing the barriers. A failed example is undone by abort(), so every
    example starts with reset()."""
    barriers = Barriers(mp)
    with crew(mp, MAX_PARTIES, barriers.all(), barriers.abort_all) as team:
        yield team, barriers


def arrive(team: Crew, agents: list[int], key: Any, timeout: float | None = LIVENESS) -> int:
    """Send ``agents`` to barrier ``key``; returns the latest of their invoke times."""
    for i in agents:
        team.order(i, "barrier_wait", key, timeout)
    return max((team.expect(i, "arriving", f"agent {i} arriving") for i in agents), default=0)


def passed(what: str, result: tuple) -> tuple[int, int, int]:
    """(index, t_invoke, t_return) of a wait() that must have passed the barrier."""
    status, index, t_invoke, t_return = result
    assert status == "passed", f"{what} raised BrokenBarrierError on a barrier nobody broke"
    return index, t_invoke, t_return


def full_cycle(team: Crew, parties: int) -> dict[int, tuple[int, int, int]]:
    """Agents 0..parties-1 all wait on barrier ``parties``; their (index, invoke, return)."""
    agents = list(range(parties))
    arrive(team, agents, parties)
    got = team.results(set(agents), "a Barrier.wait() result")
    return {i: passed(f"wait() in agent {i}", r) for i, r in got.items()}


@pytest.mark.mp_catches("mutants.coordination:barrier_releases_early")
@pytest.mark.mp_api("Barrier", "Barrier(parties)")
def test_barrier_releases_nobody_before_all_arrive(mp):
    """Barrier(n).wait() returns in no party before the n-th party has called wait().

    The last party is sent only once the others are on their way (and, to give an early
    release the chance to show, a little later); every return time must be no earlier than
    every party's invoke time.
    """
    with barrier_crew(mp) as (team, barriers):

        @budget("process")
        @given(parties=PARTIES, order=st.permutations(range(MAX_PARTIES)))
        def example(parties: int, order: list[int]) -> None:
            with team.example():
                barriers.reset_all()
                *early, last = order[:parties]
                arrive(team, early, parties)
                if early:
                    gone = team.next_result(set(early), WATCH, "a Barrier.wait() result")
                    assert gone is None, (
                        f"Barrier({parties}).wait() returned in agent {gone[0]} with only "
                        f"{len(early)} of {parties} parties arrived: {gone[1]}"
                    )
                t_last = arrive(team, [last], parties)

                def judge(i: int, result: tuple) -> None:
                    _, _, t_return = passed(f"wait() in agent {i}", result)
                    assert t_return >= t_last, (
                        f"Barrier({parties}).wait() returned in agent {i} "
                        f"{seconds(t_last - t_return):.4f} s before the last party arrived"
                    )

                team.results({*early, last}, "a Barrier.wait() result", judge)

        example()


@pytest.mark.mp_catches("mutants.coordination:barrier_same_index")
@pytest.mark.mp_api("Barrier", "Barrier(parties)")
def test_barrier_wait_returns_distinct_indices(mp):
    """The n parties of one Barrier cycle get the indices 0..n-1 from wait(), each once."""
    with barrier_crew(mp) as (team, barriers):

        @budget("cheap")
        @given(parties=PARTIES, cycles=st.integers(1, 3))
        def example(parties: int, cycles: int) -> None:
            with team.example():
                barriers.reset_all()
                for cycle in range(cycles):
                    got = full_cycle(team, parties)
                    indices = sorted(index for index, _, _ in got.values())
                    assert indices == list(range(parties)), (
                        f"cycle {cycle} of Barrier({parties}) returned indices {indices}; "
                        f"CPython returns each of 0..{parties - 1} once"
                    )

        example()


@pytest.mark.mp_catches("mutants.coordination:barrier_action_by_all")
@pytest.mark.mp_api("Barrier", "Barrier(action)")
def test_barrier_action_runs_once_per_cycle(mp):
    """A Barrier's action runs exactly once per cycle, after the last party arrives and before
    any party is released."""
    with barrier_crew(mp) as (team, barriers):

        @budget("cheap")
        @given(parties=PARTIES, cycles=st.integers(1, 3))
        def example(parties: int, cycles: int) -> None:
            with team.example():
                barriers.reset_all()
                for cycle in range(cycles):
                    runs_before, _ = barriers.action_runs(parties)
                    got = full_cycle(team, parties)
                    runs, t_action = barriers.action_runs(parties)
                    assert runs - runs_before == 1, (
                        f"the action of Barrier({parties}) ran {runs - runs_before} times in "
                        f"cycle {cycle}; CPython runs it once"
                    )
                    t_last = max(t_invoke for _, t_invoke, _ in got.values())
                    assert t_action >= t_last, "the action ran before every party arrived"
                    first_out = min(t_return for _, _, t_return in got.values())
                    assert first_out >= t_action, "a party left the barrier before the action ran"

        example()


def break_and_check(team: Crew, barriers: Barriers, parties: int, waiting: int, how: str) -> None:
    """``waiting`` agents wait, agent parties-1 (idle) or the test calls ``how``; every waiter
    must raise BrokenBarrierError."""
    barrier = barriers.of[parties]
    arrive(team, list(range(waiting)), parties)
    if how == "reset":  # a party not yet inside wait() would just wait in the new cycle
        wait_for_n_waiting(barrier, waiting)
    team.order(parties - 1, "call", parties, how)
    team.result(parties - 1, f"{how}()")
    got = team.results(set(range(waiting)), "a Barrier.wait() result")
    for i, (status, index, _, _) in got.items():
        assert status == "broken", (
            f"wait() in agent {i} returned {index} although {how}() was called while it "
            "waited; CPython raises threading.BrokenBarrierError"
        )


def wait_for_n_waiting(barrier: Any, expected: int) -> None:
    """Poll ``barrier.n_waiting`` until it reaches ``expected`` (every party is inside wait())."""
    end = time.monotonic() + LIVENESS
    while (seen := barrier.n_waiting) != expected:
        assert seen < expected, f"n_waiting is {seen} with {expected} parties waiting"
        assert time.monotonic() < end, (
            f"n_waiting stayed at {seen} for {LIVENESS:g} s with {expected} parties waiting"
        )
        time.sleep(POLL)


def state_seen_by(team: Crew, i: int, key: Any) -> tuple[int, int, bool]:
    team.order(i, "barrier_state", key)
    return tuple(team.result(i, "(parties, n_waiting, broken)"))


BREAKS = st.integers(2, MAX_PARTIES).flatmap(lambda p: st.tuples(st.just(p), st.integers(1, p - 1)))


@pytest.mark.mp_api("Barrier")
def test_barrier_abort_breaks_it_until_reset(mp):
    """abort() makes every waiting party raise BrokenBarrierError, and later waits too, until
    reset(); broken says so in every process."""
    with barrier_crew(mp) as (team, barriers):

        @budget("cheap")
        @given(sizes=BREAKS)
        def example(sizes: tuple[int, int]) -> None:
            parties, waiting = sizes
            with team.example():
                barriers.reset_all()
                break_and_check(team, barriers, parties, waiting, "abort")
                assert barriers.of[parties].broken is True, "broken is not True after abort()"
                late = waiting - 1
                team.order(late, "barrier_wait", parties, LIVENESS)
                team.expect(late, "arriving", "a party arriving after abort()")
                status, *_ = team.result(late, "the late wait() result")
                assert status == "broken", "wait() on an aborted Barrier passed"
                _, _, broken = state_seen_by(team, parties - 1, parties)
                assert broken is True, "broken is not True in another process after abort()"
                barriers.of[parties].reset()
                _, _, broken = state_seen_by(team, parties - 1, parties)
                assert broken is False, "broken is still True in another process after reset()"
                full_cycle(team, parties)

        example()


@pytest.mark.mp_catches("mutants.coordination:barrier_same_index")
@pytest.mark.mp_api("Barrier")
def test_barrier_reset_breaks_current_waiters(mp):
    """reset() makes the parties waiting raise BrokenBarrierError and leaves the Barrier usable."""
    with barrier_crew(mp) as (team, barriers):

        @budget("cheap")
        @given(sizes=BREAKS)
        def example(sizes: tuple[int, int]) -> None:
            parties, waiting = sizes
            with team.example():
                barriers.reset_all()
                break_and_check(team, barriers, parties, waiting, "reset")
                _, _, broken = state_seen_by(team, 0, parties)
                assert broken is False, "broken is True after reset()"
                got = full_cycle(team, parties)
                assert sorted(i for i, _, _ in got.values()) == list(range(parties))

        example()


@pytest.mark.mp_api("Barrier")
def test_barrier_wait_timeout_breaks_it(mp):
    """wait(timeout) raises BrokenBarrierError after the timeout and breaks the Barrier for
    every party."""
    with barrier_crew(mp) as (team, barriers):

        @budget("process")
        @given(sizes=BREAKS, timeout=TIMEOUTS)
        def example(sizes: tuple[int, int], timeout: float) -> None:
            parties, waiting = sizes
            with team.example():
                barriers.reset_all()
                arrive(team, [0], parties, timeout)
                arrive(team, list(range(1, waiting)), parties)
                got = team.results(set(range(waiting)), "a Barrier.wait() result")
                _, _, broken = state_seen_by(team, parties - 1, parties)
            status, index, t_invoke, t_return = got[0]
            assert status == "broken", f"wait({timeout}) returned {index} with too few parties"
            elapsed = seconds(t_return - t_invoke)
            assert elapsed >= timeout - CLOCK_SLACK, (
                f"wait({timeout}) raised after {elapsed:.4f} s; CPython waits at least the timeout"
            )
            others = {i: r[0] for i, r in got.items() if r[0] != "broken"}
            assert not others, f"parties {sorted(others)} passed a barrier broken by a timeout"
            assert broken is True, "broken is not True in another process after a timeout"

        example()


@pytest.mark.mp_api("Barrier", "Barrier(timeout)")
def test_barrier_default_timeout_breaks_it(mp):
    """wait() without a timeout on a Barrier made with timeout=t raises BrokenBarrierError after
    t at least, and breaks the Barrier for every party."""
    with barrier_crew(mp) as (team, barriers):

        @budget("cheap")
        @given(sizes=BREAKS)
        def example(sizes: tuple[int, int]) -> None:
            parties, waiting = sizes
            key = ("timed", parties)
            with team.example():
                barriers.reset_all()
                arrive(team, list(range(waiting)), key, None)
                got = team.results(set(range(waiting)), "a Barrier.wait() result")
                _, _, broken = state_seen_by(team, parties - 1, key)
            passed_anyway = {i: r[1] for i, r in got.items() if r[0] != "broken"}
            assert not passed_anyway, (
                f"parties {sorted(passed_anyway)} passed a Barrier({parties}) with too few parties"
            )
            longest = max(seconds(r[3] - r[2]) for r in got.values())
            assert longest >= DEFAULT_TIMEOUT - CLOCK_SLACK, (
                f"Barrier({parties}, timeout={DEFAULT_TIMEOUT}) broke after {longest:.4f} s; "
                "CPython waits at least the default timeout"
            )
            assert broken is True, "broken is not True in another process after a timeout"

        example()


@pytest.mark.mp_api("Barrier", "Barrier(parties)")
def test_barrier_attributes_across_processes(mp):
    """parties, n_waiting and broken read the same in every process, n_waiting counting the
    parties inside wait()."""
    with barrier_crew(mp) as (team, barriers):

        @budget("cheap")
        @given(sizes=PARTIES.flatmap(lambda p: st.tuples(st.just(p), st.integers(0, p - 1))))
        def example(sizes: tuple[int, int]) -> None:
            parties, waiting = sizes
            with team.example():
                barriers.reset_all()
                idle = state_seen_by(team, parties - 1, parties)
                assert idle == (parties, 0, False), f"(parties, n_waiting, broken) = {idle}"
                arrive(team, list(range(waiting)), parties)
                wait_for_n_waiting(barriers.of[parties], waiting)
                seen = state_seen_by(team, parties - 1, parties)
                assert seen == (parties, waiting, False), (
                    f"another process sees (parties, n_waiting, broken) = {seen} with "
                    f"{waiting} of {parties} parties waiting"
                )
                full_cycle_rest(team, parties, waiting)
                after = state_seen_by(team, parties - 1, parties)
                assert after == (parties, 0, False), f"after the cycle: {after}"

        example()


def full_cycle_rest(team: Crew, parties: int, waiting: int) -> None:
    """Agents waiting..parties-1 join the ``waiting`` already inside wait(); all must pass."""
    arrive(team, list(range(waiting, parties)), parties)
    got = team.results(set(range(parties)), "a Barrier.wait() result")
    for i, r in got.items():
        passed(f"wait() in agent {i}", r)
