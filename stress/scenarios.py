"""Scenarios as data: Hypothesis draws what each worker does, when, and what goes wrong.

A :class:`Scenario` is a value: the kind of shared object, one program of steps per worker, and
a nemesis plan. Being data, it prints as the falsifying example, renders into a standalone
script (:mod:`mpconform.stress.scripts`), and shrinks: fewer workers, shorter programs, delays
towards 0 and the nemesis towards "none" are all simpler under Hypothesis's ordering, so a
failure ends as the smallest scenario that still shows it.

Sizes stay at 2-4 workers x 3-8 steps: the linearizability search is exponential in
concurrency, and each example starts its own processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from .programs import KINDS as KIND_TABLE

KINDS = tuple(KIND_TABLE)
# Zero first, so that delays shrink away; the others make interleavings and pauses likely.
DELAYS = st.sampled_from([0.0, 0.0, 0.0, 0.001, 0.005])
HOLDS = st.sampled_from([0.0, 0.001, 0.005, 0.02])
PAUSES = st.sampled_from([0.01, 0.05])


@dataclass(frozen=True)
class Step:
    op: str
    arg: Any = None
    delay: float = 0.0  # sleep before the op: where the interleaving is steered
    hold: float = 0.0  # time spent inside a critical section (lock, fetch_inc)

    def plain(self) -> tuple:
        return (self.op, self.arg, self.delay, self.hold)


@dataclass(frozen=True)
class Nemesis:
    """What goes wrong: ``kill``/``pause`` worker ``worker`` once it finished ``after``
    steps (pause for ``seconds``), ``pin`` every worker to one CPU, ``exit``: ``worker`` ends
    with os._exit() after its program (a Queue's feeder is never flushed)."""

    name: str = "none"
    worker: int = 0
    after: int = 0
    seconds: float = 0.0

    def plain(self) -> tuple:
        return (self.name, self.worker, self.after, self.seconds)

    def __str__(self) -> str:
        if self.name == "none":
            return "no nemesis"
        if self.name == "pin":
            return "all workers pinned to one CPU"
        if self.name == "exit":
            return f"w{self.worker} ends with os._exit() after its program"
        what = "SIGKILL" if self.name == "kill" else f"SIGSTOP for {self.seconds:g} s, SIGCONT"
        return f"{what} w{self.worker} after its step {self.after}"


@dataclass(frozen=True)
class Scenario:
    kind: str
    programs: tuple[tuple[Step, ...], ...]
    nemesis: Nemesis = field(default_factory=Nemesis)

    def plain_programs(self) -> tuple[tuple[tuple, ...], ...]:
        return tuple(tuple(s.plain() for s in steps) for steps in self.programs)

    def describe(self) -> str:
        lines = [f"{self.kind} scenario, {len(self.programs)} workers, {self.nemesis}:"]
        for wid, steps in enumerate(self.programs):
            shown = ", ".join(_show(s) for s in steps)
            lines.append(f"  w{wid}: {shown}")
        return "\n".join(lines)


def _show(step: Step) -> str:
    text = step.op if step.arg is None else f"{step.op}({step.arg!r})"
    if step.delay:
        text = f"sleep {step.delay:g}; {text}"
    if step.hold:
        text += f" holding {step.hold:g} s"
    return text


def _value(wid: int, index: int) -> int:
    """Unique put/write values that say who wrote them: 100*worker + step."""
    return 100 * (wid + 1) + index


def _steps(kind: str, wid: int, ops: list[str], delays: list[float], holds: list[float]):
    out = []
    for index, (op, delay, hold) in enumerate(zip(ops, delays, holds)):
        arg = _value(wid, index) if op in ("put", "write") else None
        out.append(Step(op, arg, delay, hold if op in ("lock", "inc") else 0.0))
    return tuple(out)


@st.composite
def program(draw: Any, kind: str, wid: int, min_ops: int = 3, max_ops: int = 8) -> tuple:
    size = draw(st.integers(min_ops, max_ops))
    choices = KIND_TABLE[kind].ops
    if KIND_TABLE[kind].one_consumer and wid != 0:
        choices = tuple(op for op in choices if op != "get")
    ops = [draw(st.sampled_from(choices)) for _ in range(size)]
    delays = [draw(DELAYS) for _ in range(size)]
    holds = [draw(HOLDS) for _ in range(size)]
    return _steps(kind, wid, ops, delays, holds)


def allowed_nemeses(kind: str, has_signals: bool = True) -> tuple[str, ...]:
    """Nemeses that leave a checkable history for ``kind``.

    ``kill`` only where every wait has a timeout: a Value's read/write and a semaphore's
    holder count take a lock without one, and SimpleQueue's get() has none, so a killed
    holder would hang the others. ``exit`` only means something for a Queue (the feeder).
    Thread backends have no processes to signal.
    """
    if not has_signals:
        return ("none",)
    names = ["none", "pause", "pin"]
    if KIND_TABLE[kind].killable:
        names.insert(2, "kill")
    if KIND_TABLE[kind].feeder:
        names.append("exit")
    return tuple(names)


@st.composite
def nemeses(draw: Any, names: tuple[str, ...], programs_: tuple) -> Nemesis:
    name = draw(st.sampled_from(names))
    if name in ("none", "pin"):
        return Nemesis(name)
    wid = draw(st.integers(0, len(programs_) - 1))
    size = len(programs_[wid])
    if name == "exit":
        return Nemesis(name, wid, size)
    after = draw(st.integers(1, size))
    seconds = draw(PAUSES) if name == "pause" else 0.0
    return Nemesis(name, wid, after, seconds)


@st.composite
def scenarios(
    draw: Any,
    kind: str,
    min_workers: int = 2,
    max_workers: int = 4,
    nemesis_names: tuple[str, ...] | None = None,
) -> Scenario:
    count = draw(st.integers(min_workers, max_workers))
    progs = tuple(draw(program(kind, wid)) for wid in range(count))
    names = nemesis_names if nemesis_names is not None else allowed_nemeses(kind)
    return Scenario(kind, progs, draw(nemeses(names, progs)))


def from_plain(kind: str, progs: Any, nemesis: Any = ("none", 0, 0, 0.0)) -> Scenario:
    """A Scenario from the plain tuples :mod:`.programs` uses (for hand-written cases)."""
    steps = tuple(tuple(Step(*s) for s in p) for p in progs)
    return Scenario(kind, steps, Nemesis(*nemesis))
