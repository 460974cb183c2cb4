"""Sequential specifications: what each shared object may answer, one call at a time.

A model is a pure step function over hashable states. ``step(state, op)`` returns every state
the object can be in after ``op`` took effect in ``state`` with the result the history
recorded; an empty tuple means that result is impossible there. Returning several states is how
a model says the specification is nondeterministic. When ``op`` never returned its result is
unknown, and the model returns the states for every result it could have had.

States are immutable (tuples, frozensets, ints) because the linearizability checker memoizes
on (linearized ops, state): a mutable state would silently defeat the memo.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Hashable, Sequence
from typing import Any, Generic, TypeVar

from .history import EMPTY, Op

State = Hashable
#: A model's own state type (a tuple of items, an int, an owner...), always hashable.
S = TypeVar("S", bound=Hashable)
#: RelaxedQueue's buffers: frozenset of (producer, ((value, epoch, flushed_at), ...)).
Buffers = frozenset
Relaxed = tuple[int, Buffers]
Items = tuple[Any, ...]


class ModelError(ValueError):
    """The history uses an operation the model does not know: a test bug, not a violation."""


class Model(Generic[S]):
    """Base class; subclasses define ``initial`` and ``step`` over their state type ``S``."""

    name = "model"

    def initial(self) -> S:
        raise NotImplementedError

    def step(self, state: S, op: Op) -> tuple[S, ...]:
        raise NotImplementedError

    def specialize(self, ops: Sequence[Op]) -> Model[S]:
        """The model to check this particular history (``ops``, one object) with.

        A sequential specification sees neither concurrency nor the future, and a few things
        need one or the other: :class:`RelaxedQueue` must know whether a get ran into another
        consumer, and :class:`FifoQueue` prunes item orders the recorded gets already rule out,
        which turns searches that would exhaust the budget into quick ones. Default: ``self``.
        """
        return self

    def prerequisites(self, ops: Sequence[Op]) -> list[int]:
        """Order the model can read off the whole history, for the search to respect.

        For each op, a bitmask of indexes into ``ops``: those ops must take effect before it
        does, in any valid linearization. Only ops that returned may appear in a mask (one
        that never returned may never take effect). Like real-time order, but derived from
        results. Default: no constraints (an empty list).
        """
        return []

    def format_state(self, state: S) -> str:
        return repr(state)

    def reason(self, state: S, op: Op) -> str | None:
        """Why ``op`` cannot take effect in ``state``, for explanations; None when the state
        shown next to it says enough."""
        return None

    def _unknown(self, op: Op) -> ModelError:
        return ModelError(f"{self.name} model has no operation {op.op!r} (in {op!r})")


class FifoQueue(Model[Items]):
    """A linearizable FIFO queue: ``put(v)``, ``get() -> v`` and ``get() -> Empty``.

    The specification of an ideal queue, e.g. a Manager queue (every call runs on one
    ``queue.Queue`` in the manager process). ``multiprocessing.Queue`` does not meet it: use
    :class:`RelaxedQueue` for that. ``flush`` is accepted and does nothing, so one history can
    be checked against both.

    Search pruning, when put values are unique. Without it, concurrent puts are linearized in
    every order and only gets near the end of the history tell the orders apart; a history
    with a fault there then costs an exhaustive search over all of them. An item leaves only
    through a get that returned it, or through a get that never returned (unknown result, one
    item at most). So if ``u`` has certainly left before any get can take ``v`` (every get
    that returned ``v`` started after ``u``'s get returned, and no unreturned get started in
    between), ``u`` must have been put before ``v``: :meth:`prerequisites` says so, and the
    search no longer tries the other order. With unreturned gets around, a put that lines its
    item up behind more such stuck items than there are unreturned gets to rescue them is
    rejected by :meth:`step`.
    """

    name = "fifo-queue"

    def __init__(self) -> None:
        self._leaves_from: dict[Any, float] = {}  # first get that returned the item starts
        self._gone_by: dict[Any, int] = {}  # the item has certainly left by then
        self._unreturned: list[int] = []  # when the gets that never returned started, sorted

    def initial(self) -> Items:
        return ()

    def specialize(self, ops: Sequence[Op]) -> Model[Items]:
        values = [op.args[0] for op in ops if op.op == "put"]
        if len(set(values)) != len(values):
            return self  # the timing facts below are only sound for unique values
        bound = FifoQueue()
        bound._leaves_from = dict.fromkeys(values, math.inf)
        for op in ops:
            if op.op != "get":
                continue
            if not op.returned:
                bound._unreturned.append(op.t_invoke)
            elif op.result is not EMPTY:
                leaves = bound._leaves_from.get(op.result, math.inf)
                bound._leaves_from[op.result] = min(leaves, op.t_invoke)
                bound._gone_by[op.result] = max(bound._gone_by.get(op.result, 0), op.returned_at)
        bound._unreturned.sort()
        return bound

    def prerequisites(self, ops: Sequence[Op]) -> list[int]:
        if not self._gone_by:
            return []
        rescue_from = self._unreturned[0] if self._unreturned else math.inf
        puts = {op.args[0]: i for i, op in enumerate(ops) if op.op == "put"}
        early = sorted(
            (self._gone_by[v], i)
            for v, i in puts.items()
            if ops[i].returned and self._gone_by.get(v, math.inf) < rescue_from
        )
        gone = [g for g, _ in early]
        before = 0
        masks = []  # masks[k]: the puts of the k+1 items that left first
        for _, i in early:
            before |= 1 << i
            masks.append(before)
        out = [0] * len(ops)
        for v, j in puts.items():
            k = bisect_left(gone, self._leaves_from[v])  # items gone before v can leave
            out[j] = masks[k - 1] if k else 0
        return out

    def _stuck(self, items: tuple[Any, ...], value: Any) -> list[Any]:
        """The items ahead of ``value`` that no get can take before ``value`` is gone."""
        gone_by = self._gone_by.get(value)
        if gone_by is None:
            return []
        stuck = [x for x in items if self._leaves_from[x] > gone_by]
        rescuers = bisect_right(self._unreturned, gone_by)
        return stuck if len(stuck) > rescuers else []

    def step(self, state: Items, op: Op) -> tuple[Items, ...]:
        items: tuple[Any, ...] = state
        if op.op == "put":
            if self._gone_by and self._stuck(items, op.args[0]):
                return ()  # FIFO needs those items out first, and they cannot be
            return ((*items, op.args[0]),)
        if op.op == "get":
            if not op.returned:
                return (items[1:],) if items else (items,)
            if op.result is EMPTY:
                return (items,) if not items else ()
            return (items[1:],) if items and items[0] == op.result else ()
        if op.op == "flush":
            return (items,)
        raise self._unknown(op)

    def reason(self, state: Items, op: Op) -> str | None:
        items: tuple[Any, ...] = state
        if op.op == "put":
            stuck = self._stuck(items, op.args[0])
            if stuck:
                return (
                    f"{', '.join(map(repr, stuck))} would be ahead of {op.args[0]!r}, but cannot "
                    f"all be dequeued before {op.args[0]!r} certainly was"
                )
        if op.op == "get" and op.returned:
            return f"the head is {items[0]!r}" if items else "the queue is empty"
        return None


class RelaxedQueue(Model[Relaxed]):
    """``multiprocessing.Queue`` as it really behaves: FIFO per producer, not across producers.

    CPython's ``put()`` returns once the item is in the calling process's buffer; a feeder thread
    writes it to the pipe later, and consumers read the pipe in order under a reader lock. The
    pipe is the "committed FIFO" and the buffers are per-producer pending queues. The delicate
    part is *when* an item moves from its buffer to the pipe, because nothing a put returns
    reveals it:

    * Commit at put return (a real-time FIFO) flags CPython: semantics.md measured B's later put
      overtaking A's in 91 of 200 runs.
    * Commit at arbitrary moments of the checker's choosing lets it postpone every commit, so
      the committed FIFO stays empty and constrains nothing; it is sound but says no more than
      "per-producer FIFO, no duplication, no invention".
    * The only event that forces items into the pipe is a **flush**: ``close(); join_thread()``
      returned in the producer, or the parent joined a producer that exited cleanly (the exit
      handler joins the feeder). A history records it as ``flush()`` by the producer, or
      ``flush(producer)`` by whoever observed it. A killed producer never flushes: its buffer
      may be lost, which this model allows (items may stay in a buffer forever).
    * Even a flush does not give a total order. If A flushes, the items B put *before* that
      flush may sit in the pipe ahead of A's, interleaved in any way, so pushing A's buffer onto
      a committed FIFO at flush time would flag CPython. What a flush does guarantee is that
      A's flushed items were written to the pipe before any item put after the flush, so they
      are read first. The state therefore stamps each buffered item with the number of flushes
      seen when it was put (its epoch) and, once flushed, with the index of the flush that
      committed it: the "committed FIFO" is the set of flushed items, ordered against later
      puts by those stamps, which is exactly as much order as the pipe guarantees.

    Steps: ``put(v)`` appends to the producer's buffer. ``get() -> v`` removes ``v`` from the
    head of some producer's buffer, legal unless a flushed item that must precede it (flushed
    before ``v`` was put) is still there. ``get() -> Empty`` is legal only when no flushed item
    remains, because an uncontended ``get(block=False)`` or ``get(timeout)`` polls the pipe and
    an item in it would be seen. But CPython's non-blocking get also raises ``Empty`` when it
    cannot take the reader lock, which another consumer holds during its own get; so an Empty
    that overlaps another process's get is contended (found by :meth:`specialize`) and is
    always legal. ``empty()`` and ``qsize()`` are not modelled: they are documented as
    approximate.

    Producers are whatever the history calls processes. If it records threads of one process
    separately, they share one buffer in reality; treating them as separate buffers only allows
    more orders, so the model stays sound.
    """

    name = "relaxed-queue"

    def __init__(self) -> None:
        self._contended: frozenset[Op] = frozenset()

    def initial(self) -> Relaxed:
        # (flushes so far, frozenset of (producer, ((value, epoch, flushed_at), ...)))
        # flushed_at is 0 while the item may still be in the producer's buffer.
        return (0, frozenset())

    def specialize(self, ops: Sequence[Op]) -> Model[Relaxed]:
        gets = [op for op in ops if op.op == "get"]
        bound = RelaxedQueue()
        bound._contended = _contended_empties(gets)
        return bound

    def step(self, state: Relaxed, op: Op) -> tuple[Relaxed, ...]:
        flushes, buffers = state
        if op.op == "put":
            return ((flushes, _append(buffers, op.process, (op.args[0], flushes, 0))),)
        if op.op == "flush":
            producer = op.args[0] if op.args else op.process
            return (_flush(flushes, buffers, producer),)
        if op.op == "get":
            if op in self._contended:
                return (state,)
            if op.returned and op.result is EMPTY:
                return (state,) if _oldest_flush(buffers) is None else ()
            oldest = _oldest_flush(buffers)
            out = [state] if not op.returned and oldest is None else []
            for producer, items in _in_order(buffers):
                value, epoch, _ = items[0]
                if op.returned and value != op.result:
                    continue
                if oldest is not None and oldest <= epoch:
                    continue
                out.append((flushes, _pop(buffers, producer, items)))
            return tuple(out)
        raise self._unknown(op)

    def reason(self, state: Relaxed, op: Op) -> str | None:
        _, buffers = state
        if op.op != "get" or not op.returned:
            return None
        oldest = _oldest_flush(buffers)
        first = next((v for _, items in buffers for v, _, f in items if f == oldest), None)
        if op.result is EMPTY:
            return f"{first!r} reached the pipe (flush) and is still there" if oldest else None
        if not any(items[0][0] == op.result for _, items in buffers):
            return f"{op.result!r} is at the head of no producer's buffer"
        return (
            f"{first!r} reached the pipe (flush) before {op.result!r} was put, and is still there"
        )

    def format_state(self, state: Relaxed) -> str:
        _, buffers = state
        parts = []
        for producer, items in _in_order(buffers):
            shown = [f"{v!r}{'*' if f else ''}" for v, _, f in items]
            parts.append(f"{producer}: [{', '.join(shown)}]")
        body = "; ".join(parts) if parts else "all buffers empty"
        return f"{body} (* = flushed to the pipe)"


def _contended_empties(gets: Sequence[Op]) -> frozenset[Op]:
    """The Empty results that another consumer could have caused by holding the reader lock.

    That needs another process's get in progress at some moment of this one, i.e. overlapping
    intervals. Closed intervals, so touching counts: erring towards "contended" only makes
    Empty legal more often, never less, which keeps the model sound. A sweep over gets sorted
    by invocation, keeping the two latest-ending gets of distinct processes seen so far (one of
    them is not the caller's own), makes it O(n log n).
    """
    ordered = sorted(gets, key=lambda g: g.t_invoke)
    starts = [g.t_invoke for g in ordered]
    latest: list[tuple[tuple[float, Hashable], ...]] = []
    top: tuple[tuple[float, Hashable], ...] = ()
    for g in ordered:
        end = math.inf if g.t_return is None else g.t_return
        kept: list[tuple[float, Hashable]] = []
        for e, p in sorted((*top, (end, g.process)), key=lambda ep: -ep[0]):
            if len(kept) < 2 and all(p != q for _, q in kept):
                kept.append((e, p))
        top = tuple(kept)
        latest.append(top)
    out = set()
    for op in gets:
        if op.result is not EMPTY or op.t_return is None:
            continue
        k = bisect_right(starts, op.t_return)  # gets invoked before this one returned
        if k and any(p != op.process and e >= op.t_invoke for e, p in latest[k - 1]):
            out.add(op)
    return frozenset(out)


def _in_order(buffers: frozenset) -> list:
    """Producers in a fixed order, so that a search (and its step count) does not depend on
    string hashing, which changes from run to run."""
    return sorted(buffers, key=lambda b: repr(b[0]))


def _append(buffers: frozenset, producer: Hashable, item: tuple) -> frozenset:
    for entry in buffers:
        if entry[0] == producer:
            return (buffers - {entry}) | {(producer, entry[1] + (item,))}
    return buffers | {(producer, (item,))}


def _pop(buffers: frozenset, producer: Hashable, items: tuple) -> frozenset:
    rest = buffers - {(producer, items)}
    return rest | {(producer, items[1:])} if len(items) > 1 else rest


def _flush(flushes: int, buffers: frozenset, producer: Hashable) -> Relaxed:
    for entry in buffers:
        if entry[0] == producer and any(f == 0 for _, _, f in entry[1]):
            marked = tuple((v, e, f or flushes + 1) for v, e, f in entry[1])
            return (flushes + 1, (buffers - {entry}) | {(producer, marked)})
    return (flushes, buffers)


def _oldest_flush(buffers: frozenset) -> int | None:
    """Flushes mark a buffer's items up to its tail and buffers drain from the head, so flushed
    items form a prefix of each buffer, oldest first: only the heads need looking at."""
    flushed = [items[0][2] for _, items in buffers if items[0][2]]
    return min(flushed) if flushed else None


class Register(Model[Hashable]):
    """A shared cell (``Value``, ``RawValue`` under a lock): ``read``, ``write(v)``, ``cas(old,
    new) -> bool``."""

    name = "register"

    def __init__(self, initial: Hashable = 0) -> None:
        self._initial = initial

    def initial(self) -> Hashable:
        return self._initial

    def step(self, state: Hashable, op: Op) -> tuple[Hashable, ...]:
        if op.op == "write":
            return (op.args[0],)
        if op.op == "read":
            return (state,) if not op.returned or op.result == state else ()
        if op.op == "cas":
            old, new = op.args
            swapped = state == old
            if op.returned and bool(op.result) != swapped:
                return ()
            return (new,) if swapped else (state,)
        raise self._unknown(op)


class Counter(Model[int]):
    """A counter: ``fetch_inc() -> old`` (and ``fetch_add(k) -> old``), ``read() -> value``."""

    name = "counter"

    def __init__(self, initial: int = 0) -> None:
        self._initial = initial

    def initial(self) -> int:
        return self._initial

    def step(self, state: int, op: Op) -> tuple[int, ...]:
        value: int = state
        if op.op in ("fetch_inc", "fetch_add"):
            delta = op.args[0] if op.op == "fetch_add" else 1
            return (value + delta,) if not op.returned or op.result == value else ()
        if op.op == "read":
            return (value,) if not op.returned or op.result == value else ()
        raise self._unknown(op)


class Mutex(Model[Hashable]):
    """A non-reentrant lock with an owner: ``acquire() -> bool``, ``release()``.

    ``acquire() -> False`` (non-blocking or timed out) is legal whenever the lock is held,
    including by the caller. A release is legal only by the owner: ``multiprocessing.Lock``
    itself lets any process release, but a correct program never does, so a foreign release in
    a history is the symptom worth reporting.
    """

    name = "mutex"

    def initial(self) -> Hashable:
        return None

    def step(self, state: Hashable, op: Op) -> tuple[Hashable, ...]:
        if op.op == "acquire":
            if not op.returned:
                return (op.process,) if state is None else (state,)
            if op.result:
                return (op.process,) if state is None else ()
            return (state,) if state is not None else ()
        if op.op == "release":
            return (None,) if state == op.process else ()
        raise self._unknown(op)
