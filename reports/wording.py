"""The sentences both reports share, so the Markdown and HTML versions explain things alike.

Everything here is plain text; each renderer escapes it for its own format.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mpconform.status import SEVERITY_ORDER, Status

from .matrix import Cell, Column, ColumnSummary, Matrix, Source

TITLE = "mpconform compatibility report"
NOT_RUN = "—"
NOT_RUN_MEANING = "not run: this feature has no result for this column (never a pass)"
NOT_PROVIDED = "n/a"
NOT_PROVIDED_MEANING = (
    "UNSUPPORTED without running: the backend provides no such area at all (a Pool-only "
    "backend); said once per backend under Differences from stdlib"
)
BASIS_MARKER = "†"
BASIS_MEANING = (
    "the multiprocessing documentation is silent on this behaviour; "
    "CPython's behaviour is taken as the specification"
)
SCORE_RULE = (
    "score = (conforming + accepted) / (results - UNSUPPORTED - SKIP). Conforming: the "
    "property held (PASS, or XPASS). Accepted: a known failure (XFAIL) or an outcome that an "
    "outcome marker (CPython itself ends that way) or the expectation file accepts, shown with "
    "its reason. A declared missing feature (UNSUPPORTED) and a SKIP do not count; not-run "
    "cells are left out"
)
HEATMAP_NOTE = (
    "Share of each area's results that conform or are accepted, per column (results that "
    "apply: UNSUPPORTED and SKIP left out). A cell opens that area of the matrix filtered to "
    "its column."
)
NO_TESTS = "No tests ran: the results contain no test outcomes, so there is no matrix to show."
NO_REFERENCE = (
    "Unavailable: the merged results contain no stdlib run, so there is nothing to compare with. "
    "Merge a stdlib results document to get this view."
)
DIFFERENCES_INTRO = (
    "Cells whose status differs from the stdlib on the same Python version: the same start "
    "method when the stdlib has it, otherwise any stdlib start method."
)
API_COVERAGE_INTRO = (
    "Each documented element of multiprocessing (every class, function, method, attribute "
    "and exception of the library reference, and each documented parameter, written "
    "name(parameter)), the properties of this report that check what the documentation "
    "promises for it, and the columns where those properties did not all pass."
)
API_OUTCOMES = "columns where not all passed"
API_ALL_PASS = "all passed in every column"


def api_gaps(python: str) -> str:
    version = python.removeprefix("py")
    return f"Documented elements of Python {version} no property of this report checks:"


def only_in(pythons: Sequence[str], everywhere: int) -> str:
    """ " (py3.12 only)" for an element not in every merged Python's documentation."""
    if len(pythons) >= everywhere:
        return ""
    return f" ({', '.join(pythons)} only)"


def api_exceptions(found: Sequence[tuple[Column, str]]) -> str:
    if not found:
        return API_ALL_PASS
    return "; ".join(f"{column.label}: {text}" for column, text in found)


ONLY_REFERENCE = "Only stdlib columns were merged: there is no other backend to compare."
MISSING_INTRO = "Not supported or skipped here, where the stdlib runs it:"
NO_DIFFERENCES = "No differences: every compared cell has the same status as the stdlib."

STATUS_MEANINGS: Mapping[Status, str] = {
    Status.PASS: "the property held",
    Status.FAIL: "the property was violated (see the falsifying example)",
    Status.ERROR: "the test could not set up or tear down properly",
    Status.TIMEOUT: "a bounded wait ran out: the backend hung or was too slow",
    Status.CRASH: "a process died from a signal nobody sent",
    Status.LEAK: "processes or semaphores outlived the test",
    Status.UNSUPPORTED: "the backend declares the feature missing",
    Status.SKIP: "skipped for a reason other than a missing feature",
    Status.XFAIL: "failed as expected (a known, recorded failure)",
    Status.XPASS: "passed although a failure was expected",
}

STATUSES: tuple[Status, ...] = SEVERITY_ORDER


def overview_facts(matrix: Matrix) -> list[tuple[str, str]]:
    """The few facts both reports open with, labelled once so the two never disagree."""
    backends = ", ".join(
        f"{b.name} {b.version or '(version unknown)'}"
        + (f" on {b.python}" if matrix.multi_python else "")
        for b in matrix.backends
    )
    return [
        ("Backends", backends or "none"),
        ("Python", python_versions(matrix)),
        ("Hypothesis profile", profiles(matrix)),
        ("Date", dates(matrix)),
        ("Runs merged", str(len(matrix.sources))),
    ]


def score(summary: ColumnSummary) -> str:
    if summary.score is None:
        return "n/a"
    # Rounded down: 209 of 210 must not read "100%".
    percent = math.floor(summary.score * 100)
    return f"{percent}% ({summary.conforming}/{summary.applicable})"


# How the headline names what counts against a column, most alarming first.
_FAILING_WORDS: tuple[tuple[tuple[Status, ...], str, str], ...] = (
    ((Status.CRASH,), "crashes", "crash"),
    ((Status.TIMEOUT,), "hangs", "hang"),
    ((Status.FAIL, Status.ERROR, Status.LEAK), "differs", "differ"),
)


def headline(label: str, summary: ColumnSummary) -> str:
    """One line a reader can stop at: 'billiard-fork py3.11: 175 of 207 conform, 31 differ'."""
    if not summary.applicable:
        return f"{label}: nothing that applies ran"
    text = f"{label}: {summary.conforming} of {summary.applicable} conform"
    if summary.accepted:
        text += f" ({summary.accepted} as accepted outcomes)"
    for statuses, one, many in _FAILING_WORDS:
        count = sum(summary.failing.get(s, 0) for s in statuses)
        if count:
            text += f", {count} {one if count == 1 else many}"
    stale = summary.counts.get(Status.XPASS, 0)
    if stale:
        text += f", {stale} passed against a stale expectation (XPASS)"
    left_out = [
        f"{summary.counts[s]} {s.value.lower()}"
        for s in (Status.UNSUPPORTED, Status.SKIP)
        if summary.counts.get(s)
    ]
    if left_out:
        text += f"; {' and '.join(left_out)} not counted"
    return text


def status_list(cells: Iterable[Cell]) -> str:
    """'PASS' or 'PASS (fork), FAIL (spawn)' for the stdlib cells a difference refers to."""
    cells = list(cells)
    if len({c.status for c in cells}) == 1:
        return cells[0].status.value
    return ", ".join(f"{c.status.value} ({c.column.start_method})" for c in cells)


def run_facts(source: Source) -> list[tuple[str, str]]:
    """Label/value pairs describing one run, in reading order."""
    run = source.run
    python = run.python or {}
    plat = run.platform or {}
    hyp = run.hypothesis or {}
    facts = [
        ("started", run.started or "unknown"),
        ("finished", run.finished or "unknown"),
        ("duration", f"{float(run.duration or 0):.1f}s"),
        ("mpconform", run.mpconform_version or "unknown"),
        ("python", _join(python.get("implementation"), python.get("version"))),
        ("platform", _join(plat.get("system"), plat.get("release"), plat.get("machine"))),
        ("hypothesis", _join(hyp.get("version"), f"profile {hyp.get('profile') or '?'}")),
        ("seed", _seed(hyp)),
        ("workers", str(run.workers or "serial")),
        ("exit status", str(run.exitstatus)),
        ("results", str(source.result_count)),
    ]
    if run.pytest_args:
        facts.append(("pytest args", " ".join(str(a) for a in run.pytest_args)))
    return facts


def run_warnings(source: Source) -> list[str]:
    """What makes a run's results incomplete or suspect; a report must not bury these."""
    run = source.run
    warnings = []
    if run.interrupted:
        warnings.append(f"{source.name} was interrupted: its results are incomplete.")
    if run.shared_interpreter:
        warnings.append(
            f"{source.name}: {', '.join(run.shared_interpreter)} ran in one interpreter, where "
            "backends share module state (billiard's fork children, for one, join the stdlib's "
            "children at exit and end with exit code 1): a difference may come from their "
            "meeting. `mpconform run` gives each backend interpreters of its own."
        )
    leftovers = run.leftovers or []
    if leftovers:
        warnings.append(
            f"{source.name} left processes behind at session end (killed): " + "; ".join(leftovers)
        )
    return warnings


def missing_capabilities(missing: Mapping[str, Mapping[str, str]]) -> list[str]:
    """'Process.kill (reason): fork, spawn' lines, one per capability and reason, naming the
    start methods that lack it (all of them is the usual case, said once instead of thrice);
    start methods missing nothing are left out."""
    methods: dict[tuple[str, str], list[str]] = {}
    for method, caps in missing.items():
        for capability, reason in caps.items():
            methods.setdefault((capability, reason), []).append(method)
    lines = []
    for (capability, reason), where in methods.items():
        because = f" ({reason})" if reason else ""
        lines.append(f"{capability}{because}: {', '.join(where)}")
    return lines


def python_versions(matrix: Matrix) -> str:
    versions = []
    for source in matrix.sources:
        python = source.run.python or {}
        text = _join(python.get("implementation"), python.get("version")) or "unknown"
        if text not in versions:
            versions.append(text)
    return ", ".join(versions) or "unknown"


def profiles(matrix: Matrix) -> str:
    seen = []
    for source in matrix.sources:
        hyp = source.run.hypothesis or {}
        text = f"{hyp.get('profile') or '?'} ({_seed(hyp)})"
        if text not in seen:
            seen.append(text)
    return ", ".join(seen) or "unknown"


def dates(matrix: Matrix) -> str:
    started = sorted(s.run.started for s in matrix.sources if s.run.started)
    if not started:
        return "unknown"
    return started[0] if started[0] == started[-1] else f"{started[0]} to {started[-1]}"


def differences_note(matrix: Matrix) -> tuple[str, bool]:
    """A note on the differences view (or ''), and whether there is a comparison to show."""
    if not matrix.reference_available:
        return NO_REFERENCE, False
    if all(column.is_reference for column in matrix.columns):
        return ONLY_REFERENCE, False
    if matrix.unreferenced_pythons:
        missing = ", ".join(matrix.unreferenced_pythons)
        return f"No stdlib results for {missing}: columns on that Python are not compared.", True
    return "", True


def _seed(hyp: Mapping[str, Any]) -> str:
    if hyp.get("seed") is not None:
        return f"seed {hyp['seed']}"
    return "derandomized" if hyp.get("derandomize") else "random seed"


def _join(*parts: Any) -> str:
    return " ".join(str(p) for p in parts if p)


STRESS_NOTE = (
    "Throughput of each stress workload per column, over the run's time budget. Figures are "
    "comparable within a workload and a machine, not across them, and a figure from a run "
    "that did not pass is no performance result."
)
INTEROP_NOTE = (
    "Each backend against CPython's multiprocessing in another interpreter: as client, the "
    "backend's Client and BaseManager connect to the peer's Listener and manager; as server, "
    "the peer connects to the backend's. A cell is the worst status of its properties and "
    "how many of them passed; the peer is named on hover. The same cells are the rows of the "
    "matrix's interop area, which is what the scores count."
)
STRESS_BARS_NOTE = "Bars of runs that did not pass take their status colour instead of blue."
EVIDENCE_NOTE = (
    "Every result that is more than a plain PASS, per feature. Columns where a feature ended "
    "the same way (same status, message and example) share one entry; each column keeps its "
    "own line with its duration, test id and repro script. Tracebacks are in the results files."
)


def not_provided(matrix: Matrix) -> list[str]:
    """One line per backend that provides only some areas: which, and how many properties of
    the others read UNSUPPORTED without running (the matrix shows those cells as n/a)."""
    lines = []
    for backend in matrix.backends:
        if not backend.areas:
            continue
        outside = [
            cell
            for cell in matrix.ordered_cells()
            if cell.outside
            and cell.column.backend == backend.name
            and cell.column.python == backend.python
        ]
        if not outside:
            continue
        where = sorted({c.column.label for c in outside})
        rows = len({c.row for c in outside})
        lines.append(
            f"{backend.name} ({backend.python}) provides only {', '.join(backend.areas)}: the "
            f"{rows} properties of its other areas read UNSUPPORTED without running, shown as "
            f"{NOT_PROVIDED} under {', '.join(where)}"
        )
    return lines
