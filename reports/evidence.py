"""The evidence of a report: per feature, the outcomes that are more than a plain PASS, each
told once for every column where it happened the same way.

A backend usually differs the same way under all its start methods and on every Python: told
per cell, one billiard difference was six identical sections (the example report's evidence was
two thirds of its size, most of it repeated). Cells are grouped when their status, message,
falsifying example and acceptance are equal; what is a cell's own (column, duration, node id,
traceback, repro script, results file) stays with the cell, and each cell keeps its anchor, so
every matrix link still lands on its own line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from mpconform.status import Status

from . import differences, wording
from .matrix import Cell, Matrix, Row

TOOLTIP_LIMIT = 200


def has_evidence(cell: Cell) -> bool:
    """A plain PASS has nothing to show beyond its cell, nor has a property of an area the
    backend does not provide (one line per backend says why); everything else has evidence."""
    if cell.outside:
        return False
    return cell.status is not Status.PASS or bool(cell.message or cell.falsifying_example)


def accepted_reason(cell: Cell) -> str:
    """Why a non-conforming outcome is accepted: the expectation file's line, else the outcome
    marker's message (what CPython itself does), else the XFAIL meaning."""
    if cell.expectation:
        return cell.expectation
    line = differences.first_line(cell.message, TOOLTIP_LIMIT)
    if line:
        return line
    return wording.STATUS_MEANINGS.get(cell.status, "accepted")


def acceptance(cell: Cell) -> tuple[str, str]:
    """What the report says about a cell being accepted, as (label, text); empty when it is not.
    An expectation-file line that matched a conforming result is "applied", not accepted."""
    if cell.expectation:
        return ("expectation", f"{'accepted' if cell.expected else 'applied'}: {cell.expectation}")
    if cell.accepted:
        return ("accepted", accepted_reason(cell))
    return ("", "")


@dataclass(frozen=True)
class Outcome:
    """Cells of one feature that ended the same way."""

    status: Status
    message: str  # without the falsifying example it quoted
    example: str | None
    acceptance: tuple[str, str]
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Feature:
    row: Row
    outcomes: tuple[Outcome, ...]

    @property
    def anchor(self) -> str:
        return f"feature-{self.row.name}"


def features(matrix: Matrix) -> list[Feature]:
    """Features with evidence in report order; outcomes in the order of their first cell."""
    by_row: dict[Row, dict[tuple[object, ...], list[Cell]]] = {}
    for cell in matrix.ordered_cells():
        if not has_evidence(cell):
            continue
        key = (cell.status, cell.message, cell.falsifying_example, acceptance(cell))
        by_row.setdefault(cell.row, {}).setdefault(key, []).append(cell)
    return [
        Feature(row, tuple(_outcome(cells) for cells in groups.values()))
        for row, groups in by_row.items()
    ]


def _outcome(cells: list[Cell]) -> Outcome:
    first = cells[0]
    message, example = first.message, first.falsifying_example
    if example:
        message = without_example(message, example)
    return Outcome(first.status, message, example, acceptance(first), tuple(cells))


def without_example(message: str, example: str) -> str:
    """The message without the falsifying example it ends with (Hypothesis appends it, and a
    long message is cut in the middle of it): the example is shown whole on its own."""
    head = example.strip()[:20]  # Hypothesis's "Falsifying example: " or "Failing test case"
    at = message.find(head)
    if at < 0:
        return message
    quoted = message[at:].rstrip()
    if quoted.endswith("..."):
        quoted = quoted[:-3]
    if example.strip().startswith(quoted) or quoted.startswith(example.strip()):
        return message[:at].rstrip()
    return message


# A declared missing feature or a skip says why in its message; its traceback adds nothing.
_NO_DETAILS = frozenset({Status.UNSUPPORTED, Status.SKIP})


def shows_details(cell: Cell) -> bool:
    return bool(cell.details) and cell.status not in _NO_DETAILS


def test_name(cell: Cell) -> str:
    """The test file and function, without the directories before the file (they say where the
    suite was installed on the machine that ran it, not which test) or the parameters."""
    path, sep, rest = cell.nodeid.partition("::")
    return f"{os.path.basename(path)}{sep}{rest.partition('[')[0]}" if sep else cell.nodeid


def parameters(cell: Cell) -> str:
    """The test's own parameters beyond its column ("[same-python]"), which tell one cell of
    a parametrized feature from the others; "" when the column says it all."""
    return f"[{cell.row.variant}]" if cell.row.variant else ""


def sources(cells: Iterable[Cell]) -> list[str]:
    """The results files the cells came from, each once."""
    return list(dict.fromkeys(c.source for c in cells if c.source))
