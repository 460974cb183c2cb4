"""A job whose pytest process is killed: the test it ran is reported, the rest still run.

End to end through ``mpconform run``: a test kills its own test process (what a backend that
crashes the interpreter, or the watchdog behind a hung test, does); the run must report that
test, run the tests after it in a new process, and leave nothing behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from childrun import REPO, TAG, tagged_processes

from mpconform import recovery
from mpconform.jobs import PROGRESS_NAME

CASES = Path(__file__).parent / "cases" / "case_recovery.py"


@pytest.mark.parametrize("jobs", ["0", "2"])
def test_a_killed_job_reports_the_test_it_ran_and_goes_on(tmp_path: Path, jobs: str) -> None:
    report = tmp_path / "report"
    tag = f"recovery-{os.getpid()}-{jobs}"
    env = {**os.environ, "CASE_KILL_SELF": "1", TAG: tag}
    env.pop("PYTEST_XDIST_WORKER", None)
    cmd = [sys.executable, "-m", "mpconform.cli", "run", "--report", str(report)]
    cmd += ["--jobs", jobs, "--start-method", "fork", "-k", "case_recovery"]
    cmd += ["--", str(CASES)]
    out = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 1, out.stdout + out.stderr  # a CRASH does not conform
    statuses = {
        r["nodeid"].split("::")[-1]: (r["status"], r["message"])
        for r in json.loads((report / "results.json").read_text())["results"]
    }
    assert statuses["test_a_runs_before[stdlib-fork]"][0] == "PASS"
    assert statuses["test_c_runs_after[stdlib-fork]"][0] == "PASS"
    status, message = statuses["test_b_kills_the_test_process[stdlib-fork]"]
    assert status == "CRASH" and "died from SIGKILL" in message
    assert len(statuses) == 4  # test_d passes: nothing asks it to exit
    assert "1 CRASH" in out.stdout and "3 PASS" in out.stdout
    assert not tagged_processes(tag)
    assert not list(report.glob(".retry-*")) and not (report / ".jobs").exists()


def test_a_test_process_that_exits_mid_test_is_a_crash_and_the_run_goes_on(
    tmp_path: Path,
) -> None:
    """A backend's thread calling os._exit(1) ends the job with an ordinary exit code but no
    session end: the test is a CRASH, the tests after it still run."""
    report = tmp_path / "report"
    env = {**os.environ, "CASE_EXIT_SELF": "1"}
    env.pop("PYTEST_XDIST_WORKER", None)
    cmd = [sys.executable, "-m", "mpconform.cli", "run", "--report", str(report), "--jobs", "0"]
    cmd += ["--start-method", "fork", "-k", "case_recovery", "--", str(CASES)]
    out = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 1, out.stdout + out.stderr
    found = {
        r["nodeid"].split("::")[-1]: r
        for r in json.loads((report / "results.json").read_text())["results"]
    }
    crashed = found["test_d_exits_the_test_process[stdlib-fork]"]
    assert crashed["status"] == "CRASH" and "exited (code 1)" in crashed["message"]
    assert len(found) == 4 and sum(r["status"] == "PASS" for r in found.values()) == 3


def test_the_watchdogs_note_makes_the_killed_test_a_timeout(tmp_path: Path) -> None:
    lines = [
        "item\tArea\tstdlib\tfork\tt.py::test_a[stdlib-fork]",
        "item\tArea\tstdlib\tfork\tt.py::test_b[stdlib-fork]",
        "item\tArea\tstdlib\tfork\tt.py::test_c[stdlib-fork]",
        "PASS\t1\tArea\tt.py::test_a[stdlib-fork]",
        "watchdog\tt.py::test_b[stdlib-fork]",
    ]
    (tmp_path / PROGRESS_NAME).write_text("\n".join(lines) + "\n")
    found = recovery.trace(str(tmp_path))
    assert found.done == {"t.py::test_a[stdlib-fork]"}
    lost = recovery.running_when_killed(found, -9)
    assert lost is not None
    assert (lost.nodeid, lost.status, lost.area, lost.backend) == (
        "t.py::test_b[stdlib-fork]",
        "TIMEOUT",
        "Area",
        "stdlib",
    )
    assert "backstop" in lost.message
    everything_done = recovery.Trace(found.order, {i.nodeid for i in found.order}, set())
    assert recovery.running_when_killed(everything_done, -9) is None  # died between tests
