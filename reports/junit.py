"""junit.xml: the results in the format every CI system already displays.

One ``<testsuite>`` per column of the matrix (backend, start method, Python), so a CI test
tab groups verdicts the way the report does. JUnit knows only passed, failed, errored and
skipped; the mpconform status is kept in each test case's ``<properties>`` and at the start
of the message, so UNSUPPORTED and SKIP, or TIMEOUT and FAIL, stay distinguishable there too.
XFAIL is a skip (the failure was expected), XPASS a failure (an expectation is stale).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping

from mpconform.status import Status

from .matrix import Cell, Column, Matrix

FAILED = frozenset({Status.FAIL, Status.TIMEOUT, Status.CRASH, Status.XPASS})
ERRORED = frozenset({Status.ERROR, Status.LEAK})
SKIPPED = frozenset({Status.UNSUPPORTED, Status.SKIP, Status.XFAIL})
# XML 1.0 cannot carry most control characters at all, not even as references.
_XML_INVALID = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))


def render(matrix: Matrix, repro: Mapping[str, str] | None = None) -> str:
    root = ET.Element("testsuites", name="mpconform")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "time": 0.0}
    for column in matrix.columns:
        cells = [c for c in matrix.ordered_cells() if c.column == column]
        suite = _suite(column, cells)
        root.append(suite)
        for key in ("tests", "failures", "errors", "skipped"):
            totals[key] += int(suite.get(key, "0"))
        totals["time"] += float(suite.get("time", "0"))
    for key, value in totals.items():
        root.set(key, f"{value:.3f}" if key == "time" else str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def suite_name(column: Column) -> str:
    return f"{column.backend}-{column.start_method}-{column.python}"


def _suite(column: Column, cells: Iterable[Cell]) -> ET.Element:
    suite = ET.Element("testsuite", name=suite_name(column))
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    elapsed = 0.0
    for cell in cells:
        suite.append(_case(column, cell))
        counts["tests"] += 1
        elapsed += cell.duration
        status = cell.status
        if status in FAILED:
            counts["failures"] += 1
        elif status in ERRORED:
            counts["errors"] += 1
        elif status in SKIPPED:
            counts["skipped"] += 1
    for key, value in counts.items():
        suite.set(key, str(value))
    suite.set("time", f"{elapsed:.3f}")
    return suite


def _case(column: Column, cell: Cell) -> ET.Element:
    row = cell.row
    module = row.module or "mpconform"
    case = ET.Element(
        "testcase",
        classname=f"{module}.{suite_name(column)}",
        name=row.name,
        time=f"{cell.duration:.3f}",
    )
    props = ET.SubElement(case, "properties")
    for name, value in (
        ("mpconform.status", cell.status.value),
        ("mpconform.area", row.area),
        ("mpconform.nodeid", cell.nodeid),
        ("mpconform.basis", row.basis),
    ):
        ET.SubElement(props, "property", name=name, value=_clean(value))
    status = cell.status
    message = _clean(f"{status.value}: {cell.message}" if cell.message else status.value)
    if status in FAILED or status in ERRORED:
        tag = "failure" if status in FAILED else "error"
        outcome = ET.SubElement(case, tag, message=message, type=status.value)
        body = [cell.details or cell.message]
        if cell.falsifying_example:
            body.append(f"Falsifying example:\n{cell.falsifying_example}")
        outcome.text = _clean("\n\n".join(b for b in body if b))
    elif status in SKIPPED:
        ET.SubElement(case, "skipped", message=message, type=status.value)
    return case


def _clean(text: object) -> str:
    return str(text).translate(_XML_INVALID)
