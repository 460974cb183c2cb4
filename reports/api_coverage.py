"""How much of the documented API the report's properties check, element by element.

An element counts as covered in a report only when a property that declares it (``mp_api``)
has a result in the report: a declared property that did not run (deselected, another shard)
covers nothing here. Elements no property checks are listed with the written reason from
:data:`mpconform.api.REASONS`, or as having none, so a gap is visible instead of silent.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from mpconform import api
from mpconform.status import Status

from .matrix import Cell, Column, Matrix, Row

_PYTHON = re.compile(r"^py(\d+)\.(\d+)")


@dataclass(frozen=True)
class Element:
    """One documented element and the properties of the report that check it."""

    name: str
    section: str
    rows: tuple[Row, ...]
    reason: str  # why no property checks it; "" when one does or nobody wrote why

    @property
    def covered(self) -> bool:
        return bool(self.rows)


@dataclass(frozen=True)
class Coverage:
    """The documentation of one Python version against the properties that ran on it."""

    python: str  # "py3.11"
    elements: tuple[Element, ...]

    @property
    def covered(self) -> int:
        return sum(e.covered for e in self.elements)

    @property
    def explained(self) -> int:
        return sum(not e.covered and bool(e.reason) for e in self.elements)

    @property
    def headline(self) -> str:
        text = f"documented elements covered: {self.covered} of {len(self.elements)}"
        if self.explained:
            text += f" ({self.explained} more not checkable here, with the reason below)"
        return f"{text}, Python {self.python.removeprefix('py')} documentation"


def version_of(python: str) -> tuple[int, int] | None:
    match = _PYTHON.match(python)
    return (int(match.group(1)), int(match.group(2))) if match else None


def coverage(matrix: Matrix) -> list[Coverage]:
    """One :class:`Coverage` per Python version that has columns in the report."""
    found = []
    for python in dict.fromkeys(c.python for c in matrix.columns):
        version = version_of(python)
        if version is None:
            continue
        ran = [
            row
            for row in matrix.rows
            if any(matrix.cell(row, c) is not None for c in matrix.columns if c.python == python)
        ]
        elements = tuple(
            Element(
                name,
                section,
                rows := tuple(r for r in ran if name in r.api),
                "" if rows else api.REASONS.get(name, ""),
            )
            for name, section in api.documented(version).items()
        )
        found.append(Coverage(python, elements))
    return found


@dataclass(frozen=True)
class Checked:
    """A covered element across the report's Pythons: the documentation of two Python versions
    is nearly the same, and one row per element (not one table per Python) halves the section."""

    name: str
    rows: tuple[Row, ...]
    pythons: tuple[str, ...]  # the Pythons whose documentation has it and where it was checked
    exceptions: tuple[tuple[Column, str], ...]


def checked(matrix: Matrix, found: list[Coverage]) -> list[Checked]:
    rows: dict[str, dict[Row, None]] = {}
    pythons: dict[str, list[str]] = {}
    outcomes: dict[str, list[tuple[Column, str]]] = {}
    for coverage_of in found:
        columns = [c for c in matrix.columns if c.python == coverage_of.python]
        for element in coverage_of.elements:
            if not element.covered:
                continue
            rows.setdefault(element.name, {}).update(dict.fromkeys(element.rows))
            pythons.setdefault(element.name, []).append(coverage_of.python)
            outcomes.setdefault(element.name, []).extend(exceptions(matrix, element, columns))
    return [
        Checked(name, tuple(rows[name]), tuple(pythons[name]), tuple(outcomes[name]))
        for name in rows
    ]


def exceptions(matrix: Matrix, element: Element, columns: list[Column]) -> list[tuple[Column, str]]:
    """The columns where the element's properties did not all pass, each with its outcome.
    Most elements pass everywhere: a table of every column would be a wall of "1 PASS" (and
    most of the report's size) in which the few that matter are hard to find."""
    found = []
    for column in columns:
        text = outcome(matrix, element, column)
        if text and any(cell.status is not Status.PASS for cell in _cells(matrix, element, column)):
            found.append((column, text))
    return found


def _cells(matrix: Matrix, element: Element, column: Column) -> list[Cell]:
    """The element's cells in ``column``, leaving out areas the backend does not provide (the
    report says that once per backend)."""
    found = (matrix.cell(row, column) for row in element.rows)
    return [cell for cell in found if cell is not None and not cell.outside]


def outcome(matrix: Matrix, element: Element, column: Column) -> str:
    """What the element's properties did in one column: "3 PASS" or "2 PASS, 1 FAIL"."""
    counts = Counter(cell.status for cell in _cells(matrix, element, column))
    if not counts:
        return ""
    order = sorted(counts, key=lambda s: (s is not Status.PASS, s.value))
    return ", ".join(f"{counts[s]} {s.value}" for s in order)
