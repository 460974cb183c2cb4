"""Operation histories: what a run observed, in a form every checker and report can share.

Times are ``time.monotonic_ns()`` readings. CLOCK_MONOTONIC is system-wide on Linux, so
readings taken in different processes are comparable; that is what makes real-time order
between processes checkable at all. An operation that never returned (its worker was killed, or
the harness gave up waiting) has ``t_return=None`` and an unknown result: checkers must treat it
as possibly effective at any moment after its invocation, or not at all.

Values (arguments and results) must be hashable, because models keep them in memoized states;
lists are frozen to tuples on the way in, and that is also what JSON decoding produces.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

FORMAT = "mpconform-history"
FORMAT_VERSION = 1


class HistoryError(ValueError):
    """A history no real execution could have produced: checking it would prove nothing."""


class _Empty:
    """The observed ``queue.Empty`` outcome of a get.

    A sentinel rather than ``None`` or a string so that no value a test puts in a queue can be
    mistaken for it.
    """

    _instance: _Empty | None = None

    def __new__(cls) -> _Empty:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "Empty"

    def __reduce__(self) -> str:
        return "EMPTY"


EMPTY = _Empty()


def freeze(value: Any) -> Hashable:
    """Lists become tuples (recursively), so values survive a JSON round trip and can be hashed."""
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    try:
        hash(value)
    except TypeError:
        raise TypeError(f"history values must be hashable, got {value!r}") from None
    return value


@dataclass(frozen=True)
class Op:
    """One call as a process saw it: invoked at ``t_invoke``, returned ``result`` at ``t_return``.

    ``obj`` names the shared object the call was made on, when a history mixes several: the
    checkers then judge each object on its own, which keeps the linearizability search small.
    """

    process: Hashable
    op: str
    args: tuple[Any, ...]
    result: Any
    t_invoke: int
    t_return: int | None
    obj: Hashable = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "args", freeze(self.args))
        object.__setattr__(self, "result", freeze(self.result))

    @property
    def returned(self) -> bool:
        return self.t_return is not None

    @property
    def returned_at(self) -> int:
        """``t_return`` of a call that returned: what the screens compare, once they have
        kept only such calls."""
        if self.t_return is None:
            raise ValueError(f"{self.describe()}: the call never returned")
        return self.t_return

    def call(self) -> str:
        on = "" if self.obj is None else f"{self.obj}."
        return f"{on}{self.op}({', '.join(map(repr, self.args))})"

    def describe(self, t0: int = 0) -> str:
        """One line for humans; times are shown relative to ``t0`` (pass the history start)."""
        if self.t_return is None:
            return f"{self.process} {self.call()} -> ? @ +{self.t_invoke - t0} ns..never returned"
        span = f"+{self.t_invoke - t0}..+{self.t_return - t0} ns"
        return f"{self.process} {self.call()} -> {self.result!r} @ {span}"


@dataclass(frozen=True)
class History:
    """A validated, time-ordered sequence of operations.

    Ops are kept sorted by invocation time, so an index into a history means the same thing in
    a report as in a checker's explanation. Validation rejects what cannot happen in a real run
    (a return before its call, a process doing two things at once, a process acting after a
    call that never returned) because a checker fed such a history would report nonsense.
    """

    ops: tuple[Op, ...] = field(default=())

    def __post_init__(self) -> None:
        ops = tuple(sorted(self.ops, key=lambda o: o.t_invoke))
        object.__setattr__(self, "ops", ops)
        _validate(ops)

    def __len__(self) -> int:
        return len(self.ops)

    def __iter__(self) -> Iterator[Op]:
        return iter(self.ops)

    def __getitem__(self, index: int) -> Op:
        return self.ops[index]

    @property
    def t0(self) -> int:
        """The earliest invocation: the origin explanations measure times from."""
        return self.ops[0].t_invoke if self.ops else 0

    def by_process(self) -> dict[Hashable, tuple[Op, ...]]:
        out: dict[Hashable, list[Op]] = {}
        for op in self.ops:
            out.setdefault(op.process, []).append(op)
        return {p: tuple(ops) for p, ops in out.items()}

    def partition(self) -> dict[Hashable, History]:
        """One sub-history per ``obj``: linearizability is compositional (Herlihy & Wing), so
        checking objects separately is exact and turns one exponential search into small ones."""
        out: dict[Hashable, list[Op]] = {}
        for op in self.ops:
            out.setdefault(op.obj, []).append(op)
        return {key: History(tuple(ops)) for key, ops in out.items()}

    # -- storage -------------------------------------------------------------------------------
    def to_jsonable(self) -> dict[str, Any]:
        """Rows instead of objects and times relative to ``t0``: reports hold many histories."""
        t0 = self.t0
        rows = []
        for op in self.ops:
            t_ret = None if op.t_return is None else op.t_return - t0
            row = [
                _encode(op.process),
                op.op,
                _encode(op.args),
                _encode(op.result),
                op.t_invoke - t0,
                t_ret,
            ]
            if op.obj is not None:
                row.append(_encode(op.obj))
            rows.append(row)
        return {"format": FORMAT, "format_version": FORMAT_VERSION, "t0": t0, "ops": rows}

    @classmethod
    def from_jsonable(cls, doc: Mapping[str, Any]) -> History:
        if doc.get("format") != FORMAT or doc.get("format_version") != FORMAT_VERSION:
            raise HistoryError(
                f"not a {FORMAT} v{FORMAT_VERSION} document: format={doc.get('format')!r} "
                f"format_version={doc.get('format_version')!r}"
            )
        try:
            t0 = doc["t0"]
            ops = [_decode_row(row, t0) for row in doc["ops"]]
        except (KeyError, TypeError) as exc:
            raise HistoryError(f"malformed {FORMAT} document: {exc!r}") from None
        return cls(tuple(ops))

    def to_json(self) -> str:
        return json.dumps(self.to_jsonable(), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> History:
        return cls.from_jsonable(json.loads(text))


def _validate(ops: tuple[Op, ...]) -> None:
    last: dict[Hashable, Op] = {}
    for op in ops:
        if type(op.t_invoke) is not int or not (op.t_return is None or type(op.t_return) is int):
            raise HistoryError(f"times must be ints from time.monotonic_ns(): {op!r}")
        if op.t_return is not None and op.t_return < op.t_invoke:
            raise HistoryError(f"returned before it was invoked: {op!r}")
        before = last.get(op.process)
        if before is not None:
            if before.t_return is None:
                raise HistoryError(
                    f"process {op.process!r} acted after a call that never returned: "
                    f"{before!r} then {op!r}"
                )
            if before.t_return > op.t_invoke:
                raise HistoryError(
                    f"process {op.process!r} has overlapping calls: {before!r} and {op!r}"
                )
        last[op.process] = op


def _decode_row(row: list[Any], t0: int) -> Op:
    if len(row) not in (6, 7):
        raise HistoryError(f"malformed history row: {row!r}")
    process, name, args, result, t_inv, t_ret = row[:6]
    return Op(
        _decode(process),
        name,
        _decode(args),
        _decode(result),
        t0 + t_inv,
        None if t_ret is None else t0 + t_ret,
        _decode(row[6]) if len(row) == 7 else None,
    )


_EMPTY_TAG = {"$": "Empty"}


def _encode(value: Any) -> Any:
    if value is EMPTY:
        return dict(_EMPTY_TAG)
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot store {value!r} in a history document")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    if isinstance(value, dict):
        if value == _EMPTY_TAG:
            return EMPTY
        raise HistoryError(f"unknown tagged value in history document: {value!r}")
    return value
