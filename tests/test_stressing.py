"""The stress harness: time budgets, figures that survive an early stop, Ctrl-C after a round."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from childrun import REPO, suite_args

from mpconform.stressing import SMOKE_BELOW, StressRun

CASE = REPO / "tests" / "cases" / "case_stress.py"


def test_rounds_fill_the_budget_and_at_least_the_minimum() -> None:
    run = StressRun(SMOKE_BELOW)
    started = time.monotonic()
    count = sum(1 for _ in run.rounds())
    assert time.monotonic() - started >= SMOKE_BELOW
    assert run.metrics["rounds"] == count > 1 and run.metrics["seconds"] >= SMOKE_BELOW
    slow = StressRun(SMOKE_BELOW)
    seen = []
    for number in slow.rounds(minimum=3):
        seen.append(number)
        time.sleep(SMOKE_BELOW / 2)  # the budget is spent after two rounds
    assert seen == [0, 1, 2]


def test_a_smoke_runs_exactly_its_minimum_rounds() -> None:
    smoke = StressRun(SMOKE_BELOW / 2)
    assert smoke.smoke
    assert [number for number in smoke.rounds()] == [0]
    assert [number for number in smoke.rounds(minimum=2)] == [0, 1]
    assert smoke.metrics["rounds"] == 2


@pytest.fixture
def sigint_default() -> Iterator[None]:
    """Python's own SIGINT handler for the test: an xdist worker runs with SIGINT ignored,
    and a loop started with SIGINT ignored rightly leaves it ignored."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def test_ignored_sigint_stays_ignored() -> None:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        run = StressRun(0.05)
        for _ in run.rounds():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            os.kill(os.getpid(), signal.SIGINT)
        assert not run.interrupted
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("sigint_default")
def test_ctrl_c_ends_the_loop_after_the_round_and_keeps_the_figures() -> None:
    run = StressRun(30)
    for number in run.rounds():
        run.record(operations=number)
        if number == 2:
            os.kill(os.getpid(), signal.SIGINT)  # handled between rounds, not raised here
    assert run.interrupted and run.metrics["interrupted"] is True
    assert run.metrics["rounds"] == 3 and run.metrics["operations"] == 2
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


@pytest.mark.usefixtures("sigint_default")
def test_a_second_ctrl_c_aborts() -> None:
    run = StressRun(30)
    with pytest.raises(KeyboardInterrupt):
        for _ in run.rounds():
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_metrics_reach_the_results_and_the_budget_is_the_option(child_run) -> None:
    run = child_run(*suite_args(str(CASE), "--mp-start-method", "fork", "--mp-stress-seconds", "1"))
    assert run.returncode == 0, run.stdout[-2000:]
    (found,) = run.doc["results"]
    metrics = found["metrics"]
    assert metrics["seconds"] >= 1 and metrics["rounds"] == metrics["operations"] > 1
    assert metrics["ops_per_s"] > 0 and "interrupted" not in metrics
    assert run.doc["run"]["complete"] is True


def test_ctrl_c_in_a_stress_run_reports_what_it_verified(tmp_path: Path) -> None:
    started = tmp_path / "started"
    report = tmp_path / "report"
    env = dict(os.environ, CASE_STARTED_FILE=str(started))
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    cmd = [sys.executable, *suite_args(str(CASE), "--mp-stress-seconds", "120")]
    cmd = [a.replace("{report}", str(report)) for a in cmd]
    proc = subprocess.Popen(
        cmd,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        # As a terminal starts it: an xdist worker (running this test) ignores SIGINT, and
        # its children would inherit that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 60
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists(), "the stress loop never started"
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    doc = json.loads((report / "results.json").read_text())
    assert doc["run"]["interrupted"] is True
    (first,) = doc["results"]  # the session stopped after the interrupted test
    assert first["status"] == "PASS"
    assert first["metrics"]["interrupted"] is True and first["metrics"]["operations"] >= 3
    assert first["metrics"]["seconds"] < 60
    assert "interrupted; finishing this round" in out or proc.returncode is not None


def test_a_run_killed_outright_leaves_a_checkpoint(tmp_path: Path) -> None:
    """Three 3-second workloads; SIGKILL as soon as the first one's checkpoint appears."""
    report = tmp_path / "report"
    results = report / "results.json"
    env = dict(os.environ, MPCONFORM_CHECKPOINT_SECONDS="0")
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    args = suite_args(str(CASE), "--mp-stress-seconds", "3")
    cmd = [sys.executable, *(a.replace("{report}", str(report)) for a in args)]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not results.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.kill()  # SIGKILL: no session end, so no final write
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    doc = json.loads(results.read_text())
    assert doc["run"]["complete"] is False
    (first,) = doc["results"]
    assert first["status"] == "PASS" and first["metrics"]["seconds"] >= 3
