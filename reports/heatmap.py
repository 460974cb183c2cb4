"""Area x column: how much of each documented area a column conforms to.

The first thing a reader of a multi-backend report wants is where the trouble is; a grid of
shares (conforming or accepted, over the results that apply) answers it before any row is
read. Same counting rule as the column score (ColumnSummary), restricted to one area.
"""

from __future__ import annotations

from dataclasses import dataclass

from .matrix import Column, Matrix


@dataclass(frozen=True)
class Share:
    conforming: int  # conforms or accepted
    applicable: int  # results minus UNSUPPORTED and SKIP

    @property
    def ratio(self) -> float | None:
        return self.conforming / self.applicable if self.applicable else None


def shares(matrix: Matrix) -> dict[tuple[str, Column], Share]:
    found = {}
    for area, rows in matrix.areas():
        for column in matrix.columns:
            cells = [c for c in (matrix.cell(row, column) for row in rows) if c is not None]
            applicable = [c for c in cells if c.conforms or c.accepted or c.differs]
            conforming = sum(1 for c in applicable if c.conforms or c.accepted)
            found[(area, column)] = Share(conforming, len(applicable))
    return found


# Background colours from "most of it differs" to "all of it conforms", and their text colours.
SCALE: tuple[tuple[str, str], ...] = (
    ("#c62828", "#ffffff"),  # below 50 %
    ("#ef6c00", "#ffffff"),  # 50-80 %
    ("#f9a825", "#1a1a1a"),  # 80-95 %
    ("#9ccc65", "#1a1a1a"),  # 95-100 %
    ("#2e7d32", "#ffffff"),  # 100 %
)
EMPTY = ("#eceff1", "#616161")  # nothing that applies ran


def level(share: Share) -> int | None:
    """The share's step on SCALE; None when nothing that applies ran."""
    ratio = share.ratio
    if ratio is None:
        return None
    if ratio >= 1.0:
        return 4
    for step, bound in enumerate((0.5, 0.8, 0.95)):
        if ratio < bound:
            return step
    return 3


def colour(share: Share) -> tuple[str, str]:
    step = level(share)
    return EMPTY if step is None else SCALE[step]


def css_class(share: Share) -> str:
    """A class per step, so each of hundreds of cells does not carry its own style."""
    step = level(share)
    return "heat-empty" if step is None else f"heat-{step}"


def css() -> str:
    rules = [
        f"td.heat.heat-{step} {{ background: {bg}; color: {fg}; }}"
        for step, (bg, fg) in enumerate(SCALE)
    ]
    rules.append(f"td.heat.heat-empty {{ background: {EMPTY[0]}; color: {EMPTY[1]}; }}")
    return "\n".join(rules) + "\n"
