"""Runs a child pytest or CLI with a fresh tag and inspects what it left behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from mpconform.semaphores import RUN_LABEL_ENV

REPO = Path(__file__).resolve().parent.parent
CASES = REPO / "tests" / "cases" / "case_harness.py"
TAG = "MPCONFORM_TEST_TAG"
RUN_LIMIT = 300  # seconds: liveness bound for one child run
EXIT_GRACE = 5.0


def tagged_processes(tag: str) -> list[psutil.Process]:
    """Live processes whose environment carries ``tag``: everything a child run started."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get(TAG) == tag and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def shm_names() -> set[str]:
    try:
        return set(os.listdir("/dev/shm"))
    except OSError:
        return set()


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    report_dir: Path
    leftovers: list[str] = field(default_factory=list)

    @property
    def doc(self) -> dict[str, Any]:
        return json.loads((self.report_dir / "results.json").read_text())

    @property
    def statuses(self) -> dict[str, str]:
        return {r["nodeid"].split("::")[-1]: r["status"] for r in self.doc["results"]}

    def result(self, name: str) -> dict[str, Any]:
        return next(r for r in self.doc["results"] if r["nodeid"].endswith("::" + name))


def run_child(args: list[str], tmp_path: Path, *, timeout: float = RUN_LIMIT) -> Run:
    """Run ``python args...`` with a fresh tag; fail if it leaves processes or /dev/shm files."""
    tag = uuid.uuid4().hex
    report_dir = tmp_path / f"report-{tag[:8]}"
    env = dict(
        os.environ,
        **{TAG: tag, RUN_LABEL_ENV: tag, "CASE_STARTED_FILE": str(tmp_path / "started")},
    )
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    shm_before = shm_names()
    args = [a.replace("{report}", str(report_dir)) for a in args]
    proc = subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    # Helpers (forkserver, resource tracker) exit when they see their parent's pipe close;
    # give them a moment, then anything still running is a leak.
    deadline = time.monotonic() + EXIT_GRACE
    while tagged_processes(tag) and time.monotonic() < deadline:
        time.sleep(0.05)
    survivors = tagged_processes(tag)
    leftovers = [f"{p.pid} {' '.join(p.cmdline())}" for p in survivors]
    for p in survivors:
        p.kill()
    # Semaphores of this run carry its tag (other tests may run concurrently under xdist).
    new_shm = sorted(n for n in shm_names() - shm_before if n.startswith("sem.") and tag in n)
    return Run(proc.returncode, proc.stdout, proc.stderr, report_dir, leftovers + new_shm)


def suite_args(*extra: str) -> list[str]:
    return ["-m", "pytest", "-p", "no:cacheprovider", "-q", "--mp-report-dir", "{report}", *extra]
