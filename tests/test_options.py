"""Every plugin option can come from the command line, the ini file or the environment."""

from __future__ import annotations

import pytest
from childrun import CASES, suite_args


def _columns(run) -> set[str]:
    return {name.split("[", 1)[1].rstrip("]") for name in run.statuses}


@pytest.mark.parametrize(
    "how",
    [
        ["--mp-backend", "dummy"],
        ["-o", "mp_backend=dummy"],
        ["env:MPCONFORM_BACKEND=dummy"],
    ],
)
def test_backend_from_cli_ini_or_env(child_run, monkeypatch, how):
    if how[0].startswith("env:"):
        key, value = how[0][4:].split("=")
        monkeypatch.setenv(key, value)
        how = []
    run = child_run(*suite_args(str(CASES), "-k", "child_runs", *how))
    assert run.returncode == 0, run.stdout + run.stderr
    assert _columns(run) == {"dummy-thread"}


def test_command_line_beats_environment(child_run, monkeypatch):
    monkeypatch.setenv("MPCONFORM_START_METHOD", "spawn")
    run = child_run(*suite_args(str(CASES), "-k", "child_runs", "--mp-start-method", "fork"))
    assert _columns(run) == {"stdlib-fork"}


def test_seed_and_profile_are_recorded(child_run):
    run = child_run(
        *suite_args(
            str(CASES),
            "-k",
            "child_runs",
            "--mp-start-method",
            "fork",
            "--mp-profile",
            "dev",
            "--hypothesis-seed",
            "1234",
        )
    )
    hypothesis = run.doc["run"]["hypothesis"]
    assert hypothesis["profile"] == "dev"
    assert hypothesis["seed"] == "1234"
    assert hypothesis["derandomize"] is False
