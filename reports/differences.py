"""Where a backend behaves differently from the stdlib it claims to be compatible with.

A backend maintainer reads this list first: it is the short answer to "what would break if
my users switched". The stdlib is only a fair reference on the same Python minor version,
since the stdlib itself changes between versions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matrix imports this module; the names are only needed for annotations
    from mpconform.status import Status

    from .matrix import Cell, Column, Row


@dataclass(frozen=True)
class Difference:
    cell: Cell
    # The stdlib cells it was compared with: the same start method when the stdlib has it,
    # otherwise (a backend-only start method such as "thread") every stdlib start method.
    reference: tuple[Cell, ...]

    @property
    def row(self) -> Row:
        return self.cell.row

    @property
    def column(self) -> Column:
        return self.cell.column

    @property
    def status(self) -> Status:
        return self.cell.status


def compare(
    rows: Sequence[Row],
    columns: Sequence[Column],
    cells: Mapping[tuple[Row, Column], Cell],
) -> dict[Column, tuple[Difference, ...] | None]:
    """Differences per non-stdlib column; None for a column with no stdlib to compare with."""
    out: dict[Column, tuple[Difference, ...] | None] = {}
    for column in columns:
        if column.is_reference:
            continue
        references = _reference_columns(column, columns)
        if not references:
            out[column] = None
            continue
        found = []
        for row in rows:
            cell = cells.get((row, column))
            reference = tuple(cells[(row, r)] for r in references if (row, r) in cells)
            if cell is None or not reference or cell.outside:
                continue  # nothing to compare: a not-run cell is not a behaviour, and an
                # area the backend does not provide is said once for the backend
            if cell.status not in {ref.status for ref in reference}:
                found.append(Difference(cell, reference))
        out[column] = tuple(found)
    return out


def by_area(found: Sequence[Difference]) -> list[tuple[str, list[tuple[Row, list[Difference]]]]]:
    """Differences as a reader scans them: by area, then one entry per feature row listing
    every column where it differs (in the order given, which is matrix order)."""
    areas: dict[str, dict[Row, list[Difference]]] = {}
    for difference in found:
        areas.setdefault(difference.row.area, {}).setdefault(difference.row, []).append(difference)
    return [(area, list(rows.items())) for area, rows in areas.items()]


# A declared missing feature or a skip is not behaviour to compare: such an entry is listed
# apart, one line each, so the behavioural differences are not lost among them.
_MISSING = frozenset({"UNSUPPORTED", "SKIP"})


def only_missing(where: Sequence[Difference]) -> bool:
    """Every differing cell of this feature is UNSUPPORTED or SKIP."""
    return all(d.status.value in _MISSING for d in where)


def gap_summary(where: Sequence[Difference]) -> tuple[str, str]:
    """A declared gap in words: its statuses ("UNSUPPORTED", "UNSUPPORTED/SKIP") and the
    distinct first lines of its reasons, joined; what both renderers' one-line entries say."""
    statuses = "/".join(dict.fromkeys(d.status.value for d in where))
    lines = dict.fromkeys(first_line(d.cell.message) for d in where)
    return statuses, "; ".join(line for line in lines if line)


def first_line(text: str, limit: int = 240) -> str:
    """The message's first line, for lists that link to the whole of it."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def unreferenced_pythons(columns: Sequence[Column]) -> tuple[str, ...]:
    """Pythons that have backend columns but no stdlib column in the merge."""
    with_reference = {c.python for c in columns if c.is_reference}
    missing: list[str] = []
    for column in columns:
        if column.python not in with_reference and column.python not in missing:
            missing.append(column.python)
    return tuple(missing)


def _reference_columns(column: Column, columns: Sequence[Column]) -> list[Column]:
    same_python = [c for c in columns if c.is_reference and c.python == column.python]
    same_method = [c for c in same_python if c.start_method == column.start_method]
    return same_method or same_python
