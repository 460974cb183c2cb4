"""Repro scripts: one per failing cell, linked from the reports, runnable with plain python."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from childrun import suite_args
from test_reports import document, result

from mpconform.reports import html, markdown, repro
from mpconform.reports.matrix import build

MUTANT = "mutants.messaging:send_bytes_offset_ignored"
PROPERTY = "test_send_bytes_sends_the_slice"


def test_only_failures_get_a_script_and_hostile_text_stays_inert(tmp_path: Path) -> None:
    hostile = 'boom """; import os; os._exit(3) # \\x00 \\'
    statuses = ["PASS", "FAIL", "TIMEOUT", "CRASH", "UNSUPPORTED", "SKIP", "LEAK", "XFAIL"]
    rows = [
        result(f"f_{s.lower()}", "billiard", "spawn", s, line=i, message=hostile)
        for i, s in enumerate(statuses)
    ]
    matrix = build([document(rows)])
    planned = repro.plan(matrix)
    assert sorted(planned.values()) == [
        f"repro/f_{s}-billiard-spawn.py" for s in ("crash", "fail", "timeout")
    ]
    (tmp_path / "repro").mkdir()
    (tmp_path / "repro" / "stale.py").write_text("# from an earlier report\n")
    written = repro.write_all(matrix, str(tmp_path), planned)
    assert sorted(p.name for p in (tmp_path / "repro").iterdir()) == sorted(
        Path(p).name for p in written
    )
    for path in written:
        source = Path(path).read_text()
        compile(source, path, "exec")  # the recorded text cannot break out of its docstring
        namespace: dict = {}
        exec(source.replace('if __name__ == "__main__":', "if False:"), namespace)
        assert namespace["RECORDED"]["message"] == hostile
        assert namespace["BACKEND"] == "billiard" and namespace["START_METHOD"] == "spawn"
    fail = next(c for c in matrix.ordered_cells() if c.status.value == "FAIL")
    assert f"python {planned[fail.anchor]}" in html.render(matrix, planned)
    assert f"]({planned[fail.anchor]})" in markdown.render(matrix, planned)


def test_a_meta_test_failure_reproduces_with_plain_python(child_run, tmp_path: Path) -> None:
    run = child_run(
        *suite_args(
            "--pyargs",
            "mpconform.conformance.test_pipes",
            "-k",
            PROPERTY,
            "--mp-backend",
            MUTANT,
            "--mp-start-method",
            "fork",
        )
    )
    assert run.returncode == 1
    (script,) = (run.report_dir / "repro").iterdir()
    assert script.name in (run.report_dir / "report.html").read_text()
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert "recorded FAIL, now FAIL" in out.stdout
    assert "What differs from CPython's multiprocessing" in out.stdout
    assert "case=(" in out.stdout  # the shrunk example is shown

    # The same script against the reference does not "reproduce": it discriminates.
    fixed = tmp_path / "against_stdlib.py"
    text = script.read_text().replace(f"BACKEND = {MUTANT!r}", "BACKEND = 'stdlib'")
    fixed.write_text(text.replace("[send-bytes-offset-ignored-fork]'", "[stdlib-fork]'"))
    out = subprocess.run(
        [sys.executable, str(fixed)], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "recorded FAIL, now PASS" in out.stdout and "not reproduced" in out.stdout


def test_one_per_area_scope_keeps_a_representative_per_area_preferring_plain_code() -> None:
    rows = [
        result("test_no_template", "billiard", "fork", "FAIL", line=1),
        result(
            "test_sys_exit_code_is_exitcode",
            "billiard",
            "fork",
            "FAIL",
            line=2,
            example="Falsifying example: t(\n    code=None,\n)",
        ),
        result("test_other_area", "billiard", "fork", "TIMEOUT", line=3, area="Queues"),
    ]
    doc = document(rows)
    doc["run"]["backends"][0]["modules"] = {"fork": "billiard"}
    matrix = build([doc])
    every = repro.plan(matrix)
    chosen = repro.plan(matrix, "one-per-area")
    assert len(every) == 3
    names = sorted(path.split("/")[-1] for path in chosen.values())
    assert names == [
        "test_other_area-billiard-fork.py",
        "test_sys_exit_code_is_exitcode-billiard-fork.py",  # the plain one, not the first
    ]
