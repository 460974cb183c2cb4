"""Expectation files: parsing, matching, and what a run does with them end to end.

The end-to-end cases run the harness self-test file against a backend whose children
segfault, so the "known failure" is real and cheap: a CRASH within a second.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from childrun import CASES, REPO, suite_args
from test_reports import document, result

from mpconform import expectations as ex
from mpconform.errors import ConfigError

SEGFAULT = "mutants.faults:child_segfault"
NODE = "../venv/lib/python3.11/site-packages/mpconform/conformance/test_queues.py::test_x[b-fork]"
FACTS = {"backend": "b", "start_method": "fork", "platform": "linux", "python": "3.11"}


def test_a_line_names_id_outcome_conditions_and_reason() -> None:
    known = ex.parse(
        "# a comment\n\n"
        "test_queues.py::test_x  PASS|TIMEOUT  if start_method=fork python>=3.10  # gh-1 #2\n"
        "test_queues.py::  xfail\n",
        "exp.txt",
    )
    first, second = known.entries
    assert first.outcome == "PASS|TIMEOUT" and first.allowed == ("PASS", "TIMEOUT")
    assert [str(c) for c in first.conditions] == ["start_method=fork", "python>=3.10"]
    assert first.reason == "gh-1 #2" and first.origin == "exp.txt:3"
    assert second.allowed == ex.FAILING and "CRASH" in second.allowed
    assert "PASS" not in second.allowed and "XPASS" not in second.allowed


@pytest.mark.parametrize(
    "entry_id, hit",
    [
        ("test_queues.py::test_x", True),  # a suffix after any "/"
        ("conformance/test_queues.py::", True),  # a prefix: the whole module
        ("test_queues.py::test_x[b-fork]", True),
        ("est_queues.py::test_x", False),  # not at a path boundary
        ("test_queues.py::test_y", False),
    ],
)
def test_ids_match_from_a_path_boundary_as_prefixes(entry_id: str, hit: bool) -> None:
    assert ex.matches(entry_id, NODE) is hit


@pytest.mark.parametrize(
    "condition, holds",
    [
        ("python=3.11", True),
        ("python>=3.10", True),
        ("python<3.11", False),
        ("python>3.9", True),
        ("platform=lin", True),
        ("backend=b", True),
        ("start_method=spawn", False),
    ],
)
def test_conditions_decide_whether_a_line_applies(condition: str, holds: bool) -> None:
    (entry,) = ex.parse(f"test_queues.py:: skip if {condition}").entries
    assert entry.applies(NODE, FACTS) is holds


def test_the_first_matching_line_wins_and_unused_lines_are_reported() -> None:
    known = ex.parse(
        "test_queues.py::test_x  FAIL  if start_method=spawn\n"
        "test_queues.py::test_x  TIMEOUT\n"
        "test_queues.py::  skip\n"
        "test_gone.py::test_renamed  xfail\n",
        "e",
    )
    assert known.find(NODE, FACTS).outcome == "TIMEOUT"
    assert known.unmatched() == ["e:1: test_queues.py::test_x", "e:4: test_gone.py::test_renamed"]


@pytest.mark.parametrize(
    "line, complaint",
    [
        ("test_x", "expected 'TEST-ID OUTCOME"),
        ("test_x FAILED", "unknown outcome 'FAILED'"),
        ("test_x PASS|NOPE", "unknown outcome 'NOPE'"),
        ("test_x skip if os=linux", "bad condition 'os=linux'"),
        ("test_x skip if python=3", "python version must look like 3.12"),
        ("test_x skip if backend>=b", "only python takes '>='"),
    ],
)
def test_a_bad_line_is_one_readable_error_with_its_location(line: str, complaint: str) -> None:
    with pytest.raises(ConfigError) as info:
        ex.parse(f"# header\n{line}\n", "exp.txt")
    assert complaint in str(info.value) and str(info.value).startswith("exp.txt:2: ")
    assert "\n" not in str(info.value)


def test_written_expectations_parse_back_and_split_by_python_only_when_needed() -> None:
    failing = dict(status="FAIL", message="differs\nmore")
    docs = [
        document(
            [
                result("both", "b", "fork", **failing),
                result("only_old", "b", "fork", "TIMEOUT"),
                result("fine", "b", "fork"),
            ],
            python="3.11.4",
        ),
        document([result("both", "b", "fork", **failing), result("only_old", "b", "fork")]),
    ]
    entries = ex.from_results(docs)
    assert [(e.id, e.outcome, [str(c) for c in e.conditions]) for e in entries] == [
        ("test_lifecycle.py::both[b-fork]", "xfail", []),
        ("test_lifecycle.py::only_old[b-fork]", "xfail", ["python=3.11"]),
    ]
    assert entries[0].reason == "FAIL: differs"
    again = ex.parse(ex.render(entries, "generated\nby a test"), "x").entries
    assert [e.line() for e in again] == [e.line() for e in entries]
    exact = ex.from_results(docs, exact=True)
    assert [e.outcome for e in exact] == ["FAIL", "TIMEOUT"]


# -- end to end --------------------------------------------------------------------------------


def _run(child_run: Any, tmp_path: Any, text: str, *extra: str) -> Any:
    path = tmp_path / "expected.txt"
    path.write_text(text)
    args = ("--mp-backend", SEGFAULT, "--mp-start-method", "fork", "--mp-expectations", str(path))
    return child_run(*suite_args(str(CASES), "-k", "child_runs or round_trip", *args, *extra))


def test_an_accepted_crash_keeps_its_status_and_the_run_passes(child_run, tmp_path) -> None:
    run = _run(
        child_run,
        tmp_path,
        "case_harness.py::test_child_runs  CRASH  # segfaults by design\n"
        "case_harness.py::test_renamed_long_ago  xfail\n",
    )
    assert run.returncode == 0, run.stdout[-3000:]
    crashed = run.result("test_child_runs[child-segfault-fork]")
    assert crashed["status"] == "CRASH" and crashed["expected"] == ["CRASH"]
    assert "segfaults by design" in crashed["expectation"]
    assert run.result("test_simple_queue_round_trip[child-segfault-fork]")["status"] == "PASS"
    info = run.doc["run"]["expectations"]
    assert info["unmatched"] == [
        f"{tmp_path / 'expected.txt'}:2: case_harness.py::test_renamed_long_ago"
    ]
    assert "expectation matched no test" in run.stdout
    assert run.leftovers == []


def test_a_known_failure_is_skipped_unless_asked_and_a_pass_is_an_xpass(child_run, tmp_path):
    text = "case_harness.py::test_child_runs  xfail  # gh-1\ncase_harness.py::test_simple  xfail\n"
    run = _run(child_run, tmp_path, text)
    assert run.returncode == 0, run.stdout[-3000:]
    assert set(run.statuses.values()) == {"SKIP"}
    message = run.result("test_child_runs[child-segfault-fork]")["message"]
    assert "known failure, not run" in message and "gh-1" in message

    run = _run(child_run, tmp_path, text, "--mp-run-known-failures")
    assert run.returncode == 1
    assert run.statuses == {
        "test_child_runs[child-segfault-fork]": "CRASH",
        "test_simple_queue_round_trip[child-segfault-fork]": "XPASS",
    }
    assert (
        "unexpected pass"
        in run.result("test_simple_queue_round_trip[child-segfault-fork]")["message"]
    )


def test_update_writes_a_file_that_makes_the_same_run_pass(child_run, tmp_path) -> None:
    first = child_run(
        *suite_args(
            str(CASES), "-k", "child_runs", "--mp-backend", SEGFAULT, "--mp-start-method", "fork"
        )
    )
    assert first.returncode == 1
    written = tmp_path / "written.txt"
    results_path = first.report_dir / "results.json"
    cmd = [sys.executable, "-m", "mpconform.cli", "expectations", "update", str(results_path)]
    out = subprocess.run([*cmd, "-o", str(written)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    lines = [line for line in written.read_text().splitlines() if not line.startswith("#")]
    assert lines == [
        "case_harness.py::test_child_runs[child-segfault-fork]  xfail  # CRASH: "
        + json.loads(results_path.read_text())["results"][0]["message"].splitlines()[0][:160]
    ]
    again = _run(child_run, tmp_path, written.read_text())
    assert again.returncode == 0
    assert again.statuses == {
        "test_child_runs[child-segfault-fork]": "SKIP",
        "test_simple_queue_round_trip[child-segfault-fork]": "PASS",
    }


def test_reports_mark_an_accepted_result_and_show_the_line_that_applied() -> None:
    from mpconform.reports import html, markdown
    from mpconform.reports.matrix import build

    accepted = result("a", "b", "fork", "TIMEOUT", message="hung")
    accepted.update(expected=["PASS", "TIMEOUT"], expectation="PASS|TIMEOUT (e:1): gh-7")
    refused = result("c", "b", "fork", "FAIL", line=20)
    refused.update(expected=["TIMEOUT"], expectation="TIMEOUT (e:2)")
    matrix = build([document([accepted, refused])])
    page = html.render(matrix)
    assert page.count('class="expected"') == 1
    assert "accepted: PASS|TIMEOUT (e:1): gh-7" in page
    assert "applied: TIMEOUT (e:2)" in page
    assert "**Expectation:** accepted: PASS\\|TIMEOUT (e:1): gh-7" in markdown.render(matrix)


def test_run_refuses_a_missing_or_broken_file_before_any_test_starts(tmp_path, capsys) -> None:
    from mpconform import cli

    report = str(tmp_path / "r")
    assert cli.main(["run", "--report", report, "--expectations", str(tmp_path / "no")]) == 2
    assert "does not exist" in capsys.readouterr().err
    broken = tmp_path / "broken.txt"
    broken.write_text("test_x sometimes\n")
    assert cli.main(["run", "--report", report, "--expectations", str(broken)]) == 2
    err = capsys.readouterr().err
    assert f"{broken}:1: unknown outcome 'sometimes'" in err and err.count("\n") == 1


def test_outcome_markers_accept_their_statuses_and_notes_reach_passing_results(child_run):
    case = REPO / "tests" / "cases" / "case_outcome.py"
    run = child_run(*suite_args(str(case), "--mp-start-method", "fork"))
    assert run.statuses == {
        "test_hangs_like_the_reference[stdlib-fork]": "TIMEOUT",
        "test_fails_outright[stdlib-fork]": "FAIL",
        "test_passes_with_a_note[stdlib-fork]": "PASS",
    }
    hang = run.result("test_hangs_like_the_reference[stdlib-fork]")
    assert hang["expected"] == ["PASS", "TIMEOUT"] and "reference hangs" in hang["expectation"]
    assert run.returncode == 1  # only because of the FAIL
    assert run.result("test_passes_with_a_note[stdlib-fork]")["message"] == "raised WorkerLostError"
