"""report.html: the matrix as one self-contained page, colour-coded, every verdict linked to
the evidence behind it.

One file with inline CSS and no scripts or network references, so it can be attached to a
CI run or an issue and still open years later, offline. Every piece of text that came from a
results document is escaped: messages and tracebacks are written by the code under test.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from pathlib import Path
from typing import Any

from mpconform.status import Status

from . import api_coverage, palette, stress_section, wording
from .matrix import Cell, Matrix, Row

_STYLE = Path(__file__).with_name("style.css")
_TOOLTIP_LIMIT = 300


def render(matrix: Matrix, repro: Mapping[str, str] | None = None) -> str:
    """``repro`` maps evidence anchors to repro scripts (paths relative to the page)."""
    parts = [
        _head(),
        f"<h1>{_e(wording.TITLE)}</h1>",
        _overview(matrix),
        _warnings(matrix),
        _legend(),
    ]
    if matrix.rows:
        parts += [
            _summary(matrix),
            _grid(matrix),
            _differences(matrix),
            _api_coverage(matrix),
            _stress(matrix),
            _evidence(matrix, repro or {}),
        ]
    else:
        parts.append(f'<p class="note" id="no-tests">{_e(wording.NO_TESTS)}</p>')
        if matrix.columns:
            parts.append(_summary(matrix))
    parts += [_runs(matrix), "</body>\n</html>\n"]
    return "\n".join(p for p in parts if p)


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _head() -> str:
    css = _STYLE.read_text(encoding="utf-8") + palette.css()
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(wording.TITLE)}</title>\n<style>\n{css}</style>\n</head>\n<body>"
    )


def _overview(matrix: Matrix) -> str:
    return _facts(((k.lower(), v) for k, v in wording.overview_facts(matrix)), "overview")


def _facts(facts: Iterable[tuple[str, str]], css: str = "") -> str:
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    classes = f"facts {css}".strip()
    return f'<dl class="{classes}">{items}</dl>'


def _warnings(matrix: Matrix) -> str:
    lines = [w for source in matrix.sources for w in wording.run_warnings(source)]
    return "\n".join(f'<p class="warning">{_e(line)}</p>' for line in lines)


def _swatch(status: Status) -> str:
    return f'<span class="swatch {palette.css_class(status)}">{_e(status.value)}</span>'


def _legend() -> str:
    items = [
        f"<li>{_swatch(status)} {_e(wording.STATUS_MEANINGS[status])}</li>"
        for status in wording.STATUSES
    ]
    items.append(
        f'<li><span class="swatch {palette.NOT_RUN_CLASS}">{_e(wording.NOT_RUN)}</span> '
        f"{_e(wording.NOT_RUN_MEANING)}</li>"
    )
    items.append(
        f'<li><span class="marker">{_e(wording.BASIS_MARKER)}</span> '
        f"{_e(wording.BASIS_MEANING)}</li>"
    )
    return f'<section id="legend">\n<h2>Legend</h2>\n<ul>\n{"".join(items)}\n</ul>\n</section>'


def _summary(matrix: Matrix) -> str:
    head = "".join(f"<th>{_swatch(s)}</th>" for s in wording.STATUSES)
    body = []
    for column in matrix.columns:
        summary = matrix.summaries[column]
        counts = "".join(f"<td>{summary.counts.get(s, 0)}</td>" for s in wording.STATUSES)
        if column.is_reference:
            diffs = "reference"
        elif summary.differences is None:
            diffs = "n/a"
        else:
            diffs = str(len(summary.differences))
        body.append(
            f'<tr><th scope="row">{_e(column.label)}</th>'
            f"<td>{_e(wording.score(summary))}</td>{counts}"
            f"<td>{summary.not_run}</td><td>{_e(diffs)}</td></tr>"
        )
    return (
        '<section id="summary">\n<h2>Summary</h2>\n'
        f'<p class="note">{_e(wording.SCORE_RULE)}</p>\n'
        f"<table>\n<thead><tr><th>column</th><th>score</th>{head}"
        f"<th>not run</th><th>differences from stdlib</th></tr></thead>\n"
        f"<tbody>\n{chr(10).join(body)}\n</tbody>\n</table>\n</section>"
    )


def _feature(row: Row) -> str:
    marker = (
        f' <span class="marker" title="{_e(wording.BASIS_MEANING)}">'
        f"{_e(wording.BASIS_MARKER)}</span>"
        if row.cpython_basis
        else ""
    )
    title = f'<div class="title">{_e(row.title)}</div>' if row.title else ""
    return f'<th scope="row" class="feature"><code>{_e(row.name)}</code>{marker}{title}</th>'


def _tooltip(cell: Cell) -> str:
    if not cell.message:
        return f"{cell.status.value} in {cell.duration:.3f}s"
    text = f"{cell.status.value}: {' '.join(cell.message.split())}"
    if cell.expected:
        text = f"(expected) {text}"
    return text if len(text) <= _TOOLTIP_LIMIT else text[: _TOOLTIP_LIMIT - 3] + "..."


def _cell(cell: Cell) -> str:
    return (
        f'<td class="cell {palette.css_class(cell.status)}">'
        f'<a href="#{cell.anchor}" title="{_e(_tooltip(cell))}">{_e(cell.status.value)}</a>'
        f"{_EXPECTED_MARK if cell.expected else ''}</td>"
    )


_EXPECTED_MARK = ' <span class="expected" title="accepted by the expectation file">(exp)</span>'


def _not_run() -> str:
    return (
        f'<td class="cell {palette.NOT_RUN_CLASS}" '
        f'title="{_e(wording.NOT_RUN_MEANING)}">{_e(wording.NOT_RUN)}</td>'
    )


def _grid(matrix: Matrix) -> str:
    head = "".join(f'<th scope="col" class="column">{_e(c.label)}</th>' for c in matrix.columns)
    width = len(matrix.columns) + 1
    body = []
    for area, rows in matrix.areas():
        body.append(f'<tr class="area"><th colspan="{width}">{_e(area)}</th></tr>')
        for row in rows:
            cells = "".join(
                _cell(cell) if cell is not None else _not_run()
                for cell in (matrix.cell(row, c) for c in matrix.columns)
            )
            body.append(f"<tr>{_feature(row)}{cells}</tr>")
    scores = "".join(f"<td>{_e(wording.score(matrix.summaries[c]))}</td>" for c in matrix.columns)
    return (
        '<section id="matrix">\n<h2>Matrix</h2>\n<table class="matrix">\n'
        f"<thead><tr><th>feature</th>{head}</tr></thead>\n"
        f"<tbody>\n{chr(10).join(body)}\n</tbody>\n"
        f'<tfoot><tr><th scope="row">score</th>{scores}</tr></tfoot>\n</table>\n</section>'
    )


def _link(cell: Cell, text: str) -> str:
    return f'<a href="#{cell.anchor}" title="{_e(_tooltip(cell))}">{_e(text)}</a>'


def _differences(matrix: Matrix) -> str:
    parts = ['<section id="differences">', "<h2>Differences from stdlib</h2>"]
    note, comparable = wording.differences_note(matrix)
    if note:
        parts.append(f'<p class="note">{_e(note)}</p>')
    if comparable:
        parts.append(f'<p class="note">{_e(wording.DIFFERENCES_INTRO)}</p>')
        found = matrix.differences
        if not found:
            parts.append(f"<p>{_e(wording.NO_DIFFERENCES)}</p>")
        else:
            body = []
            for diff in found:
                reference = ", ".join(
                    _link(ref, f"{ref.status.value} ({ref.column.start_method})")
                    for ref in diff.reference
                )
                body.append(
                    f"<tr>{_feature(diff.row)}<td>{_e(diff.column.label)}</td>"
                    f"{_cell(diff.cell)}<td>{reference}</td>"
                    f"<td>{_e(diff.cell.message)}</td></tr>"
                )
            parts.append(
                "<table>\n<thead><tr><th>feature</th><th>column</th><th>status</th>"
                "<th>stdlib</th><th>message</th></tr></thead>\n"
                f"<tbody>\n{chr(10).join(body)}\n</tbody>\n</table>"
            )
    parts.append("</section>")
    return "\n".join(parts)


def _api_coverage(matrix: Matrix) -> str:
    parts = ['<section id="api-coverage">', "<h2>API coverage</h2>"]
    parts.append(f'<p class="note">{_e(wording.API_COVERAGE_INTRO)}</p>')
    for found in api_coverage.coverage(matrix):
        columns = [c for c in matrix.columns if c.python == found.python]
        parts.append(f'<p class="headline"><strong>{_e(found.headline)}</strong></p>')
        head = "".join(f'<th scope="col">{_e(c.label)}</th>' for c in columns)
        body = []
        for element in found.elements:
            if not element.covered:
                continue
            features = ", ".join(dict.fromkeys(r.feature for r in element.rows))
            outcomes = "".join(
                f"<td>{_e(api_coverage.outcome(matrix, element, c))}</td>" for c in columns
            )
            body.append(
                f'<tr><th scope="row"><code>{_e(element.name)}</code></th>'
                f"<td>{_e(features)}</td>{outcomes}</tr>"
            )
        parts.append(
            '<table class="api">\n<thead><tr><th>element</th><th>properties</th>'
            f"{head}</tr></thead>\n<tbody>\n{chr(10).join(body)}\n</tbody>\n</table>"
        )
        gaps = [
            f'<tr><th scope="row"><code>{_e(e.name)}</code></th><td>{_e(e.section)}</td>'
            f"<td>{_e(e.reason or 'none yet')}</td></tr>"
            for e in found.elements
            if not e.covered
        ]
        if gaps:
            parts.append(f"<p>{_e(wording.API_GAPS)}</p>")
            parts.append(
                '<table class="api-gaps">\n<thead><tr><th>element</th><th>section</th>'
                f"<th>why no property</th></tr></thead>\n<tbody>\n{chr(10).join(gaps)}"
                "\n</tbody>\n</table>"
            )
    parts.append("</section>")
    return "\n".join(parts)


def _evidence_item(cell: Cell, script: str | None) -> str:
    facts = [
        ("feature", cell.row.name),
        ("title", cell.row.title),
        ("area", cell.row.area),
        ("column", cell.column.label),
        ("duration", f"{cell.duration:.3f}s"),
        ("nodeid", cell.nodeid),
        ("source", cell.source),
    ]
    if cell.expectation:
        accepted = "accepted" if cell.expected else "applied"
        facts.append(("expectation", f"{accepted}: {cell.expectation}"))
    if script:
        facts.append(("repro script", f"python {script}"))
    if cell.row.cpython_basis:
        facts.append(("basis", f"{wording.BASIS_MARKER} {wording.BASIS_MEANING}"))
    parts = [
        f'<article class="evidence" id="{cell.anchor}">',
        f"<h3>{_swatch(cell.status)} <code>{_e(cell.row.name)}</code> under "
        f"{_e(cell.column.label)}</h3>",
        _facts((k, v) for k, v in facts if v),
    ]
    if cell.message:
        parts.append(f'<h4>message</h4>\n<pre class="message">{_e(cell.message)}</pre>')
    if cell.falsifying_example:
        parts.append(
            f'<h4>falsifying example</h4>\n<pre class="example">{_e(cell.falsifying_example)}</pre>'
        )
    if cell.details:
        parts.append(
            f"<details><summary>details</summary>\n<pre>{_e(cell.details)}</pre>\n</details>"
        )
    parts.append("</article>")
    return "\n".join(parts)


def _evidence(matrix: Matrix, repro: Mapping[str, str]) -> str:
    items = "\n".join(
        _evidence_item(cell, repro.get(cell.anchor)) for cell in matrix.ordered_cells()
    )
    return f'<section id="evidence">\n<h2>Evidence</h2>\n{items}\n</section>'


def _stress(matrix: Matrix) -> str:
    found = stress_section.workloads(matrix)
    if not found:
        return ""
    figures = "".join(f"<th>{_e(label)}</th>" for _, label in stress_section.MAIN_FIGURES)
    blocks = []
    for workload in found:
        rows = []
        for cell in workload.cells:
            values = stress_section.metrics(cell)
            main = "".join(
                f'<td class="num">{_e(stress_section.number(values[key]))}</td>'
                if key in values
                else "<td></td>"
                for key, _ in stress_section.MAIN_FIGURES
            )
            rest = "; ".join(f"{k}={v}" for k, v in stress_section.other_figures(cell))
            rows.append(
                f"<tr><td>{_e(cell.column.label)}</td>"
                f'<td class="cell {palette.css_class(cell.status)}">'
                f"{_link(cell, cell.status.value)}</td>{main}<td>{_e(rest)}</td></tr>"
            )
        chart = stress_section.svg_bars(workload.cells, _bar_colour)
        blocks.append(
            f"<h3><code>{_e(workload.row.name)}</code></h3>\n"
            f'<div class="title">{_e(workload.row.title)}</div>\n'
            f"{chart}\n<table>\n<thead><tr><th>column</th><th>status</th>{figures}"
            f"<th>other figures</th></tr></thead>\n<tbody>\n{chr(10).join(rows)}\n"
            "</tbody>\n</table>"
        )
    return (
        '<section id="stress">\n<h2>Stress</h2>\n'
        f'<p class="note">{_e(wording.STRESS_NOTE)} {_e(wording.STRESS_BARS_NOTE)}</p>\n'
        + "\n".join(blocks)
        + "\n</section>"
    )


def _bar_colour(cell: Cell) -> str:
    """Bars of results that did not pass take their status colour: not a performance figure."""
    if cell.status is Status.PASS:
        return "#4a7ab5"
    return palette.COLOURS[cell.status][0]


def _runs(matrix: Matrix) -> str:
    parts = ['<section id="runs">', "<h2>Runs</h2>"]
    if matrix.backends:
        body = []
        for backend in matrix.backends:
            missing = wording.missing_capabilities(backend.missing_capabilities)
            body.append(
                f'<tr><th scope="row">{_e(backend.name)}</th><td>{_e(backend.python)}</td>'
                f"<td>{_e(backend.version)}</td><td>{_e(', '.join(backend.start_methods))}</td>"
                f"<td>{'<br>'.join(_e(m) for m in missing) or 'none'}</td>"
                f"<td>{_e(backend.description)}</td></tr>"
            )
        parts.append(
            "<table>\n<thead><tr><th>backend</th><th>python</th><th>version</th>"
            "<th>start methods</th><th>missing capabilities</th><th>description</th></tr>"
            f"</thead>\n<tbody>\n{chr(10).join(body)}\n</tbody>\n</table>"
        )
    for source in matrix.sources:
        parts.append(f"<h3>{_e(source.name)}</h3>")
        parts.append(_facts(wording.run_facts(source)))
    parts.append("</section>")
    return "\n".join(parts)
