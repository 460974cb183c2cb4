"""The stress section: what each workload sustained, per backend and start method.

Throughput is only comparable within one workload (a lock round trip and a 2 MiB queue item
are different units), so there is one table and one bar chart per workload, a bar per column.
A figure is shown next to its verdict: operations per second from a run that violated safety
are not a performance result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from .matrix import Cell, Matrix, Row

# Metric keys with a column of their own, in this order; every other key is listed as text.
MAIN_FIGURES: tuple[tuple[str, str], ...] = (
    ("ops_per_s", "ops/s"),
    ("operations", "operations"),
    ("seconds", "seconds"),
    ("violations", "violations"),
)
BAR_WIDTH = 360
BAR_HEIGHT = 18
LABEL_WIDTH = 210


@dataclass(frozen=True)
class Workload:
    row: Row
    cells: tuple[Cell, ...]  # cells that carry metrics, in column order


def workloads(matrix: Matrix) -> list[Workload]:
    found = []
    for row in matrix.rows:
        cells = tuple(
            cell
            for column in matrix.columns
            if (cell := matrix.cell(row, column)) is not None and cell.metrics
        )
        if cells:
            found.append(Workload(row, cells))
    return found


def metrics(cell: Cell) -> Mapping[str, Any]:
    return cell.metrics


def number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{value:,}"


def other_figures(cell: Cell) -> list[tuple[str, str]]:
    main = {key for key, _ in MAIN_FIGURES}
    return [(k, number(v)) for k, v in sorted(metrics(cell).items()) if k not in main]


def svg_bars(cells: Sequence[Cell], colour_of: Any) -> str:
    """A horizontal bar per column, length proportional to ops/s (linear, from zero)."""
    values = [metrics(c).get("ops_per_s") for c in cells]
    plotted = [
        (c, float(v))
        for c, v in zip(cells, values)
        if isinstance(v, (int, float)) and not isinstance(v, bool)
    ]
    if not plotted:
        return ""
    top = max(v for _, v in plotted) or 1.0
    height = BAR_HEIGHT * len(plotted) + 6
    width = LABEL_WIDTH + BAR_WIDTH + 110
    parts = [
        f'<svg class="bars" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        "<title>operations per second by column</title>",
    ]
    for i, (cell, value) in enumerate(plotted):
        y = 3 + i * BAR_HEIGHT
        length = max(1.0, BAR_WIDTH * value / top)
        label = escape(cell.column.label)
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 13}" text-anchor="end">{label}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{length:.1f}" height="{BAR_HEIGHT - 5}" '
            f'fill="{colour_of(cell)}"><title>{label}: {escape(number(value))} ops/s '
            f"({escape(cell.status.value)})</title></rect>"
            f'<text x="{LABEL_WIDTH + length + 5:.1f}" y="{y + 13}">{escape(number(value))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
