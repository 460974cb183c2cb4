"""The interop table: each backend against CPython in another interpreter, in both roles.

The interop properties are ordinary rows of the matrix (one per property and peer), which
answers "which check failed" but hides the question a user of two backends asks: can my
backend be the client of a CPython program, and its server? So the same cells are shown
again, pivoted: one row per column of the matrix that ran them, and for each peer a pair of
columns, the backend as client and as server. A pair cell is the worst status of the cells it
stands for and links to the evidence of the first one that did not pass; nothing is counted
twice in scores (the matrix rows are what the scores count).
"""

from __future__ import annotations

from dataclasses import dataclass

from mpconform.status import SEVERITY_ORDER, Status

from .matrix import Cell, Column, Matrix

ROLES: tuple[tuple[str, str], ...] = (
    ("client", "as client"),
    ("server", "as server"),
)
# Peer variants (the interop properties' parameter) in the order a reader compares them.
PEER_LABELS: dict[str, str] = {
    "same-python": "CPython, same Python",
    "across-3.12": "CPython across 3.12's handshake change",
}


@dataclass(frozen=True)
class Pair:
    """The cells of one matrix column, one peer and one role."""

    cells: tuple[Cell, ...]

    @property
    def status(self) -> Status:
        if all(cell.conforms for cell in self.cells):
            return Status.PASS
        return min((c.status for c in self.cells), key=SEVERITY_ORDER.index)

    @property
    def passed(self) -> int:
        return sum(cell.conforms for cell in self.cells)

    @property
    def first_exception(self) -> Cell | None:
        """The cell a reader should open: the first of the worst status."""
        return next((c for c in self.cells if c.status is self.status and not c.conforms), None)

    @property
    def peer_name(self) -> str:
        """Who the backend talked to ("CPython 3.12.1 multiprocessing"), as the run recorded."""
        names = ((c.result.peer or {}).get("name") for c in self.cells)
        return next((name for name in names if name), "")

    @property
    def text(self) -> str:
        """``PASS 3/3``: the status and how many of the properties passed."""
        return f"{self.status.value} {self.passed}/{len(self.cells)}"


@dataclass(frozen=True)
class Line:
    column: Column
    pairs: tuple[Pair | None, ...]  # per (peer, role) of Table.headers; None: not run


@dataclass(frozen=True)
class Table:
    peers: tuple[str, ...]  # peer variants, in PEER_LABELS order
    lines: tuple[Line, ...]

    @property
    def headers(self) -> list[tuple[str, str]]:
        return [(peer, role) for peer in self.peers for role, _ in ROLES]


def _role(cell: Cell) -> str | None:
    return (cell.result.peer or {}).get("role")


def _not_attempted(cell: Cell) -> bool:
    """Skipped before reaching a peer (another start method ran these), or in an area the
    backend does not provide (said once per backend elsewhere)."""
    skipped = cell.status is Status.SKIP and not (cell.result.peer or {}).get("name")
    return skipped or cell.outside


def table(matrix: Matrix) -> Table | None:
    """The pivot of every interop cell, or None when no interop property ran anywhere.

    A column whose interop cells were all skipped (they run under one start method per
    backend) or whose backend provides no such area gets no line: its cells say nothing
    about the wire."""
    cells = [c for c in matrix.ordered_cells() if _role(c) is not None]
    if not cells:
        return None
    order = list(PEER_LABELS)
    peers = tuple(
        sorted(
            {c.row.variant for c in cells},
            key=lambda v: (v not in order, order.index(v) if v in order else 0, v),
        )
    )
    lines = []
    for column in matrix.columns:
        mine = [c for c in cells if c.column == column]
        if not mine or all(_not_attempted(c) for c in mine):
            continue
        pairs = []
        for peer in peers:
            for role, _ in ROLES:
                chosen = tuple(c for c in mine if c.row.variant == peer and _role(c) == role)
                pairs.append(Pair(chosen) if chosen else None)
        lines.append(Line(column, tuple(pairs)))
    return Table(peers, tuple(lines)) if lines else None


def peer_label(variant: str) -> str:
    return PEER_LABELS.get(variant, variant)
