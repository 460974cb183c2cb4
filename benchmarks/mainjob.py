"""One timed ``mpconform run`` as the benchmarks measure it: the command, its wall time and
the results it wrote. Shared by wall_time.py, ratio.py and steadiness.py (run them from the
repository; Python puts this folder on the path)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Run:
    returncode: int
    wall: float
    stderr: str
    results: list[dict[str, Any]] = field(default_factory=list)

    @property
    def statuses(self) -> Counter[str]:
        return Counter(r["status"] for r in self.results)

    def describe(self) -> str:
        counts = self.statuses
        return ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no results"


def run(report: str | Path, *args: str, env: dict[str, str] | None = None) -> Run:
    """``mpconform run --report REPORT ARGS...`` in this interpreter, timed."""
    report = Path(report).resolve()
    report.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "mpconform.cli", "run", "--report", str(report), *args]
    t0 = time.monotonic()
    # From the report's folder, not the caller's: run from the repository, ``-m`` would import
    # the source tree's ``mpconform`` folder instead of the installed package (whose areas
    # live elsewhere in the tree), and a regular install is what the README measures.
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=report)
    wall = time.monotonic() - t0
    try:
        doc = json.loads((Path(report) / "results.json").read_text())
        results = doc["results"]
    except (OSError, ValueError, KeyError):
        results = []
    return Run(proc.returncode, wall, proc.stderr, results)
