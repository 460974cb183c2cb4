"""Locks and semaphores: Lock, RLock, Semaphore and BoundedSemaphore shared between processes.

Every property drives the object from more than one process: the test process and long-lived
holder agents that received the objects at creation (the only way to share them) and act on
command through a pipe, so one start-up serves a whole Hypothesis run. Commands are answered
one at a time, so the test always knows which process holds what and can compare every result
with a sequential model; contention properties instead record the critical sections each
holder saw, ``(acquire returned, release invoked)``, and check them with sound screens plus an
in-band owner cell that needs no clock.

Between examples the objects are brought back to their initial state from what they report,
not from what the model predicted, so a failing example does not poison the next one while
Hypothesis shrinks.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any, Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mpconform.agents import Agent, Reply, outcome, started
from mpconform.checkers import (
    NO_OWNER,
    History,
    Op,
    Section,
    screen_counter,
    screen_critical_sections,
    screen_holders,
)
from mpconform.conformance import children_locks as kids
from mpconform.limits import scaled
from mpconform.outcomes import TestTimeout, Unsupported
from mpconform.profiles import budget
from mpconform.target import Target
from mpconform.waiting import LIVENESS

pytestmark = pytest.mark.mp_area("Locks and semaphores")

CLOCK_SLACK = 0.001  # a timed wait rounded to whole milliseconds may return this early
SETTLE_LIMIT = 64  # releases/acquires one reset may need; more means the object is broken
SHORT = scaled(5.0)  # an acquire that must succeed at once: generous, fails in seconds
PARENT = "the test process"

# -- replies -----------------------------------------------------------------------------------


def ask(holder: Agent, op: str, index: int = 0, *args: Any) -> Reply:
    """Run ``op`` on object ``index`` in ``holder`` and keep count of what it holds."""
    return noted(holder, op, index, holder.call(op, index, *args))


def noted(holder: Agent, op: str, index: int, reply: Reply) -> Reply:
    """Keep count of what an agent holds (in its ledger), so a reset can have it let go."""
    if op.endswith("acquire") and reply.value is True:
        holder.ledger[index] = holder.ledger.get(index, 0) + 1
    elif op == "release" and not reply.raised and holder.ledger.get(index):
        holder.ledger[index] -= 1
    return reply


def let_go(holder: Agent, index: int) -> None:
    """Have ``holder`` release what it acquired and did not release, ignoring refusals."""
    for _ in range(holder.ledger.pop(index, 0)):
        ask(holder, "release", index)


@contextlib.contextmanager
def holders(mp: Target, objects: list, cells: list, count: int, go: Any = None) -> Iterator[list]:
    """``count`` holder agents sharing ``objects``, ``cells`` and the event ``go``, stopped
    however the body ends; each gets its own nonzero holder id."""
    with contextlib.ExitStack() as stack:
        yield [
            stack.enter_context(
                started(mp, kids.COMMANDS, (objects, cells, i + 1, go), name=f"holder {i + 1}")
            )
            for i in range(count)
        ]


def together(team: list[Agent], go: Any, op: str, index: int, each: list[tuple]) -> list:
    """Have every agent of ``team`` run ``op`` (with its own ``each`` args) at once; their
    results, in team order.

    Each agent notes READY, then waits for ``go``; the test sets it once all are ready. It
    clears ``go`` again only here, when every agent of the previous round has answered, so no
    agent can still be waiting on the old round. Every answer is read before any is judged,
    so a failing example leaves nothing in the pipes for the next one.
    """
    go.clear()
    for holder, args in zip(team, each):
        holder.send(op, index, *args)
    for holder in team:
        ready = holder.note("ready")
        assert ready == kids.READY, f"{holder.name} noted {ready!r} instead of ready"
    go.set()
    replies = [holder.reply(f"the outcome of {op}") for holder in team]
    for holder, reply in zip(team, replies):
        assert not reply.raised, f"{holder.name}'s {op} {reply.show()}"
    return [reply.value for reply in replies]


def value_cell(mp: Target, initial: int = 0) -> Any:
    """A shared integer with no lock of its own: the tests guard it themselves."""
    return mp.Value("i", initial, lock=False)


def lock_of(mp: Target, kind: str) -> Any:
    """``kind`` is a factory name, optionally with its argument: ``"Semaphore(0)"``."""
    name, _, arg = kind.partition("(")
    factory = getattr(mp, name)
    return factory(int(arg.rstrip(")"))) if arg else factory()


def capacity(kind: str) -> int:
    """How many acquisitions a fresh object of ``kind`` grants without a release."""
    _, _, arg = kind.partition("(")
    return int(arg.rstrip(")")) if arg else 1


def require_get_value(sem: Any) -> int:
    method = getattr(sem, "get_value", None)
    if not callable(method):
        raise Unsupported(f"{type(sem).__name__} has no get_value()")
    try:
        return int(method())
    except NotImplementedError:
        raise Unsupported("get_value() is not implemented on this platform") from None


# -- resetting between examples ----------------------------------------------------------------


def drain(obj: Any) -> int:
    """Take every free slot of a Lock or semaphore; how many there were."""
    for taken in range(SETTLE_LIMIT):
        if not obj.acquire(False):
            return taken
    for _ in range(SETTLE_LIMIT):  # give them back: the object is re-entrant, not this big
        obj.release()
    raise AssertionError(
        f"acquire(False) in {PARENT} succeeded {SETTLE_LIMIT} times in a row; a Lock or "
        "semaphore of this size would have refused"
    )


def reset_counting(obj: Any, initial: int, team: Sequence[Agent] = (), index: int = 0) -> None:
    """Bring a Lock or semaphore back to ``initial`` free slots, whoever holds it.

    Anyone may release these, so the test process could do it all: take every free slot, then
    release ``initial`` of them. The agents first let go of what they hold, so that a backend
    where only the holder may release still ends up free, and its next example starts clean.
    """
    for holder in team:
        let_go(holder, index)
    drain(obj)
    for _ in range(initial):
        freed = outcome(obj.release)
        assert not freed.raised, f"resetting: release() in {PARENT} {freed.show()}"


def reset_rlock(obj: Any, team: list[Agent], index: int = 0) -> None:
    """Free an RLock: only its owner may release, so every process releases until refused."""
    for _ in range(SETTLE_LIMIT):
        if outcome(obj.release).raised:
            break
    for holder in team:
        holder.ledger.pop(index, None)
        for _ in range(SETTLE_LIMIT):
            if ask(holder, "release", index).raised:
                break


def reset(kind: str, obj: Any, team: list[Agent], index: int = 0, size: int | None = None) -> None:
    """Back to the fresh state of a ``kind`` object (``size`` slots, if given)."""
    if kind == "RLock":
        reset_rlock(obj, team, index)
    else:
        reset_counting(obj, capacity(kind) if size is None else size, team, index)


class Unrecoverable(BaseException):
    """An example failed and left its object in a state no reset could undo.

    Further examples would start from that state, and the sequential model's blocking
    acquire() could then wait forever, so the search stops with the first failure's message.
    A BaseException, so that Hypothesis does not try to shrink it.
    """


class Examples:
    """Runs each example's body, then restores the object; remembers a restore that failed."""

    def __init__(self) -> None:
        self.spoiled: str | None = None

    @contextlib.contextmanager
    def each(self, restore: Callable[[], None]) -> Iterator[None]:
        if self.spoiled is not None:
            raise Unrecoverable(self.spoiled)
        try:
            yield
        except Exception as exc:
            self._restore(restore, f"{type(exc).__name__}: {exc}")
            raise
        self._restore(restore, None)

    def _restore(self, restore: Callable[[], None], failure: str | None) -> None:
        try:
            restore()
        except Exception as exc:
            first = failure or "an example passed"
            self.spoiled = f"{first}\n(then the object could not be reset: {exc})"
            if failure is None:
                raise


def verify_fresh(kind: str, obj: Any, team: Sequence[Agent], index: int, initial: int) -> None:
    """Every process finds the object as new: all of a semaphore's slots free, an RLock free
    for each process in turn."""
    if kind != "RLock":
        free = drain(obj)
        for _ in range(free):
            obj.release()
        assert free == initial, f"{kind} has {free} free slots after a reset, not {initial}"
        return
    for holder in team:
        got = ask(holder, "acquire", index, False)
        assert got.value is True, f"RLock not free for {holder.name} after a reset: {got.show()}"
        ask(holder, "release", index)
    got = outcome(obj.acquire, False)
    assert got.value is True, f"RLock not free for {PARENT} after a reset: {got.show()}"
    obj.release()


# -- sequential models -------------------------------------------------------------------------


class Model:
    """What CPython's object answers to one call, given who makes it; ``state`` is its state.

    ``step`` returns the expected reply as ``(raised, value)``: a result, or an exception name.
    """

    def __init__(self, kind: str, initial: int) -> None:
        self.kind = kind
        self.initial = initial
        self.free = initial  # Lock and semaphores
        self.owner: str | None = None  # RLock
        self.depth = 0

    def step(self, actor: str, op: str) -> tuple[bool, Any]:
        if self.kind == "RLock":
            return self._rlock(actor, op)
        if op != "release":  # any acquire: "try" or "wait"
            if self.free == 0:
                return False, False
            self.free -= 1
            return False, True
        bounded = self.kind in ("Lock", "BoundedSemaphore")
        if bounded and self.free >= self.initial:
            return True, "ValueError"
        self.free += 1
        return False, None

    def would_get(self, actor: str) -> bool:
        """Whether the object is free, so that a blocking acquire by ``actor`` returns at once.

        Not an owner's re-entry: with a backend whose RLock is not re-entrant that would block
        for good, where acquire(False) fails with a clear message.
        """
        if self.kind == "RLock":
            return self.owner is None
        return self.free > 0

    def _rlock(self, actor: str, op: str) -> tuple[bool, Any]:
        if op != "release":  # any acquire: "try" or "wait"
            if self.owner not in (None, actor):
                return False, False
            self.owner, self.depth = actor, self.depth + 1
            return False, True
        if self.owner != actor:
            return True, "AssertionError"
        self.depth -= 1
        if self.depth == 0:
            self.owner = None
        return False, None

    def state(self) -> str:
        if self.kind == "RLock":
            if self.owner is None:
                return "while unowned"
            return f"while {self.owner} owned it at depth {self.depth}"
        if self.kind == "Lock":
            return "while unlocked" if self.free else "while locked"
        return f"with {self.free} of {self.initial} slots free"


def _matches(reply: Reply, expected: tuple[bool, Any]) -> bool:
    raised, value = expected
    if raised:
        return reply.is_a(value)
    return not reply.raised and reply.value is value


def _explain(kind: str, who: str, text: str, reply: Reply, expected: tuple, before: str) -> str:
    raised, value = expected
    want = f"raises {value}" if raised else f"returns {value!r}"
    return f"{kind}: {text} in {who} {reply.show()} {before}; CPython {want}"


# One step: (actor index, op); actor 0 is the test process, 1 and 2 the agents. "wait" is a
# blocking acquire(), made only when the model says the object is free (an agent's has no
# timeout; the test process's is bounded); otherwise the step becomes "try", acquire(False).
# Every earlier result was checked, so only a bug no result shows (a release that does not
# release) can make it block; the agent then ends as TIMEOUT after the liveness bound.
ACTORS = (PARENT, "holder 1", "holder 2")
STEPS = st.lists(
    st.tuples(st.integers(0, 2), st.sampled_from(["try", "wait", "release"])), max_size=12
)


def _perform(obj: Any, team: list[Agent], index: int, actor: int, op: str) -> tuple[str, Reply]:
    """Make one step's call in its process; what was called, and how it went."""
    if actor == 0:
        if op == "release":
            return "release()", outcome(obj.release)
        if op == "wait":
            return f"acquire(timeout={SHORT:g})", outcome(obj.acquire, True, SHORT)
        return "acquire(False)", outcome(obj.acquire, False)
    holder = team[actor - 1]
    if op == "release":
        return "release()", ask(holder, "release", index)
    if op == "wait":
        return "acquire()", ask(holder, "acquire", index)
    return "acquire(False)", ask(holder, "acquire", index, False)


def _replay(mp: Target, kind: str, sizes: tuple[int | None, ...]) -> None:
    """Run generated acquire()/release() sequences from three processes against a model.

    One object per size (semaphores need their size at creation, before the agents start);
    each example picks one.
    """
    objects = [lock_of(mp, kind if size is None else f"{kind}({size})") for size in sizes]
    examples = Examples()
    with holders(mp, objects, [], 2) as team:

        @budget("cheap")
        @given(which=st.integers(0, len(sizes) - 1), steps=STEPS)
        def sequence(which: int, steps: list[tuple[int, str]]) -> None:
            obj = objects[which]
            size = sizes[which]
            initial = 1 if size is None else size
            model = Model(kind, initial)

            def restore() -> None:
                reset(kind, obj, team, which, initial)
                verify_fresh(kind, obj, team, which, initial)

            with examples.each(restore):
                for actor, op in steps:
                    if op == "wait" and not model.would_get(ACTORS[actor]):
                        op = "try"
                    before = model.state()
                    expected = model.step(ACTORS[actor], op)
                    text, reply = _perform(obj, team, which, actor, op)
                    why = _explain(kind, ACTORS[actor], text, reply, expected, before)
                    assert _matches(reply, expected), why
                if kind != "RLock":
                    left = drain(obj)
                    assert left == model.free, (
                        f"{kind}: after the sequence acquire(False) succeeded {left} times in "
                        f"{PARENT}; CPython leaves {model.free} of {initial} slots free"
                    )

        sequence()


@pytest.mark.mp_catches(
    "mutants.locks:failed_acquire_returns_none",
    "mutants.locks:lock_is_rlock",
    "mutants.locks:lock_per_process",
)
@pytest.mark.mp_api("Lock", "Lock.acquire", "Lock.acquire(block)", "Lock.release")
def test_lock_follows_its_sequential_model(mp):
    """Lock: acquire(False) is True if free, False if held; releasing it unlocked raises ValueError.

    Any process may release it, not only the one that acquired it (documented). The calls of
    three processes are compared with a sequential model, results by identity: True and
    False, not merely truthy values; after the sequence the test process must find exactly
    the free slots the model left.
    """
    _replay(mp, "Lock", (None,))


@pytest.mark.mp_catches(
    "mutants.locks:failed_acquire_returns_none",
    "mutants.locks:rlock_not_reentrant",
    "mutants.locks:rlock_release_unchecked",
)
@pytest.mark.mp_api("RLock", "RLock.acquire", "RLock.acquire(block)", "RLock.release")
def test_rlock_follows_its_sequential_model(mp):
    """RLock: only its owner re-acquires; release() by another or unowned raises AssertionError.

    The owner must release once per acquire before another process gets it; the three
    processes' calls are compared with a sequential model.
    """
    _replay(mp, "RLock", (None,))


@pytest.mark.mp_catches(
    "mutants.locks:failed_acquire_returns_none", "mutants.locks:semaphore_one_extra"
)
@pytest.mark.mp_api("Semaphore", "Semaphore(value)")
def test_semaphore_follows_its_sequential_model(mp):
    """Semaphore(n) grants n acquire(False) calls, then False until some process releases.

    release() beyond the initial value is allowed and adds a slot; Semaphore(0) starts with
    none. The three processes' calls are compared with a sequential model.
    """
    _replay(mp, "Semaphore", (0, 1, 2, 3, 4))


@pytest.mark.mp_catches(
    "mutants.locks:bounded_semaphore_unbounded",
    "mutants.locks:failed_acquire_returns_none",
    "mutants.locks:semaphore_one_extra",
)
@pytest.mark.mp_api("BoundedSemaphore", "BoundedSemaphore(value)")
def test_bounded_semaphore_follows_its_sequential_model(mp):
    """BoundedSemaphore(n) is a Semaphore(n) whose release() beyond n raises ValueError.

    The three processes' calls are compared with a sequential model.
    """
    _replay(mp, "BoundedSemaphore", (1, 2, 3, 4))


# -- timed and blocking acquire ----------------------------------------------------------------

KINDS = ("Lock", "RLock", "Semaphore(1)", "BoundedSemaphore(1)")


def made(mp: Target, kinds: Sequence[str]) -> tuple[list[str], list[Any]]:
    """One object of each kind the backend has, and their kinds.

    One agent then serves them all and each example draws one, instead of an agent start per
    kind; a missing factory is reported by the sequential-model properties, not here.
    """
    names, objects = [], []
    for kind in kinds:
        with contextlib.suppress(Unsupported):
            objects.append(lock_of(mp, kind))
            names.append(kind)
    if not names:
        raise Unsupported(f"none of {', '.join(kinds)}")
    return names, objects


@pytest.mark.mp_catches("mutants.locks:acquire_timeout_ignored", "mutants.locks:lock_per_process")
@pytest.mark.mp_api(
    "BoundedSemaphore",
    "Lock.acquire",
    "Lock.acquire(timeout)",
    "RLock.acquire",
    "RLock.acquire(timeout)",
    "Semaphore",
)
def test_acquire_timeout_returns_false_after_the_timeout(mp):
    """acquire(timeout=t) returns False, after at least t, while another process holds it.

    For Lock, RLock, Semaphore(1) and BoundedSemaphore(1), held by the test process or by an
    agent, each example drawing one.
    """
    names, objects = made(mp, KINDS)
    with holders(mp, objects, [], 1) as (agent,):

        @budget("process")
        @given(
            which=st.integers(0, len(names) - 1),
            timeout=st.floats(0.0, 0.03),
            agent_holds=st.booleans(),
        )
        def timed(which: int, timeout: float, agent_holds: bool) -> None:
            kind, obj = names[which], objects[which]
            try:
                if agent_holds:
                    taken = ask(agent, "acquire", which, True, SHORT)
                    assert taken.value is True, f"the agent's acquire() {taken.show()}"
                    reply = outcome(obj.acquire, timeout=timeout)
                    who = PARENT
                else:
                    assert obj.acquire(True, SHORT) is True
                    reply = ask(agent, "acquire", which, True, timeout)
                    who = agent.name
                waited = (reply.t_return - reply.t_invoke) / 1e9
                assert not reply.raised and reply.value is False, (
                    f"{kind}.acquire(timeout={timeout}) in {who} {reply.show()} while another "
                    "process held it; CPython returns False"
                )
                assert waited >= timeout - CLOCK_SLACK, (
                    f"{kind}.acquire(timeout={timeout}) returned after {waited:.4f} s; CPython "
                    "waits at least the timeout"
                )
            finally:
                reset(kind, obj, [agent], which)

        timed()


@pytest.mark.mp_api(
    "Lock.acquire", "Lock.acquire(timeout)", "RLock.acquire", "RLock.acquire(timeout)"
)
def test_negative_timeout_acts_as_zero(mp):
    """Lock.acquire(timeout=-t) and RLock.acquire(timeout=-t) act as a timeout of zero.

    Documented: "Invocations with a negative value for timeout are equivalent to a timeout of
    zero": True at once when free, False at once while another process holds it, no error.
    -1 is left out, as threading.Lock takes it to mean "wait forever".
    """
    names, objects = made(mp, ("Lock", "RLock"))
    with holders(mp, objects, [], 1) as (agent,):

        @budget("cheap")
        @given(which=st.integers(0, len(names) - 1), timeout=st.floats(-0.9, -0.001))
        def negative(which: int, timeout: float) -> None:
            kind, obj = names[which], objects[which]
            try:
                got = ask(agent, "acquire", which, True, timeout)
                assert not got.raised and got.value is True, (
                    f"{kind}.acquire(timeout={timeout}) on a free lock {got.show()}; CPython "
                    "returns True, as for a timeout of zero"
                )
                refused = outcome(obj.acquire, True, timeout)
                assert not refused.raised and refused.value is False, (
                    f"{kind}.acquire(timeout={timeout}) while another process holds it "
                    f"{refused.show()}; CPython returns False, as for a timeout of zero"
                )
            finally:
                reset(kind, obj, [agent], which)

        negative()


@pytest.mark.mp_catches("mutants.locks:lock_per_process")
@pytest.mark.mp_api(
    "BoundedSemaphore",
    "Lock.acquire",
    "Lock.acquire(block)",
    "Lock.release",
    "RLock.acquire",
    "RLock.acquire(block)",
    "RLock.release",
    "Semaphore",
    "Semaphore(value)",
)
def test_blocked_acquire_returns_true_once_released(mp):
    """A blocked acquire() returns True once another process releases, and not before.

    The test holds the object (Semaphore(0) starts exhausted) while an agent waits in
    acquire(); it keeps holding for a generated pause after the agent announced the call,
    then releases. The acquire must return True, and no earlier than the release was invoked.
    """
    names, objects = made(mp, (*KINDS, "Semaphore(0)"))
    with holders(mp, objects, [], 1) as (agent,):

        @budget("process")
        @given(which=st.integers(0, len(names) - 1), pause=st.floats(0.0, 0.02))
        def blocked(which: int, pause: float) -> None:
            kind, obj = names[which], objects[which]
            if capacity(kind):
                assert obj.acquire(True, SHORT) is True
            try:
                agent.send("announced_acquire", which, True, LIVENESS)
                assert agent.note("notice of the acquire") == kids.INVOKING
                time.sleep(pause)  # keep holding while the agent waits
                t_release = time.monotonic_ns()
                obj.release()
                got = noted(agent, "acquire", which, agent.reply("the blocked acquire's outcome"))
                assert not got.raised and got.value is True, (
                    f"{kind}: the blocked acquire() {got.show()} after the release; CPython "
                    "returns True"
                )
                assert got.t_return >= t_release, (
                    f"{kind}: the agent's acquire() returned {(t_release - got.t_return) / 1e6:.3f}"
                    " ms before the test process released the object it held"
                )
            finally:
                reset(kind, obj, [agent], which)

        blocked()


# -- context manager ---------------------------------------------------------------------------


class BodyFailed(Exception):
    """Raised inside a ``with`` block to see the object released on the way out."""


@pytest.mark.mp_catches(
    "mutants.locks:failed_acquire_returns_none", "mutants.locks:lock_per_process"
)
@pytest.mark.mp_api("BoundedSemaphore", "Lock", "RLock", "Semaphore")
def test_with_statement_acquires_and_releases(mp):
    """A with statement holds the lock for its body and releases it after, also when the body
    raises.

    Another process sees it held inside the block (acquire(False) is False) and free after.
    """
    names, objects = made(mp, KINDS)
    with holders(mp, objects, [], 1) as (agent,):

        @budget("cheap")
        @given(which=st.integers(0, len(names) - 1), raises=st.booleans())
        def scoped(which: int, raises: bool) -> None:
            kind, obj = names[which], objects[which]
            free = outcome(obj.acquire, True, SHORT)  # a with statement cannot be bounded
            assert free.value is True, f"{kind} is not free at the start: acquire {free.show()}"
            obj.release()
            try:
                with contextlib.suppress(BodyFailed), obj:
                    inside = ask(agent, "acquire", which, False)
                    if raises:
                        raise BodyFailed
                assert not inside.raised and inside.value is False, (
                    f"{kind}: acquire(False) in another process {inside.show()} inside the with "
                    "block; CPython returns False (the block holds it)"
                )
                after = ask(agent, "acquire", which, False)
                how = "raised" if raises else "ended"
                assert not after.raised and after.value is True, (
                    f"{kind}: acquire(False) in another process {after.show()} after the with "
                    f"block {how}; CPython returns True (the block released it)"
                )
            finally:
                reset(kind, obj, [agent], which)

        scoped()


# -- RLock recursion ---------------------------------------------------------------------------


@pytest.mark.mp_catches("mutants.locks:rlock_not_reentrant")
@pytest.mark.mp_api("RLock", "RLock.acquire", "RLock.acquire(block)", "RLock.release")
def test_rlock_needs_as_many_releases_as_acquires(mp):
    """An RLock acquired d times by one process stays held until it was released d times.

    Another process's acquire(False) is False at every depth, and True after the last release.

    The owner re-acquires with acquire(False): re-entry must never wait, and a backend whose
    RLock is not re-entrant then fails at once instead of after a timeout.
    """
    obj = mp.RLock()
    with holders(mp, [obj], [], 1) as (agent,):

        @budget("cheap")
        @given(depth=st.integers(1, 6), agent_owns=st.booleans())
        def recursion(depth: int, agent_owns: bool) -> None:
            owner_acquire = (
                (lambda: ask(agent, "acquire", 0, False))
                if agent_owns
                else (lambda: outcome(obj.acquire, False))
            )
            owner_release = (
                (lambda: ask(agent, "release", 0)) if agent_owns else (lambda: outcome(obj.release))
            )
            other_try = (
                (lambda: outcome(obj.acquire, False))
                if agent_owns
                else (lambda: ask(agent, "acquire", 0, False))
            )
            try:
                for level in range(1, depth + 1):
                    got = owner_acquire()
                    assert not got.raised and got.value is True, (
                        f"acquire(False) by the owner of an RLock it holds {level - 1} times "
                        f"{got.show()}; CPython returns True"
                    )
                for left in range(depth, 0, -1):
                    probe = other_try()
                    assert not probe.raised and probe.value is False, (
                        f"acquire(False) by another process {probe.show()} while the owner "
                        f"still held the RLock {left} of {depth} times; CPython returns False"
                    )
                    done = owner_release()
                    assert not done.raised, f"the owner's release() {done.show()}"
                probe = other_try()
                assert not probe.raised and probe.value is True, (
                    f"acquire(False) by another process {probe.show()} after the owner released "
                    f"all {depth} levels; CPython returns True"
                )
            finally:
                reset_rlock(obj, [agent])

        recursion()


# -- counting under a lock ---------------------------------------------------------------------

PLANS = st.lists(st.integers(1, 12), min_size=2, max_size=4)


def _check_sections(rows: list, team: list[Agent]) -> None:
    sections = [
        Section(holder.name, t_in, t_out)
        for holder, (secs, _, _) in zip(team, rows)
        for t_in, t_out in secs
    ]
    violations = screen_critical_sections(sections)
    assert not violations, "mutual exclusion broken: " + "; ".join(v.message for v in violations)


def _check_increments(rows: list, team: list[Agent]) -> None:
    ops = [
        Op(holder.name, "fetch_inc", (), old, t0, t1)
        for holder, (_, incs, _) in zip(team, rows)
        for old, t0, t1 in incs
    ]
    violations = screen_counter(History(tuple(ops)))
    assert not violations, "; ".join(v.message for v in violations)


def _count_under(mp: Target, counter: Any, lock: Any, depth: int, what: str) -> None:
    """Agents increment ``counter`` under ``lock`` (None: ``counter.get_lock()``) at once.

    The agents start together (see :func:`together`), so they contend from the first
    increment. The final value must be exact, the sections must not overlap, the owner cell must
    never show two holders, and the old values must form a real fetch-and-increment history.
    """
    owner, go = value_cell(mp), mp.Event()
    with holders(mp, [lock], [counter, owner], 4, go) as team:

        @budget("cheap")
        @given(plan=PLANS)
        def exact(plan: list[int]) -> None:
            counter.value = 0  # nobody is inside between examples
            owner.value = NO_OWNER
            used = team[: len(plan)]
            each = [(increments, depth, SHORT) for increments in plan]
            rows = together(used, go, "count", 0, each)
            findings = [f for _, _, found in rows for f in found]
            assert not findings, f"{what}: " + "; ".join(findings[:5])
            _check_sections(rows, used)
            _check_increments(rows, used)
            total = sum(plan)
            assert counter.value == total, (
                f"{what}: {len(plan)} processes made {total} increments but the value is "
                f"{counter.value}; increments were lost"
            )

        exact()


@pytest.mark.mp_catches("mutants.locks:value_get_lock_fresh")
@pytest.mark.mp_api("Value", "Value(lock)")
def test_value_get_lock_makes_increments_exact(mp):
    """v.get_lock() held around `v.value += 1` in several processes loses no increment.

    The sections it guards never overlap, by the clock and by an in-band owner cell, and the
    old values read form a valid fetch-and-increment history.
    """
    counter = mp.Value("i", 0)
    if not callable(getattr(counter, "get_lock", None)):
        raise Unsupported(f"{type(counter).__name__} has no get_lock()")
    _count_under(mp, counter, None, 1, "Value.get_lock()")


@pytest.mark.mp_catches("mutants.locks:lock_per_process")
@pytest.mark.mp_api("Lock", "Lock.acquire", "Lock.release", "sharedctypes.RawValue")
def test_lock_makes_raw_value_increments_exact(mp):
    """A Lock held around `v.value += 1` on a RawValue makes increments from several processes
    exact.

    Checked as for Value.get_lock(): exact total, no overlapping sections, owner cell, history.
    """
    _count_under(mp, mp.RawValue("i", 0), mp.Lock(), 1, "Lock over a RawValue")


@pytest.mark.mp_catches("mutants.locks:lock_per_process")
@pytest.mark.mp_api("Lock", "Lock.acquire", "Lock.release", "Value")
def test_lock_makes_unlocked_value_increments_exact(mp):
    """A Lock held around `v.value += 1` on a Value(lock=False) makes increments exact.

    Checked as for Value.get_lock(): exact total, no overlapping sections, owner cell, history.
    """
    _count_under(mp, value_cell(mp), mp.Lock(), 1, "Lock over a Value(lock=False)")


@pytest.mark.mp_catches("mutants.locks:rlock_not_reentrant")
@pytest.mark.mp_api("RLock", "RLock.acquire", "RLock.release", "Value")
def test_rlock_makes_increments_exact(mp):
    """An RLock taken twice around `v.value += 1` excludes the other processes just as a Lock."""
    _count_under(mp, value_cell(mp), mp.RLock(), 2, "RLock (depth 2)")


# -- semaphores --------------------------------------------------------------------------------

SIZES = (1, 2, 3, 4)
HOLD = 0.001  # how long a holder keeps its slot while the others try for theirs


def semaphores(mp: Target) -> tuple[list[tuple[str, int]], list[Any]]:
    """A Semaphore(n) and a BoundedSemaphore(n) for every n in SIZES (those the backend has).

    Sizes must be fixed before the agents start, so every size is made up front and each
    example draws one.
    """
    names, objects = made(mp, [f"{kind}({n})" for kind in SEM_KINDS for n in SIZES])
    return [(name.partition("(")[0], capacity(name)) for name in names], objects


SEM_KINDS = ("Semaphore", "BoundedSemaphore")


@pytest.mark.mp_catches("mutants.locks:semaphore_one_extra")
@pytest.mark.mp_api("BoundedSemaphore", "BoundedSemaphore(value)", "Semaphore", "Semaphore(value)")
def test_semaphore_admits_at_most_n_holders(mp):
    """A Semaphore(n) never has more than n holders at once, however many processes compete.

    Both Semaphore and BoundedSemaphore, n from 1 to 4, with one or two processes more than n.

    Counted twice: in-band (a shared count under a separate Lock, checked by each holder on
    entry) and from the sections each holder recorded.
    """
    names, sems = semaphores(mp)
    inside, guard, go = value_cell(mp), mp.Lock(), mp.Event()
    with holders(mp, sems, [inside, guard], max(SIZES) + 1, go) as team:

        @budget("cheap")
        @given(
            which=st.integers(0, len(names) - 1),
            extra=st.integers(1, 2),
            rounds=st.integers(1, 3),
        )
        def bounded(which: int, extra: int, rounds: int) -> None:
            kind, n = names[which]
            used = team[: min(n + extra, len(team))]
            inside.value = 0
            rows = together(used, go, "cycles", which, [(rounds, n, HOLD, SHORT)] * len(used))
            findings = [f for _, found in rows for f in found]
            assert not findings, f"{kind}({n}): " + "; ".join(findings[:5])
            sections = [
                Section(f"holder {i}", start, end)
                for i, (secs, _) in enumerate(rows)
                for start, end in secs
            ]
            crowded = screen_holders(sections, n)
            assert not crowded, f"{kind}({n}) among {len(used)} processes: {crowded[0].message}"

        bounded()


@pytest.mark.mp_catches(
    "mutants.locks:failed_acquire_returns_none", "mutants.locks:semaphore_one_extra"
)
@pytest.mark.mp_api("BoundedSemaphore", "BoundedSemaphore(value)", "Semaphore", "Semaphore(value)")
def test_semaphore_admits_n_holders_at_once(mp):
    """n processes can all hold a Semaphore(n) at once; acquire(False) in one more returns False.

    Both Semaphore and BoundedSemaphore, n from 1 to 4.
    """
    names, sems = semaphores(mp)
    with holders(mp, sems, [], max(SIZES)) as team:

        @budget("cheap")
        @given(which=st.integers(0, len(names) - 1))
        def all_in(which: int) -> None:
            kind, n = names[which]
            try:
                for count, holder in enumerate(team[:n], start=1):
                    got = ask(holder, "acquire", which, True, SHORT)
                    assert not got.raised and got.value is True, (
                        f"{kind}({n}): the acquire of holder {count} {got.show()} with "
                        f"{count - 1} holders in; CPython admits {n}"
                    )
                more = outcome(sems[which].acquire, False)
                assert not more.raised and more.value is False, (
                    f"{kind}({n}): acquire(False) by process {n + 1} {more.show()} with {n} "
                    "holders in; CPython returns False"
                )
            finally:
                reset_counting(sems[which], n, team, which)

        all_in()


@pytest.mark.mp_catches("mutants.locks:semaphore_one_extra")
@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("BoundedSemaphore", "Semaphore")
def test_semaphore_get_value_counts_free_slots(mp):
    """get_value() of a semaphore is the number of acquisitions left, as every process sees it.

    The documentation does not describe get_value(); CPython returns the semaphore's
    counter, and raises NotImplementedError where the platform cannot read it (macOS).
    """
    names, sems = semaphores(mp)
    require_get_value(sems[0])
    with holders(mp, sems, [], 1) as (agent,):

        @budget("cheap")
        @given(which=st.integers(0, len(names) - 1), taken=st.integers(0, 4))
        def counted(which: int, taken: int) -> None:
            kind, n = names[which]
            taken = min(taken, n)
            try:
                for _ in range(taken):
                    assert ask(agent, "acquire", which, True, SHORT).value is True
                here = require_get_value(sems[which])
                there = ask(agent, "get_value", which)
                assert here == n - taken, (
                    f"{kind}({n}).get_value() is {here} with {taken} slots taken by another "
                    f"process; CPython returns {n - taken}"
                )
                assert not there.raised and there.value == n - taken, (
                    f"{kind}({n}).get_value() in the holder {there.show()}; CPython returns "
                    f"{n - taken}"
                )
            finally:
                reset_counting(sems[which], n, [agent], which)

        counted()


@pytest.mark.mp_catches(
    "mutants.locks:bounded_semaphore_unbounded", "mutants.locks:semaphore_one_extra"
)
@pytest.mark.mp_api("BoundedSemaphore", "BoundedSemaphore(value)", "Semaphore", "Semaphore(value)")
def test_release_beyond_initial_value(mp):
    """Semaphore.release() past the initial value adds a slot; BoundedSemaphore's raises ValueError.

    The extra releases come from another process; the BoundedSemaphore's value is unchanged.
    """
    names, sems = semaphores(mp)
    with holders(mp, sems, [], 1) as (agent,):

        @budget("cheap")
        @given(which=st.integers(0, len(names) - 1), extra=st.integers(1, 3))
        def over(which: int, extra: int) -> None:
            kind, n = names[which]
            bounded = kind == "BoundedSemaphore"
            try:
                for k in range(extra):
                    got = ask(agent, "release", which)
                    if bounded:
                        assert got.is_a("ValueError"), (
                            f"BoundedSemaphore({n}).release() at its initial value {got.show()}; "
                            "CPython raises ValueError"
                        )
                    else:
                        assert not got.raised, (
                            f"Semaphore({n}).release() beyond the initial value (release "
                            f"{k + 1}) {got.show()}; CPython allows it"
                        )
                slots = n if bounded else n + extra
                for k in range(slots):
                    got = outcome(sems[which].acquire, False)
                    assert not got.raised and got.value is True, (
                        f"{kind}({n}) after {extra} extra releases: acquire(False) number "
                        f"{k + 1} {got.show()}; CPython grants {slots}"
                    )
                got = outcome(sems[which].acquire, False)
                assert not got.raised and got.value is False, (
                    f"{kind}({n}) after {extra} extra releases granted more than {slots} "
                    f"acquisitions; acquire(False) {got.show()}"
                )
            finally:
                reset_counting(sems[which], n, [agent], which)

        over()


# -- acquiring in a thread while another process holds -----------------------------------------


def _acquire_in_thread(obj: Any, timeout: float) -> tuple[threading.Thread, list]:
    result: list = []
    thread = threading.Thread(target=lambda: result.append(outcome(obj.acquire, True, timeout)))
    thread.daemon = True
    thread.start()
    return thread, result


@pytest.mark.mp_catches("mutants.locks:lock_is_rlock")
@pytest.mark.mp_api("Lock", "Lock.acquire", "Lock.acquire(block)", "Lock.release", "Semaphore")
def test_release_by_another_process_wakes_a_waiter(mp):
    """A Lock acquired by one process may be released by another, which lets a waiter in.

    The documentation says Lock.release() "can be called from any process or thread, not only
    the process or thread which originally acquired the lock". An agent acquires, the test
    process waits on it in a thread, and a second agent releases it.
    """
    names, objects = made(mp, ("Lock", "Semaphore(1)"))
    with holders(mp, objects, [], 2) as (first, second):

        @budget("process")
        @given(which=st.integers(0, len(names) - 1), pause=st.floats(0.0, 0.02))
        def handed_over(which: int, pause: float) -> None:
            kind, obj = names[which], objects[which]
            waiter: threading.Thread | None = None
            try:
                got = ask(first, "acquire", which, True, SHORT)
                assert got.value is True, f"the first holder's acquire() {got.show()}"
                waiter, result = _acquire_in_thread(obj, LIVENESS)
                waiter.join(pause)  # keep the first holder in while the waiter waits
                assert not result, f"{kind}: acquire() returned {result} while another held it"
                freed = ask(second, "release", which)
                assert not freed.raised, (
                    f"{kind}.release() by a process that did not acquire it {freed.show()}; "
                    "the documentation allows any process to release"
                )
                waiter.join(LIVENESS)
                if waiter.is_alive():
                    raise TestTimeout(f"{kind}: acquire() still blocked after the release")
                (waited,) = result
                assert not waited.raised and waited.value is True, (
                    f"{kind}: the waiting acquire() {waited.show()} after another process "
                    "released; CPython returns True"
                )
                assert waited.t_return >= freed.t_invoke, (
                    "the waiting acquire() returned before the release was invoked"
                )
            finally:
                if waiter is not None and waiter.is_alive():
                    obj.release()  # let the waiter go rather than leave it blocked
                    waiter.join(SHORT)
                reset(kind, obj, [first, second], which)

        handed_over()
