"""Each verdict comes from what really happened: backends that hang, crash or leak get
TIMEOUT, CRASH and LEAK, missing features UNSUPPORTED, and nothing survives the run."""

from __future__ import annotations

import pytest
from childrun import CASES, suite_args

FAULTS = "mutants.faults"


def run_cases(child_run, backend: str, *extra: str):
    return child_run(*suite_args(str(CASES), "--mp-backend", backend, *extra))


def test_stdlib_passes_every_case(child_run):
    run = run_cases(child_run, "stdlib")
    assert run.returncode == 0, run.stdout + run.stderr
    assert set(run.statuses.values()) == {"PASS"}
    assert len(run.statuses) == 9  # 3 cases x fork, spawn, forkserver
    assert run.leftovers == []


def test_hanging_backend_times_out_and_is_killed(child_run):
    run = run_cases(
        child_run,
        f"{FAULTS}:hang",
        "--mp-timeout",
        "2",
        "-k",
        "child_runs",
        "--mp-start-method",
        "fork,spawn",
    )
    assert run.returncode == 1
    assert run.statuses == {
        "test_child_runs[hang-fork]": "TIMEOUT",
        "test_child_runs[hang-spawn]": "TIMEOUT",
    }
    result = run.result("test_child_runs[hang-spawn]")
    assert "did not finish within 2 s" in result["message"]
    assert "killed 1 process" in result["message"]
    assert run.leftovers == []


def test_segfaulting_child_is_a_crash(child_run):
    run = run_cases(child_run, f"{FAULTS}:child_segfault", "-k", "child_runs")
    assert run.returncode == 1
    assert set(run.statuses.values()) == {"CRASH"}
    assert "SIGSEGV" in run.result("test_child_runs[child-segfault-spawn]")["message"]
    assert run.leftovers == []


def test_leaked_helper_is_reported_and_killed(child_run):
    run = run_cases(child_run, f"{FAULTS}:leak", "-k", "child_runs", "--mp-start-method", "fork")
    assert run.returncode == 1
    assert run.statuses == {"test_child_runs[leak-fork]": "LEAK"}
    assert "time.sleep" in run.result("test_child_runs[leak-fork]")["message"]
    assert run.leftovers == []


def test_leaked_semaphore_is_reported(child_run):
    # Under fork CPython unlinks semaphore names at once; spawn keeps them visible.
    run = run_cases(
        child_run, f"{FAULTS}:semaphore_leak", "-k", "child_runs", "--mp-start-method", "spawn"
    )
    assert run.returncode == 1
    assert run.statuses == {"test_child_runs[semaphore-leak-spawn]": "LEAK"}
    assert "/dev/shm/sem.mp-mpc" in run.result("test_child_runs[semaphore-leak-spawn]")["message"]
    assert run.leftovers == []  # the resource tracker unlinks it when the run ends


def test_leaked_shared_memory_block_is_reported(child_run):
    run = run_cases(child_run, f"{FAULTS}:block_leak", "-k", "child_runs")
    leaked = {name: "LEAK" for name in run.statuses}
    assert run.statuses == leaked and len(leaked) == 3, run.statuses
    for name in leaked:
        assert "/dev/shm/mpc" in run.result(name)["message"], run.result(name)["message"]


def test_crashed_test_runner_is_a_crash_and_the_run_goes_on(child_run):
    run = run_cases(
        child_run,
        f"{FAULTS}:parent_segfault,stdlib",
        "-n",
        "1",
        "-k",
        "child_runs",
        "--mp-start-method",
        "fork",
    )
    assert run.returncode == 1
    assert run.statuses == {
        "test_child_runs[parent-segfault-fork]": "CRASH",
        "test_child_runs[stdlib-fork]": "PASS",
    }
    assert run.leftovers == []


def test_missing_and_declared_capabilities_are_unsupported(child_run):
    run = run_cases(child_run, "dummy")
    assert run.returncode == 0, run.stdout
    assert run.statuses == {
        "test_child_runs[dummy-thread]": "PASS",
        "test_kill_needs_capability[dummy-thread]": "UNSUPPORTED",
        "test_simple_queue_round_trip[dummy-thread]": "UNSUPPORTED",
    }
    assert (
        "threads cannot be signalled"
        in run.result("test_kill_needs_capability[dummy-thread]")["message"]
    )
    assert "SimpleQueue" in run.result("test_simple_queue_round_trip[dummy-thread]")["message"]


@pytest.mark.parametrize(
    "backend, methods",
    [("stdlib,dummy", "fork,thread"), (f"{FAULTS}:leak,{FAULTS}:child_segfault", "fork")],
)
def test_xdist_gives_the_serial_verdicts(child_run, backend, methods):
    serial = run_cases(child_run, backend, "--mp-start-method", methods)
    parallel = run_cases(child_run, backend, "--mp-start-method", methods, "-n", "2")
    assert serial.statuses == parallel.statuses
    assert len(serial.statuses) == 6
    assert len(set(serial.statuses.values())) >= 2  # the comparison covers several verdicts
    assert serial.leftovers == parallel.leftovers == []
