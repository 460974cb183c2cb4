"""Run a scenario against a backend and judge its history.

:func:`run_scenario` hands the scenario to :func:`mpconform.stress.programs.drive` (fresh
objects and workers per scenario, every wait bounded) and turns what came back into a
:class:`~mpconform.checkers.History`; :func:`problems` checks it with the harness's checkers;
:func:`verify` does both and, on a violation, fails with a message that carries a standalone
script reproducing it.

Safety and liveness are kept apart. A violation (two holders, an item lost after a flush, a
duplicated increment, an impossible read) fails the test. What a nemesis does to progress (a
lock left held by a killed worker, a worker that would not exit) is an outcome to report: it
comes back in :attr:`Observed.outcomes`, never as a failure.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from mpconform.checkers import (
    EMPTY,
    Counter,
    FifoQueue,
    History,
    Mutex,
    Op,
    Register,
    RelaxedQueue,
    Section,
    Verdict,
    check,
    screen_counter,
    screen_critical_sections,
    screen_holders,
    screen_queue,
)
from mpconform.outcomes import TestTimeout, Unsupported
from mpconform.target import Target
from mpconform.waiting import wait_until

from . import programs, scripts
from .scenarios import Scenario

MAX_STEPS = 200_000  # per object; a search that runs out says "unknown", not "violation"


@dataclass
class Observed:
    """One run of a scenario: its history and what happened besides."""

    scenario: Scenario
    history: History
    raw: dict
    outcomes: list[str] = field(default_factory=list)
    unknown: int = 0  # objects whose linearizability search ran out of steps

    @property
    def killed(self) -> dict[int, int]:
        return self.raw["killed"]


def has_signals(mp: Target) -> bool:
    """Whether workers are processes the nemesis can signal (not a thread backend)."""
    return mp.start_method != "thread"


def run_scenario(mp: Target, scenario: Scenario) -> Observed:
    if scenario.nemesis.name != "none" and not has_signals(mp):
        raise Unsupported(f"{mp.adapter.name} workers are threads: no {scenario.nemesis.name}")
    if programs.KINDS[scenario.kind].needs_get_lock and not hasattr(mp.Value("i", 0), "get_lock"):
        raise Unsupported(f"{mp.adapter.name}'s Value has no get_lock()")
    try:
        raw = programs.drive(
            mp,
            scenario.kind,
            scenario.plain_programs(),
            scenario.nemesis.plain(),
            wait=lambda ready, what: wait_until(ready, what, None),
        )
    except programs.Hang as exc:
        raise TestTimeout(f"{exc}\n{scenario.describe()}") from None
    except (Unsupported, TestTimeout):
        raise
    except Exception as exc:
        raise AssertionError(
            f"{type(exc).__name__}: {exc} in the parent while running this scenario on "
            f"{mp.adapter.name} ({mp.start_method}); CPython runs it without error\n"
            f"{scenario.describe()}"
        ) from exc
    if raw["errors"]:
        raise AssertionError(
            f"{'; '.join(raw['errors'])} while running this scenario on {mp.adapter.name} "
            f"({mp.start_method}); CPython's workers run it without error\n{scenario.describe()}"
        )
    return Observed(scenario, History(tuple(_ops(raw["ops"]))), raw, _outcomes(scenario, raw))


def _ops(rows: list[tuple]) -> list[Op]:
    out = []
    for process, name, args, result, t_inv, t_ret in rows:
        if result == programs.GAVE_UP:
            name = "gave_up"  # the lock was not acquired: the increment never happened
        elif result == programs.EMPTY:
            result = EMPTY
        out.append(Op(process, name, args, result, t_inv, t_ret))
    return out


def _outcomes(scenario: Scenario, raw: dict) -> list[str]:
    """Liveness facts worth reporting: who gave up waiting and why."""
    out = list(raw["notes"])
    gave_up = sum(1 for r in raw["ops"] if r[3] is False or r[3] == programs.GAVE_UP)
    if raw["killed"] and gave_up:
        out.append(
            f"lock stays held after its holder was killed ({gave_up} acquire(timeout) "
            "calls returned False)"
        )
    if raw["abrupt"]:
        victim = f"w{raw['abrupt'][0]}"
        puts = {r[2][0] for r in raw["ops"] if r[0] == victim and r[1] == "put"}
        got = {r[3] for r in raw["ops"] if r[1] == "get"}
        out.append(f"put-then-os._exit: {len(puts - got)} of {len(puts)} items lost")
    return out


# -- judging ---------------------------------------------------------------------------------


def problems(observed: Observed) -> list[str]:
    """Every safety violation in the run, as sentences naming the ops involved."""
    return JUDGES[programs.KINDS[observed.scenario.kind].judge](observed)


def _counter_problems(observed: Observed) -> list[str]:
    history = History(tuple(o for o in observed.history if o.op == "fetch_inc"))
    found = [str(v) for v in screen_counter(history)]
    return found or _linearizable(observed, history, Counter())


def _register_problems(observed: Observed) -> list[str]:
    return _linearizable(observed, observed.history, Register(0))


def _linearizable(observed: Observed, history: History, model: Any) -> list[str]:
    result = check(history, model, max_steps=MAX_STEPS)
    if result.verdict is Verdict.UNKNOWN:
        observed.unknown += 1
    return [result.explain()] if result.violation else []


def _queue_problems(observed: Observed) -> list[str]:
    raw = observed.raw
    linearizable = programs.KINDS[observed.scenario.kind].linearizable
    flushed = {f"w{w}" for w in raw["flushed"]}
    producers = {o.process for o in observed.history if o.op == "put"}
    found = screen_queue(
        observed.history,
        drained=raw["drained"] and not raw["killed"],
        may_lose=producers - flushed,
        cross_producer=linearizable,
    )
    if found:
        return [str(v) for v in found]
    return _linearizable(
        observed, observed.history, FifoQueue() if linearizable else RelaxedQueue()
    )


def _lock_problems(observed: Observed) -> list[str]:
    killed: dict[Hashable, int] = {f"w{w}": t for w, t in observed.killed.items()}
    out = [str(v) for v in screen_critical_sections(_sections(observed.history, killed))]
    dead = {w + 1 for w in observed.killed}
    for wid, where, found, _ in observed.raw["owner"]:
        if found not in dead:  # a killed holder leaves its id behind, and that is no overlap
            holder = f"w{found - 1}" if found else "nobody"
            out.append(
                f"owner check: w{wid} found {holder} in the owner cell on {where} of its "
                "critical section; only one process may hold the lock"
            )
    if out or killed:
        return out  # Mutex says a dead holder keeps the lock; backends may differ on that
    return _linearizable(observed, observed.history, Mutex())


def _semaphore_problems(observed: Observed) -> list[str]:
    sections = _sections(observed.history, {})
    out = [v.message for v in screen_holders(sections, programs.SLOTS)]
    for wid, count, _ in observed.raw["over"]:
        out.append(
            f"holder count: w{wid} entered as holder number {count} of a "
            f"Semaphore({programs.SLOTS})"
        )
    return out


# Kind.judge -> the history check of that kind of scenario.
JUDGES: dict[str, Callable[[Observed], list[str]]] = {
    "queue": _queue_problems,
    "lock": _lock_problems,
    "semaphore": _semaphore_problems,
    "counter": _counter_problems,
    "register": _register_problems,
}


def _sections(history: History, killed: dict[Hashable, int]) -> list[Section]:
    """Critical sections per holder. A killed holder's section ends when SIGKILL was sent: its
    lock cannot have been released earlier, whatever the backend does with it afterwards."""
    out = []
    for process, ops in history.by_process().items():
        start: Op | None = None
        for op in ops:
            if op.op == "acquire" and op.returned and op.result:
                start = op
            elif op.op == "release" and start is not None:
                out.append(Section(process, start.returned_at, op.t_invoke, (start, op)))
                start = None
        if start is not None:
            out.append(Section(process, start.returned_at, killed.get(process), (start,)))
    return out


# -- reporting ---------------------------------------------------------------------------------


def failure_message(mp: Target, observed: Observed, found: list[str], where: Path | None) -> str:
    scenario = observed.scenario
    saved, script = "", ""
    if mp.module:  # a wrapped context (a mutant) has no module a script could import
        script = scripts.render(scenario, mp.module, mp.start_method)
    if where is not None and script:
        # One file per kind, overwritten: Hypothesis ends by replaying its smallest failing
        # example, so what stays is the shrunk scenario.
        path = Path(where) / f"stress_{scenario.kind}_{mp.adapter.name}_{mp.start_method}.py"
        path.write_text(script)
        saved = f"\nSaved as {path}"
    t0 = observed.history.t0
    shown = [f"  {op.describe(t0)}" for op in list(observed.history)[:60]]
    return "\n".join(
        [
            f"{mp.adapter.name} ({mp.start_method}) violated safety in a {scenario.kind} "
            "scenario; CPython's objects never do:",
            *[f"- {p}" for p in found],
            scenario.describe(),
            "History:",
            *shown,
            *[f"Outcome: {o}" for o in observed.outcomes],
            *(
                [
                    "Standalone reproduction (python <file>; exit 1 and VIOLATION when it "
                    f"shows):{saved}",
                    script,
                ]
                if script
                else ["No standalone reproduction: no module of its own hands out this context."]
            ),
        ]
    )


RETRIES_AFTER_A_VIOLATION = 5
_violated: set[str] = set()  # tests (with their target) that have found a violation


def verify(mp: Target, scenario: Scenario, where: Path | None = None, key: str = "") -> Observed:
    """Run ``scenario`` and fail (AssertionError) on any safety violation.

    Races do not show on every run. Once a test (``key``) has found a violation, each later
    example, which is Hypothesis shrinking or replaying, is run up to
    RETRIES_AFTER_A_VIOLATION times before it counts as passing, so the shrinker is not
    misled by a lucky run and the final replay fails as it should. A correct backend never
    gets there, so it pays nothing for this.
    """
    tries = RETRIES_AFTER_A_VIOLATION if key in _violated else 1
    for _ in range(tries):
        observed = run_scenario(mp, scenario)
        found = problems(observed)
        if found:
            _violated.add(key)
            raise AssertionError(failure_message(mp, observed, found, where))
    return observed
