"""Fast, sound screens for histories too long for the linearizability search.

Each screen checks a necessary condition of a correct object in O(n log n): it may miss a
violation, but it must never report one a correct implementation could produce, because a
stress suite that cries wolf stops being read. So every comparison of times asks for certainty:
"x happened before y" means x returned strictly before y was invoked; ties and overlaps count as
"could be either order". Calls that never returned are assumed to have taken effect or not,
whichever excuses the history.

Each screen returns a list of :class:`Violation` (empty when nothing is wrong) whose messages
name the ops involved, with times relative to the start of the history.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .history import EMPTY, History, Op


@dataclass(frozen=True)
class Violation:
    """One finding: ``kind`` is stable (for counting and tests), ``message`` is for people and
    names every op involved, which ``ops`` carries too (for storing with the report)."""

    kind: str
    message: str
    ops: tuple[Op, ...] = ()

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


def _objects(history: History | Iterable[Op]) -> Iterable[tuple[Sequence[Op], int]]:
    hist = history if isinstance(history, History) else History(tuple(history))
    for part in hist.partition().values():
        yield part.ops, hist.t0


# -- queues -----------------------------------------------------------------------------------
def screen_queue(
    history: History | Iterable[Op],
    *,
    drained: bool = False,
    may_lose: Collection[Hashable] = (),
    cross_producer: bool = False,
    put: str = "put",
    get: str = "get",
) -> list[Violation]:
    """Screen a queue history in which every put value is unique.

    Always checked: a value dequeued that was never enqueued, dequeued twice, dequeued before
    its put was invoked, and per-producer FIFO (what ``multiprocessing.Queue`` guarantees).
    ``cross_producer=True`` also checks real-time FIFO across producers, which only a
    linearizable queue (e.g. a Manager queue) promises. ``drained=True`` says the history ends
    with a complete drain, so every item whose put returned must have been dequeued; items of
    the producers in ``may_lose`` are excused (a killed producer loses what its feeder thread had
    not written yet). Each get that never returned may have swallowed one item.
    """
    out: list[Violation] = []
    for ops, t0 in _objects(history):
        out.extend(_QueueScreen(ops, t0, put, get).run(drained, set(may_lose), cross_producer))
    return out


class _QueueScreen:
    def __init__(self, ops: Sequence[Op], t0: int, put: str, get: str) -> None:
        self.t0 = t0
        self.puts: dict[Any, Op] = {}
        for op in ops:
            if op.op == put:
                if op.args[0] in self.puts:
                    raise ValueError(
                        f"screen_queue needs unique put values; {op.args[0]!r} repeats"
                    )
                self.puts[op.args[0]] = op
        self.gets: dict[Any, list[Op]] = {}
        self.unreturned_gets = 0
        first_unreturned = math.inf
        for op in ops:
            if op.op != get:
                continue
            if not op.returned:
                self.unreturned_gets += 1
                first_unreturned = min(first_unreturned, op.t_invoke)
            elif op.result is not EMPTY:
                self.gets.setdefault(op.result, []).append(op)
        self.first_unreturned = first_unreturned

    def show(self, op: Op | None) -> str:
        return "never dequeued" if op is None else op.describe(self.t0)

    def dequeue(self, value: Any) -> Op | None:
        gets = self.gets.get(value)
        return min(gets, key=lambda g: g.t_invoke) if gets else None

    def taken_from(self, put_op: Op) -> float:
        """Earliest moment the item could have left the queue (for the order checks)."""
        get_op = self.dequeue(put_op.args[0])
        return get_op.t_invoke if get_op is not None else self.first_unreturned

    def run(self, drained: bool, may_lose: set[Hashable], cross_producer: bool) -> list[Violation]:
        out = self.integrity()
        seen: set[tuple[int, int]] = set()
        out.extend(self.producer_order(seen))
        if cross_producer:
            out.extend(self.realtime_order(seen))
        if drained:
            out.extend(self.lost(may_lose))
        return out

    def integrity(self) -> list[Violation]:
        out = []
        for value, gets in self.gets.items():
            put_op = self.puts.get(value)
            names = "; ".join(self.show(g) for g in gets)
            if put_op is None:
                out.append(
                    Violation(
                        "invented",
                        f"{value!r} was dequeued but never enqueued: {names}",
                        tuple(gets),
                    )
                )
                continue
            if len(gets) > 1:
                out.append(
                    Violation(
                        "duplicate",
                        f"{value!r} was dequeued {len(gets)} times: {names}",
                        tuple(gets),
                    )
                )
            early = min(gets, key=lambda g: g.returned_at)
            if early.returned_at < put_op.t_invoke:
                out.append(
                    Violation(
                        "early",
                        f"{value!r} was dequeued ({self.show(early)}) before its put was invoked "
                        f"({put_op.describe(self.t0)})",
                        (put_op, early),
                    )
                )
        return out

    def _order_violation(self, a: Op, b: Op, got_b: Op, why: str) -> Violation:
        va, vb = a.args[0], b.args[0]
        return Violation(
            "order",
            f"{why}: {a.describe(self.t0)} precedes {b.describe(self.t0)}, but {vb!r} was "
            f"dequeued ({self.show(got_b)}) before {va!r} ({self.show(self.dequeue(va))})",
            (a, b, got_b),
        )

    def producer_order(self, seen: set[tuple[int, int]]) -> list[Violation]:
        out = []
        by_producer: dict[Hashable, list[Op]] = {}
        for op in self.puts.values():
            by_producer.setdefault(op.process, []).append(op)
        for puts in by_producer.values():
            puts.sort(key=lambda p: p.t_invoke)
            latest: tuple[float, Op] | None = None  # the earlier put whose item left last
            for b in puts:
                got_b = self.dequeue(b.args[0])
                if got_b is not None and latest is not None and latest[0] > got_b.returned_at:
                    seen.add((id(latest[1]), id(b)))
                    out.append(self._order_violation(latest[1], b, got_b, "per-producer FIFO"))
                t = self.taken_from(b)
                if latest is None or t > latest[0]:
                    latest = (t, b)
        return out

    def realtime_order(self, seen: set[tuple[int, int]]) -> list[Violation]:
        done = sorted((p for p in self.puts.values() if p.returned), key=lambda p: p.returned_at)
        ends = [p.returned_at for p in done]
        latest: list[tuple[float, Op]] = []
        for p in done:
            t = self.taken_from(p)
            latest.append((t, p) if not latest or t > latest[-1][0] else latest[-1])
        out = []
        for b in self.puts.values():
            got_b = self.dequeue(b.args[0])
            k = bisect_left(ends, b.t_invoke)  # puts that returned before b was invoked
            if got_b is None or k == 0:
                continue
            t, a = latest[k - 1]
            if t > got_b.returned_at and (id(a), id(b)) not in seen:
                seen.add((id(a), id(b)))
                out.append(self._order_violation(a, b, got_b, "real-time FIFO"))
        return out

    def lost(self, may_lose: set[Hashable]) -> list[Violation]:
        missing = [
            p
            for value, p in self.puts.items()
            if p.returned and value not in self.gets and p.process not in may_lose
        ]
        if len(missing) <= self.unreturned_gets:
            return []
        shown = "; ".join(p.describe(self.t0) for p in missing[:10])
        more = f" (and {len(missing) - 10} more)" if len(missing) > 10 else ""
        excuse = (
            f", more than the {self.unreturned_gets} unreturned gets can account for"
            if self.unreturned_gets
            else ""
        )
        return [
            Violation(
                "lost",
                f"{len(missing)} items never dequeued after a full drain{excuse}: {shown}{more}",
                tuple(missing),
            )
        ]


# -- mutual exclusion -------------------------------------------------------------------------
@dataclass(frozen=True)
class Section:
    """A critical section as its holder saw it: from acquire returned to release invoked.

    The lock was certainly held for at least this long, so two such intervals that overlap by a
    nanosecond prove two holders at once. ``end=None`` means the holder never released.
    """

    holder: Hashable
    start: int
    end: int | None
    ops: tuple[Op, ...] = ()


def screen_critical_sections(sections: Iterable[Section]) -> list[Violation]:
    """Sort by entry; each section must start no earlier than every earlier one ended."""
    ordered = sorted(sections, key=lambda s: s.start)
    if not ordered:
        return []
    t0 = ordered[0].start

    def end(s: Section) -> float:
        return math.inf if s.end is None else s.end

    def show(s: Section) -> str:
        until = "never released" if s.end is None else f"+{s.end - t0}"
        return f"{s.holder} held it from +{s.start - t0} to {until}"

    out = []
    longest: Section | None = None
    for s in ordered:
        if longest is not None and s.start < end(longest):
            out.append(
                Violation(
                    "overlap",
                    f"critical sections overlap: {show(longest)} ns, {show(s)} ns",
                    longest.ops + s.ops,
                )
            )
        if longest is None or end(s) > end(longest):
            longest = s
    return out


def screen_holders(sections: Iterable[Section], slots: int) -> list[Violation]:
    """At most ``slots`` sections certainly overlap at any instant (a semaphore of ``slots``).

    Sound: a sweep over entries and exits where, at equal readings, exits go first, so
    sections that merely touch (a holder released at the very nanosecond the next got in) do
    not count as overlapping; a section with no end holds to the end of the history. Reports
    the first instant with too many holders, naming them.
    """
    found = list(sections)
    events = sorted(
        [(s.start, 1, i) for i, s in enumerate(found)]
        + [(s.end, 0, i) for i, s in enumerate(found) if s.end is not None]
    )
    inside: dict[int, Section] = {}
    for _, entering, index in events:
        if not entering:
            inside.pop(index, None)
            continue
        inside[index] = found[index]
        if len(inside) > slots:
            t0 = min(s.start for s in found)
            holders = sorted(inside.values(), key=lambda s: s.start)
            shown = "; ".join(f"{s.holder} from +{s.start - t0} ns" for s in holders)
            ops = tuple(op for s in holders for op in s.ops)
            return [
                Violation(
                    "holders", f"{len(inside)} holders of a {slots}-slot lock at once: {shown}", ops
                )
            ]
    return []


def screen_mutex(
    history: History | Iterable[Op], *, acquire: str = "acquire", release: str = "release"
) -> list[Violation]:
    """Critical sections from ``acquire() -> True`` ... ``release()`` pairs, then the overlap
    screen. Assumes a release is logged as invoked before it is attempted, so a holder with no
    logged release really never released. The lock is taken to be non-reentrant."""
    out: list[Violation] = []
    for ops, t0 in _objects(history):
        sections = []
        by_process: dict[Hashable, list[Op]] = {}
        for op in ops:
            by_process.setdefault(op.process, []).append(op)
        for process, mine in by_process.items():
            held: Op | None = None
            for op in mine:
                if op.op == acquire and op.returned and op.result:
                    if held is None:
                        held = op
                        continue
                    out.append(
                        Violation(
                            "reacquired",
                            f"{process} acquired a lock it already held: "
                            f"{held.describe(t0)} then {op.describe(t0)}",
                            (held, op),
                        )
                    )
                elif op.op == release and held is not None:
                    sections.append(Section(process, held.returned_at, op.t_invoke, (held, op)))
                    held = None
            if held is not None:
                sections.append(Section(process, held.returned_at, None, (held,)))
        out.extend(screen_critical_sections(sections))
    return out


NO_OWNER = 0


def enter_owned(cell: Any, holder: int) -> Violation | None:
    """In-band owner check, on entry (right after acquire returned).

    ``cell`` is anything with a ``.value`` (a ``RawValue('i', NO_OWNER)`` shared with all
    holders); ``holder`` a nonzero id. Finding another id there means someone else is inside.
    Unlike the interval screen this needs no clocks, so it also catches overlaps too short to
    see in timestamps.
    """
    found = cell.value
    cell.value = holder
    if found != NO_OWNER:
        return Violation("owner", f"holder {holder} entered while {found} was inside")
    return None


def exit_owned(cell: Any, holder: int) -> Violation | None:
    """In-band owner check, just before release: the cell must still hold our id."""
    found = cell.value
    cell.value = NO_OWNER
    if found != holder:
        return Violation("owner", f"holder {holder} found owner {found} in the cell before release")
    return None


# -- counters ---------------------------------------------------------------------------------
def screen_counter(
    history: History | Iterable[Op], *, op: str = "fetch_inc", start: int = 0
) -> list[Violation]:
    """Fetch-and-increment: the old values returned are distinct and within
    ``start .. start + n - 1`` (a permutation of it when every call returned), and a call
    invoked after another returned saw a larger value."""
    out: list[Violation] = []
    for ops, t0 in _objects(history):
        incs = [o for o in ops if o.op == op]
        done = [o for o in incs if o.returned]
        limit = start + len(incs)  # unreturned calls may or may not have counted
        by_value: dict[int, list[Op]] = {}
        for o in done:
            by_value.setdefault(o.result, []).append(o)
        for value, same in by_value.items():
            names = "; ".join(o.describe(t0) for o in same)
            if len(same) > 1:
                out.append(
                    Violation(
                        "duplicate", f"{value} returned {len(same)} times: {names}", tuple(same)
                    )
                )
            if not start <= value < limit:
                out.append(
                    Violation(
                        "range",
                        f"{value} is outside {start}..{limit - 1} "
                        f"({len(incs)} increments): {names}",
                        tuple(same),
                    )
                )
        done.sort(key=lambda o: o.returned_at)
        ends = [o.returned_at for o in done]
        highest: list[Op] = []
        for o in done:
            highest.append(o if not highest or o.result > highest[-1].result else highest[-1])
        for b in done:
            k = bisect_left(ends, b.t_invoke)
            if k and highest[k - 1].result > b.result:
                a = highest[k - 1]
                out.append(
                    Violation(
                        "backwards",
                        f"{b.describe(t0)} was invoked after {a.describe(t0)} returned, "
                        f"but saw a smaller value",
                        (a, b),
                    )
                )
    return out
