"""The console script: exit codes, one-line errors, and reports from real runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import psutil
import pytest
from childrun import CASES, REPO, TAG, tagged_processes

CLI = [sys.executable, "-m", "mpconform.cli"]
NOTES_INTERPRETER = CASES.parent / "case_interpreter.py"


def cli(*args: str, cwd=REPO, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize(
    "args, expected",
    [
        (["run", "--backend", "nope"], "unknown backend 'nope'"),
        (
            ["run", "--backend", "dummy", "--start-method", "spawn"],
            "has no start method 'spawn'; it offers: thread",
        ),
        (["run", "--start-method", "teleport"], "has no start method 'teleport'"),
        (["run", "--profile", "fastest"], "unknown profile 'fastest'"),
        (["run", "--report", "/proc/version/out"], "cannot be created"),
        (["run", "--jobs", "many"], "--jobs must be a number or 'auto'"),
        (["run", "--backend", "os:sep"], "not an mpconform Adapter"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["report", "/nonexistent/results.json"], "does not exist"),
        (["run", "--suite", "conformance,fuzz"], "unknown suite 'fuzz'; choose from"),
        (["run", "--stress-seconds", "0"], "--stress-seconds must be a positive number"),
        # Once passed by the CLI and refused inside pytest: one validation path now.
        (["run", "--stress-seconds", "inf"], "--stress-seconds must be a positive number"),
        (["run", "--timeout", "soon"], "--timeout must be a number of seconds, not 'soon'"),
        (["run", "--shard", "3/2"], "--shard must look like K/N"),
        (["verdict", "/nonexistent/results.json"], "does not exist"),
        (["expectations", "update", "/nonexistent.json", "-o", "x"], "does not exist"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, expected):
    out = cli(*args)
    assert out.returncode == 2
    assert expected in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert out.stdout == ""


def test_plugin_rejects_bad_options_with_exit_2():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            str(CASES),
            "--mp-backend",
            "stdlib",
            "--mp-profile",
            "nope",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert "mpconform: unknown profile 'nope'" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_corrupt_results_file_is_rejected(tmp_path):
    bad = tmp_path / "results.json"
    bad.write_text('{"format": "something-else"}')
    out = cli("report", str(bad), "--out", str(tmp_path / "out"))
    assert out.returncode == 2
    assert "is not an mpconform results file" in out.stderr


def test_backends_lists_installed_and_missing():
    out = cli("backends")
    assert out.returncode == 0
    names = [line.split()[0] for line in out.stdout.splitlines()]
    assert names[:4] == ["stdlib", "dummy", "billiard", "multiprocess"]
    assert "fork, spawn, forkserver" in out.stdout.splitlines()[0]


def _run_cases(tmp_path, *args: str) -> subprocess.CompletedProcess:
    report = tmp_path / "report"
    return cli(
        "run", "--report", str(report), "--jobs", "0", "-k", "child_runs", *args, "--", str(CASES)
    )


def test_conforming_run_exits_0_and_writes_all_reports(tmp_path):
    out = _run_cases(tmp_path, "--backend", "stdlib", "--start-method", "fork")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "mpconform: 1 PASS" in out.stdout
    assert "  stdlib-fork: 1 of 1 conform\n" in out.stdout  # the report's headline, once
    report = tmp_path / "report"
    assert sorted(p.name for p in report.iterdir()) == [
        "junit.xml",
        "report.html",
        "report.md",
        "results.json",
    ]
    doc = json.loads((report / "results.json").read_text())
    assert doc["run"]["hypothesis"]["profile"] == "ci"


def test_nonconforming_run_exits_1(tmp_path):
    out = _run_cases(
        tmp_path, "--backend", "mutants.faults:child_segfault", "--start-method", "fork"
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert "1 CRASH" in out.stdout
    assert ": 0 of 1 conform, 1 crashes\n" in out.stdout
    assert out.stdout.count("1 CRASH") == 1  # the summary is printed once


def test_report_merges_runs(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for backend, where in (("stdlib", a), ("dummy", b)):
        out = cli(
            "run",
            "--backend",
            backend,
            "--report",
            str(where),
            "--jobs",
            "0",
            "-k",
            "child_runs",
            "--",
            str(CASES),
        )
        assert out.returncode == 0, out.stderr
    out = cli(
        "report",
        str(a / "results.json"),
        str(b / "results.json"),
        "--out",
        str(tmp_path / "merged"),
    )
    assert out.returncode == 0, out.stderr
    html = (tmp_path / "merged" / "report.html").read_text()
    assert "stdlib-spawn" in html and "dummy-thread" in html


def _markers(path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def _states(tag: str) -> str:
    """Where each process of a stuck run is, for the failure message."""
    lines = []
    for p in tagged_processes(tag):
        try:
            wchan = open(f"/proc/{p.pid}/wchan").read()  # noqa: SIM115
            lines.append(
                f"{p.pid} {p.status()} threads={p.num_threads()} wchan={wchan} "
                f"{' '.join(p.cmdline())[-120:]}"
            )
        except (OSError, psutil.Error) as exc:
            lines.append(f"{p.pid}: {exc}")
    return "\n".join(lines)


def _ctrl_c(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group


def _cancel(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)  # what a CI runner cancelling the job does: the CLI only


@pytest.mark.parametrize("interrupt", [_ctrl_c, _cancel], ids=["ctrl-c", "sigterm"])
def test_interrupted_run_writes_a_partial_report_and_leaves_nothing(tmp_path, interrupt):
    tag = uuid.uuid4().hex
    report = tmp_path / "report"
    started = tmp_path / "started"
    env = dict(os.environ, **{TAG: tag, "CASE_STARTED_FILE": str(started)})
    proc = subprocess.Popen(
        [
            *CLI,
            "run",
            "--backend",
            "stdlib,mutants.faults:hang",
            "--start-method",
            "fork",
            "--report",
            str(report),
            "--jobs",
            "0",
            "--timeout",
            "120",
            "-k",
            "child_runs",
            "--",
            str(CASES),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        # The stdlib case writes the marker, then the hang case blocks: interrupt it there.
        deadline = time.monotonic() + 120
        while _markers(started) != ["ran", "blocking"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _markers(started) == ["ran", "blocking"], "the cases never got that far"
        interrupt(proc)
        try:
            stdout, stderr = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            stuck = _states(tag)
            raise AssertionError(f"still running 60 s after the interrupt:\n{stuck}") from None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stdout + stderr
    doc = json.loads((report / "results.json").read_text())
    assert doc["run"]["interrupted"] is True
    statuses = {r["nodeid"].split("::")[-1]: r["status"] for r in doc["results"]}
    assert statuses["test_child_runs[stdlib-fork]"] == "PASS"
    assert (report / "report.html").exists()
    end = time.monotonic() + 5
    while tagged_processes(tag) and time.monotonic() < end:
        time.sleep(0.05)
    assert tagged_processes(tag) == []


def test_each_backend_runs_in_interpreters_of_its_own(tmp_path):
    """Backends in one interpreter share module state (billiard's fork children join the
    stdlib's children at exit and end with exit code 1): the CLI never lets them meet."""
    noted = tmp_path / "interpreters"
    report = tmp_path / "report"
    args = ["--report", str(report), "-k", "interpreter_is_noted", "--", str(NOTES_INTERPRETER)]
    env = dict(os.environ, CASE_INTERPRETERS_FILE=str(noted))
    out = subprocess.run(
        [
            *CLI,
            "run",
            "--backend",
            "stdlib,dummy",
            "--start-method",
            "fork,thread",
            "--jobs",
            "0",
            *args,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    pids: dict[str, set[str]] = {}
    for line in noted.read_text().splitlines():
        backend, pid = line.split()
        pids.setdefault(backend, set()).add(pid)
    assert set(pids) == {"stdlib", "dummy"}
    assert not pids["stdlib"] & pids["dummy"], pids
    doc = json.loads((report / "results.json").read_text())
    assert [b["name"] for b in doc["run"]["backends"]] == ["stdlib", "dummy"]
    assert doc["run"]["shared_interpreter"] == []
    assert "one interpreter" not in (report / "report.md").read_text()


def test_backends_sharing_a_pytest_process_are_reported_as_such(tmp_path):
    report = tmp_path / "report"
    env = dict(os.environ, CASE_INTERPRETERS_FILE=str(tmp_path / "interpreters"))
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--mp-backend",
            "stdlib",
            "--mp-backend",
            "dummy",
            "--mp-start-method",
            "fork",
            "--mp-start-method",
            "thread",
            "--mp-report-dir",
            str(report),
            str(NOTES_INTERPRETER),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "stdlib, dummy share this interpreter" in out.stdout
    doc = json.loads((report / "results.json").read_text())
    assert doc["run"]["shared_interpreter"] == ["stdlib", "dummy"]
    assert "stdlib, dummy ran in one interpreter" in (report / "report.md").read_text()


def test_a_pool_only_backend_runs_its_area_with_its_session_service(tmp_path):
    """Outside its areas every property reads UNSUPPORTED without running; its session
    service is started before the first test (not counted as that test's leak), stopped at the
    end with nothing left, and max_jobs keeps the run to one test process."""
    noted, service = tmp_path / "interpreters", tmp_path / "service"
    report = tmp_path / "report"
    env = dict(os.environ, CASE_INTERPRETERS_FILE=str(noted), CASE_SERVICE_FILE=str(service))
    out = subprocess.run(
        [
            *CLI,
            "run",
            "--backend",
            "tests.cases.pool_only_adapter:adapter",
            "--start-method",
            "fork,spawn",
            "--jobs",
            "3",
            "--report",
            str(report),
            "--",
            str(CASES.parent / "case_pool_only.py"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    doc = json.loads((report / "results.json").read_text())
    statuses = {r["nodeid"].split("::")[1]: (r["status"], r["message"]) for r in doc["results"]}
    for method in ("fork", "spawn"):
        assert statuses[f"test_a_pool_maps[poolonly-{method}]"][0] == "PASS"
        status, message = statuses[f"test_a_queue_is_outside[poolonly-{method}]"]
        assert (status, message) == (
            "UNSUPPORTED",
            "poolonly provides only Pool: nothing else to check",
        )
    assert len(set(noted.read_text().split("\n")[:-1])) == 1  # one test process for both
    started = [
        line.split()[1] for line in service.read_text().splitlines() if line.startswith("start")
    ]
    ended = [line.split() for line in service.read_text().splitlines() if line.startswith("end")]
    assert len(started) == 1 and [e[1] for e in ended] == started
    assert doc["run"]["leftovers"] == []
    assert (
        not psutil.pid_exists(int(started[0]))
        or psutil.Process(int(started[0])).status() == psutil.STATUS_ZOMBIE
    )
