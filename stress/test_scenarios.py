"""Stress scenarios: small concurrent programs, with faults injected, checked op by op.

Hypothesis draws what 2-4 workers do to one shared object (a few steps each, with delays at
operation boundaries), plus a nemesis: a worker paused with SIGSTOP, killed with SIGKILL after
a given step, all workers pinned to one CPU, or a Queue producer that leaves with os._exit().
Every call and return is recorded with system-wide monotonic times, and the history is judged
by the harness's checkers: linearizability against the object's sequential model where one
exists (RelaxedQueue for ``Queue``, whose feeder thread makes it FIFO per producer only), and
the fast sound screens (critical-section overlap, in-band owner cell, queue loss and order,
fetch-and-increment uniqueness). A failure shrinks to the smallest scenario that still shows
it, and its message carries a standalone script that reproduces it without mpconform.

Only safety fails a test. What a nemesis does to progress (a killed holder leaves a stdlib
Lock held forever; items put before os._exit() are lost) is documented behaviour and is
reported by the nemesis workloads in test_workloads.py, not judged here.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from mpconform.outcomes import Unsupported
from mpconform.profiles import budget
from mpconform.stress import runner, scripts
from mpconform.stress.scenarios import KINDS, Scenario, allowed_nemeses, from_plain, scenarios
from mpconform.target import Target
from mpconform.waiting import LIVENESS

pytestmark = pytest.mark.mp_area("Stress: scenarios")


@pytest.fixture(scope="module")
def repro_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where failing scenarios' scripts are written (module-scoped: Hypothesis reruns the test
    body many times, and function-scoped fixtures would not be reset between them)."""
    return tmp_path_factory.mktemp("stress-repro")


def drawn(mp: Target, kind: str) -> st.SearchStrategy[Scenario]:
    return scenarios(kind, nemesis_names=allowed_nemeses(kind, runner.has_signals(mp)))


def check_kind(mp: Target, kind: str, data: Any, repro_dir: Path) -> None:
    scenario = data.draw(drawn(mp, kind), label="scenario")
    event(f"nemesis: {scenario.nemesis.name}")  # --hypothesis-show-statistics tallies these
    observed = runner.verify(mp, scenario, repro_dir, key=f"{kind}-{mp.id}")
    for outcome in observed.outcomes:
        event(f"outcome: {outcome.split(' (')[0].split(':')[0]}")


@pytest.mark.mp_catches("mutants.stress:queue_pairs_swapped")
@budget("heavy")
@given(data=st.data())
def test_queue_histories_fit_per_producer_fifo(mp: Target, repro_dir: Path, data: Any) -> None:
    """Queue loses, duplicates and invents nothing and keeps each producer's order, under faults.

    Faults: a worker paused or killed, all pinned to one CPU, a producer leaving by os._exit().
    """
    check_kind(mp, "queue", data, repro_dir)


@budget("heavy")
@given(data=st.data())
def test_simple_queue_histories_are_linearizable(mp: Target, repro_dir: Path, data: Any) -> None:
    """SimpleQueue is a linearizable FIFO queue across processes, with workers paused or pinned."""
    check_kind(mp, "simple_queue", data, repro_dir)


@pytest.mark.mp_catches("mutants.stress:lock_two_holders")
@budget("heavy")
@given(data=st.data())
def test_lock_has_one_holder_at_a_time(mp: Target, repro_dir: Path, data: Any) -> None:
    """Lock admits one process at a time, even with a holder paused or killed."""
    check_kind(mp, "lock", data, repro_dir)


@pytest.mark.mp_catches("mutants.stress:semaphore_off_by_one")
@budget("heavy")
@given(data=st.data())
def test_semaphore_admits_at_most_its_value(mp: Target, repro_dir: Path, data: Any) -> None:
    """Semaphore(2) admits at most two processes at a time, even with a holder paused."""
    check_kind(mp, "semaphore", data, repro_dir)


@pytest.mark.mp_catches("mutants.stress:value_lock_fresh")
@budget("heavy")
@given(data=st.data())
def test_value_lock_makes_increments_atomic(mp: Target, repro_dir: Path, data: Any) -> None:
    """Increments under Value.get_lock() are never lost, even with a worker paused or killed."""
    check_kind(mp, "counter", data, repro_dir)


@budget("heavy")
@given(data=st.data())
def test_value_reads_and_writes_are_linearizable(mp: Target, repro_dir: Path, data: Any) -> None:
    """Value reads and writes from several processes behave as one linearizable register."""
    check_kind(mp, "register", data, repro_dir)


# -- the standalone scripts ----------------------------------------------------------------------

LOCK_SCENARIO = from_plain(
    "lock",
    (
        (("lock", None, 0.0, 0.3), ("lock", None, 0.0, 0.0)),
        (("lock", None, 0.05, 0.0), ("lock", None, 0.0, 0.0)),
    ),
)
QUEUE_SCENARIO = from_plain(
    "queue",
    (
        (("put", 101, 0.0, 0.0), ("put", 102, 0.0, 0.0), ("get", None, 0.001, 0.0)),
        (("put", 201, 0.0, 0.0), ("get", None, 0.0, 0.0), ("get", None, 0.0, 0.0)),
    ),
    ("pause", 1, 1, 0.01),
)


@pytest.fixture
def script_column(mp: Target, request: pytest.FixtureRequest) -> None:
    """A rendered script differs between start methods only in the name it passes to
    get_context(), and each costs an interpreter and its children; the scenarios themselves
    are checked in-process under every start method by the properties above."""
    from mpconform.plugin import only_first_start_method

    only_first_start_method(mp, request, "scripts differ only in the start method's name")


def run_script(text: str, where: Path, runs: int) -> subprocess.CompletedProcess:
    path = where / "scenario.py"
    path.write_text(text)
    try:
        return subprocess.run(
            [sys.executable, str(path), str(runs)],
            capture_output=True,
            text=True,
            timeout=2 * LIVENESS,
            cwd=where,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"the rendered script ran for over {2 * LIVENESS:g} s") from exc


@pytest.mark.parametrize("scenario", [LOCK_SCENARIO, QUEUE_SCENARIO], ids=["lock", "queue"])
@pytest.mark.usefixtures("script_column")
def test_rendered_script_runs_clean(mp: Target, tmp_path: Path, scenario: Scenario) -> None:
    """A scenario's standalone script runs with only the backend imported and finds no violation."""
    if not runner.has_signals(mp):
        raise Unsupported("scripts drive processes; a thread backend has none to signal")
    if not mp.module:
        raise Unsupported("no module of its own hands out this context: a script cannot import it")
    text = scripts.render(scenario, mp.module, mp.start_method)
    assert "import mpconform" not in text and "from mpconform" not in text
    done = run_script(text, tmp_path, runs=1)
    assert done.returncode == 0 and "no violation" in done.stdout, (
        f"exit {done.returncode}\n{done.stdout}\n{done.stderr[-3000:]}"
    )


# The scripts are checked for being standalone and clean; the scenarios themselves are what
# the properties above check in-process, so half the heavy budget (at least one) is enough.
SCRIPT_BUDGET = settings(budget("heavy"), max_examples=max(1, budget("heavy").max_examples // 2))


@pytest.mark.usefixtures("script_column")
@SCRIPT_BUDGET
@given(data=st.data())
def test_generated_scenario_scripts_run_clean(mp: Target, data: Any) -> None:
    """Standalone scripts of generated scenarios (any object, any nemesis) find no violation."""
    if not runner.has_signals(mp):
        raise Unsupported("scripts drive processes; a thread backend has none to signal")
    if not mp.module:
        raise Unsupported("no module of its own hands out this context: a script cannot import it")
    kind = data.draw(st.sampled_from(KINDS), label="kind")
    scenario = data.draw(drawn(mp, kind), label="scenario")
    event(f"{kind}, nemesis: {scenario.nemesis.name}")
    text = scripts.render(scenario, mp.module, mp.start_method)
    with tempfile.TemporaryDirectory(prefix="mpconform-script-") as where:
        done = run_script(text, Path(where), runs=1)
    assert done.returncode == 0 and "no violation" in done.stdout, (
        f"exit {done.returncode}\n{done.stdout}\n{done.stderr[-3000:]}\n{scenario.describe()}"
    )


@pytest.mark.usefixtures("script_column")
def test_rendered_script_detects_two_holders(mp: Target, tmp_path: Path) -> None:
    """A standalone script reports VIOLATION when its lock lets two processes in at once.

    The script is rendered with ctx.Semaphore(2) in place of ctx.Lock().
    """
    if not runner.has_signals(mp):
        raise Unsupported("scripts drive processes; a thread backend has none to signal")
    if not mp.module:
        raise Unsupported("no module of its own hands out this context: a script cannot import it")
    text = scripts.render(
        LOCK_SCENARIO,
        mp.module,
        mp.start_method,
        lock_factory="ctx.Semaphore(2)",
    )
    done = run_script(text, tmp_path, runs=5)
    assert done.returncode == 1 and "VIOLATION: " in done.stdout, (
        f"exit {done.returncode}\n{done.stdout}\n{done.stderr[-3000:]}"
    )
