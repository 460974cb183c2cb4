"""Linearizability checking by search (Wing & Gong, with Lowe's memoization).

The history's calls and returns are laid out in time order in a doubly linked list. The search
repeatedly takes the first call it can apply to the model (the call and its return are
unlinked), and when it meets a return whose call has not taken effect yet it undoes the most
recent choice and tries the next one. Configurations (set of ops taken, model state) already
explored are remembered, which is what keeps the search practical for small histories; it stays
exponential in the number of concurrent calls, hence the step budget and the advice to keep
scenarios at a few workers times a few ops, one object at a time.

Calls that never returned have no return event, so nothing forces them to take effect: the
search may apply them at any point after their invocation, or never.

A model may look at the whole history first (:meth:`Model.specialize`), and may name orders the
results imply (:meth:`Model.prerequisites`): the search then skips calls whose prerequisites
have not taken effect yet. For queues this turns the n! orders of n concurrent puts, which only
the gets at the end could tell apart, into the one order those gets allow.

Ties in time are resolved towards concurrency (calls sort before returns at the same
nanosecond), so a coarse clock can only hide a violation, never invent one.
"""

from __future__ import annotations

import enum
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .history import History, Op
from .models import Model, State

DEFAULT_MAX_STEPS = 500_000


class Verdict(enum.Enum):
    OK = "ok"
    VIOLATION = "violation"
    UNKNOWN = "unknown"  # the step budget ran out first


@dataclass(frozen=True)
class CheckResult:
    """The outcome for one object, or the combination over all objects (``parts``).

    For OK, ``order`` is a witness: one valid linearization of the ops that took effect. For a
    violation it is the longest linearizable prefix the search found, ``blocked`` the op whose
    return could not be justified after it, ``candidates`` the concurrent calls that were tried
    there, and ``state`` the model state the prefix leads to.
    """

    verdict: Verdict
    model: str
    obj: Hashable = None
    steps: int = 0
    order: tuple[Op, ...] = ()
    blocked: Op | None = None
    candidates: tuple[Op, ...] = ()
    reasons: tuple[str | None, ...] = ()  # the model's word on each candidate, if any
    state: str = ""
    t0: int = 0
    parts: tuple[CheckResult, ...] = field(default=(), repr=False)

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.OK

    @property
    def violation(self) -> bool:
        return self.verdict is Verdict.VIOLATION

    def explain(self) -> str:
        on = "" if self.obj is None else f" on {self.obj!r}"
        if self.verdict is Verdict.OK:
            return f"linearizable{on} against {self.model} ({self.steps} steps)"
        if self.verdict is Verdict.UNKNOWN:
            return f"unknown{on}: step budget exhausted after {self.steps} steps ({self.model})"
        lines = [f"not linearizable{on} against {self.model}."]
        n = len(self.order)
        lines.append(f"Longest linearizable prefix ({n} op{'' if n == 1 else 's'}):")
        lines.extend(f"  {i + 1}. {op.describe(self.t0)}" for i, op in enumerate(self.order))
        lines.append(f"State after it: {self.state}")
        if self.blocked is not None:
            lines.append(f"Cannot linearize: {self.blocked.describe(self.t0)}")
        if self.candidates:
            lines.append("Tried before that return (none could take effect):")
            for op, why in zip(self.candidates, self.reasons or [None] * len(self.candidates)):
                lines.append(f"  - {op.describe(self.t0)}" + (f": {why}" if why else ""))
        return "\n".join(lines)


def check(
    history: History | Iterable[Op], model: Model, *, max_steps: int = DEFAULT_MAX_STEPS
) -> CheckResult:
    """Check each object of ``history`` against ``model``; ``max_steps`` bounds each object.

    The combined verdict is the worst one: a violation anywhere, else unknown anywhere, else ok.
    """
    hist = history if isinstance(history, History) else History(tuple(history))
    parts = [
        _check_object(p.ops, model, key, max_steps, hist.t0) for key, p in hist.partition().items()
    ]
    if len(parts) == 1:
        return parts[0]
    steps = sum(p.steps for p in parts)
    bad = [p for p in parts if p.verdict is Verdict.VIOLATION]
    worst = next(iter(bad or [p for p in parts if p.verdict is Verdict.UNKNOWN]), None)
    if worst is None:
        return CheckResult(Verdict.OK, model.name, steps=steps, t0=hist.t0, parts=tuple(parts))
    return replace(worst, steps=steps, parts=tuple(parts))


class _Event:
    __slots__ = ("index", "match", "next", "prev")

    def __init__(self, index: int) -> None:
        self.index = index
        self.match: _Event | None = None  # call -> its return (None if it never returned)
        # Every event but the list's head gets its real predecessor when linked; the head's
        # is itself, so that the hot loop never tests for None.
        self.prev: _Event = self
        self.next: _Event | None = None


class _Returns(_Event):
    """A return event; a distinct class so the hot loop tells calls from returns cheaply."""

    __slots__ = ()


def _build(ops: Sequence[Op]) -> tuple[_Event, int]:
    keyed: list[tuple[int, int, int, _Event]] = []
    for i, op in enumerate(ops):
        call = _Event(i)
        keyed.append((op.t_invoke, 0, i, call))
        if op.t_return is not None:
            ret = _Returns(i)
            call.match = ret
            keyed.append((op.t_return, 1, i, ret))
    keyed.sort(key=lambda k: k[:3])
    head = _Event(-1)
    prev = head
    for *_, event in keyed:
        prev.next = event
        event.prev = prev
        prev = event
    returns = sum(1 for op in ops if op.t_return is not None)
    return head, returns


def _unlink(event: _Event) -> None:
    event.prev.next = event.next
    if event.next is not None:
        event.next.prev = event.prev


def _relink(event: _Event) -> None:
    event.prev.next = event
    if event.next is not None:
        event.next.prev = event


def _check_object(
    ops: Sequence[Op], model: Model, obj: Hashable, max_steps: int, t0: int
) -> CheckResult:
    model = model.specialize(ops)
    requires = model.prerequisites(ops)
    head, remaining = _build(ops)
    state: State = model.initial()
    taken = 0  # bitset of the ops that took effect
    seen: set[tuple[int, Any]] = {(taken, state)}
    stack: list[tuple[_Event, State, tuple[State, ...], int]] = []
    best: tuple[int, list[int], int, list[int], State, int] | None = None
    resume: tuple[tuple[State, ...], int] | None = None
    steps = 0
    event = head.next
    while remaining:
        assert event is not None, "a return event is always reached before the list ends"
        if type(event) is _Returns:
            if best is None or len(stack) > best[0]:
                prefix = [e.index for e, *_ in stack]
                calls = _calls_before(head, event)
                best = (len(stack), prefix, event.index, calls, state, taken)
            if not stack:
                break
            event, state, successors, tried = stack.pop()
            taken &= ~(1 << event.index)
            if event.match is not None:
                _relink(event.match)
                remaining += 1
            _relink(event)
            resume = (successors, tried + 1)
            continue
        if resume is not None:
            successors, first = resume
            resume = None
        elif requires and requires[event.index] & ~taken:
            event = event.next  # something that must come first has not taken effect yet
            continue
        else:
            steps += 1
            if steps > max_steps:
                return CheckResult(Verdict.UNKNOWN, model.name, obj, steps - 1, t0=t0)
            successors, first = model.step(state, ops[event.index]), 0
        with_op = taken | (1 << event.index)
        for k in range(first, len(successors)):
            if (with_op, successors[k]) in seen:
                continue
            seen.add((with_op, successors[k]))
            stack.append((event, state, successors, k))
            state, taken = successors[k], with_op
            _unlink(event)
            if event.match is not None:
                _unlink(event.match)
                remaining -= 1
            event = head.next
            break
        else:
            event = event.next
    if not remaining:
        order = tuple(ops[e.index] for e, *_ in stack)
        return CheckResult(Verdict.OK, model.name, obj, steps, order=order, t0=t0)
    assert best is not None
    return _violation(ops, model, requires, best, obj, steps, t0)


def _violation(
    ops: Sequence[Op],
    model: Model,
    requires: Sequence[int],
    best: tuple[int, list[int], int, list[int], State, int],
    obj: Hashable,
    steps: int,
    t0: int,
) -> CheckResult:
    """The deepest point the search reached, told so that a reader can check it by hand."""
    _, prefix, blocked, tried, state, taken = best
    reasons = []
    for i in tried:
        waits = requires[i] & ~taken if requires else 0
        names = [f"{ops[k].process} {ops[k].call()}" for k in range(len(ops)) if waits >> k & 1]
        implied = f"results imply it took effect after {', '.join(names[:3])}"
        reasons.append(implied if names else model.reason(state, ops[i]))
    return CheckResult(
        Verdict.VIOLATION,
        model.name,
        obj,
        steps,
        order=tuple(ops[i] for i in prefix),
        blocked=ops[blocked],
        candidates=tuple(ops[i] for i in tried),
        reasons=tuple(reasons),
        state=model.format_state(state),
        t0=t0,
    )


def _calls_before(head: _Event, stop: _Event) -> list[int]:
    out = []
    event = head.next
    while event is not None and event is not stop:
        out.append(event.index)
        event = event.next
    return out
