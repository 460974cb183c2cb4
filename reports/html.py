"""report.html: one self-contained page that opens on the verdict and drills down to evidence.

Reading order: a heatmap of area x column, one headline per column, the differences from
stdlib grouped by area, the summary with the score, then the matrix (collapsible by area,
filterable by status, backend, start method, Python and text) and the evidence of every
result that is not a plain PASS. One file with inline CSS and a small inline script, no
network references, so it can be attached to a CI run or an issue and still open years
later, offline; without the script everything is shown. Wide tables scroll inside their own
box, so the page itself never scrolls sideways. Every piece of text that came from a results
document is escaped: messages and tracebacks are written by the code under test.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from pathlib import Path
from typing import Any

from mpconform.status import Status

from . import (
    api_coverage,
    differences,
    evidence,
    heatmap,
    interop,
    palette,
    stress_section,
    wording,
)
from .differences import Difference
from .matrix import Cell, Matrix, Row

_STYLE = Path(__file__).with_name("style.css")
_SCRIPT = Path(__file__).with_name("report.js")
_TOOLTIP_LIMIT = 200
_DETAILS_LIMIT = 1200  # a traceback's last fifteen-odd lines, where its error is


def render(matrix: Matrix, repro: Mapping[str, str] | None = None) -> str:
    """``repro`` maps evidence anchors to repro scripts (paths relative to the page)."""
    repro = repro or {}
    parts = [
        _head(),
        f"<h1>{_e(wording.TITLE)}</h1>",
        _overview(matrix),
        _warnings(matrix),
    ]
    if matrix.rows:
        parts += [
            _heatmap(matrix),
            _glance(matrix),
            _differences(matrix, repro),
            _summary(matrix),
            _legend(),
            _grid(matrix),
            _api_coverage(matrix),
            _interop(matrix),
            _stress(matrix),
            _evidence(matrix, repro),
        ]
    else:
        parts.append(_legend())
        parts.append(f'<p class="note" id="no-tests">{_e(wording.NO_TESTS)}</p>')
        if matrix.columns:
            parts.append(_summary(matrix))
    parts += [_runs(matrix), f"<script>\n{_SCRIPT.read_text(encoding='utf-8')}</script>"]
    parts.append("</body>\n</html>\n")
    return "\n".join(p for p in parts if p)


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _text(value: str) -> str:
    """Escaped for element content (not attributes): quotes stay as they are, which keeps
    tracebacks, full of quotes, from growing by a third."""
    return escape(value, quote=False)


def _head() -> str:
    css = _STYLE.read_text(encoding="utf-8") + palette.css() + heatmap.css()
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
        f'<li><span class="swatch accepted">{_e(ACCEPTED_MARK)}</span> {_e(ACCEPTED_MEANING)}</li>'
    )
    items.append(
        f'<li><span class="swatch {palette.css_class(Status.UNSUPPORTED)}">'
        f"{_e(wording.NOT_PROVIDED)}</span> {_e(wording.NOT_PROVIDED_MEANING)}</li>"
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
        f'<div class="box"><table>\n<thead><tr><th>column</th><th>score</th>{head}'
        f"<th>not run</th><th>differences from stdlib</th></tr></thead>\n"
        f"<tbody>\n{chr(10).join(body)}\n</tbody>\n</table></div>\n</section>"
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
    """A short hover text for links outside the matrix (differences, stress); the matrix cells
    carry none, so a large report does not repeat every message once more."""
    if not cell.message:
        return f"{cell.status.value} in {cell.duration:.3f}s"
    text = f"{cell.status.value}: {' '.join(cell.message.split())}"
    if cell.accepted:
        text = f"(accepted) {text}"
    return text if len(text) <= _TOOLTIP_LIMIT else text[: _TOOLTIP_LIMIT - 3] + "..."


def _cell(cell: Cell, index: int | None = None) -> str:
    """A status cell. In the matrix (``index``) it is kept small: the filters read the status
    from the class and the column from the position, and only the accepted mark has a title."""
    classes = f"cell {palette.css_class(cell.status)}"
    if cell.accepted:
        classes += " accepted"
    if index is not None and _plain_pass(cell):
        return "<td>PASS</td>"  # the matrix's default colours are PASS's (palette.css)
    if cell.outside:
        return f'<td class="{classes}">{_e(wording.NOT_PROVIDED)}</td>'
    data = ' data-differs="1"' if index is not None and cell.differs else ""
    mark = ""
    if cell.accepted:
        mark = (
            f' <span class="expected" title="accepted: {_e(evidence.accepted_reason(cell))}">'
            f"{_e(ACCEPTED_MARK)}</span>"
        )
    if evidence.has_evidence(cell):
        verdict = f'<a href="#{cell.anchor}">{_e(cell.status.value)}</a>'
    else:
        verdict = _e(cell.status.value)
    return f'<td class="{classes}"{data}>{verdict}{mark}</td>'


ACCEPTED_MARK = "✓ accepted"
ACCEPTED_MEANING = (
    "did not conform, and that is accepted (hover the mark or open the evidence for the reason: "
    "the outcome marker's message or the expectation file's line); it counts as conforming"
)


def _plain_pass(cell: Cell) -> bool:
    """A PASS with nothing more to say: no evidence, no difference from stdlib."""
    return cell.status is Status.PASS and not evidence.has_evidence(cell) and not cell.differs


def _not_run() -> str:
    return f'<td class="cell {palette.NOT_RUN_CLASS}">{_e(wording.NOT_RUN)}</td>'


def _glance(matrix: Matrix) -> str:
    items = "".join(
        f"<li>{_e(wording.headline(c.label, matrix.summaries[c]))}</li>" for c in matrix.columns
    )
    return (
        f'<section id="glance">\n<h2>At a glance</h2>\n<ul>{items}</ul>\n'
        f'<p class="note">{_e(wording.SCORE_RULE)}.</p>\n</section>'
    )


def _heatmap(matrix: Matrix) -> str:
    found = heatmap.shares(matrix)
    head = "".join(f'<th scope="col" class="column">{_e(c.label)}</th>' for c in matrix.columns)
    body = []
    for number, (area, _) in enumerate(matrix.areas()):
        cells = []
        for index, column in enumerate(matrix.columns):
            share = found[(area, column)]
            figure = f"{share.conforming}/{share.applicable}" if share.applicable else "n/a"
            cells.append(
                f'<td class="heat {heatmap.css_class(share)}">'
                f'<a href="#area-{number}" data-col="{index}">{_e(figure)}</a></td>'
            )
        body.append(f'<tr><th scope="row">{_e(area)}</th>{"".join(cells)}</tr>')
    return (
        '<section id="heatmap">\n<h2>Where it conforms</h2>\n'
        f'<p class="note">{_e(wording.HEATMAP_NOTE)}</p>\n'
        f'<div class="box"><table class="heatmap">\n<thead><tr><th>area</th>{head}</tr></thead>\n'
        f"<tbody>\n{chr(10).join(body)}\n</tbody>\n</table></div>\n</section>"
    )


def _filters(matrix: Matrix) -> str:
    present = [
        s
        for s in wording.STATUSES
        if any(matrix.summaries[c].counts.get(s) for c in matrix.columns)
    ]
    buttons = ['<button type="button" data-status="" aria-pressed="true">all</button>']
    buttons.append('<button type="button" data-status="differs">not conforming</button>')
    if any(c.accepted for c in matrix.cells.values()):
        buttons.append('<button type="button" data-status="accepted">accepted</button>')
    buttons += [
        f'<button type="button" data-status="{s.value}" class="{palette.css_class(s)}">'
        f"{_e(s.value)}</button>"
        for s in present
    ]
    selects = []
    for key, label, values in (
        ("backend", "backend", [c.backend for c in matrix.columns]),
        ("method", "start method", [c.start_method for c in matrix.columns]),
        ("python", "Python", [c.python for c in matrix.columns]),
    ):
        unique = list(dict.fromkeys(values))
        if len(unique) < 2:
            continue
        options = "".join(f'<option value="{_e(v)}">{_e(v)}</option>' for v in unique)
        selects.append(
            f'<label>{_e(label)} <select id="filter-{key}"><option value="">all</option>'
            f"{options}</select></label>"
        )
    return (
        '<div class="filters">'
        f'<span class="group">{"".join(buttons)}</span> {" ".join(selects)} '
        '<label>search <input id="filter-text" type="search" placeholder="feature or title">'
        f'</label> <span class="note"><span id="shown-rows">{len(matrix.rows)}</span> of '
        f"{len(matrix.rows)} features shown</span></div>"
    )


def _grid(matrix: Matrix) -> str:
    head = "".join(
        f'<th scope="col" class="column" data-col="{i}" data-backend="{_e(c.backend)}" '
        f'data-method="{_e(c.start_method)}" data-python="{_e(c.python)}">{_e(c.label)}</th>'
        for i, c in enumerate(matrix.columns)
    )
    blocks = []
    for number, (area, rows) in enumerate(matrix.areas()):
        body = []
        for row in rows:
            cells = "".join(
                _cell(cell, i) if cell is not None else _not_run()
                for i, cell in enumerate(matrix.cell(row, c) for c in matrix.columns)
            )
            body.append(f'<tr class="feature-row">{_feature(row)}{cells}</tr>')
        blocks.append(
            f'<details class="area" id="area-{number}" open><summary>{_e(area)} '
            f'<span class="note">({len(rows)})</span></summary>\n'
            f'<div class="box"><table class="matrix">\n<thead><tr><th class="feature">feature</th>'
            f"{head}</tr></thead>\n<tbody>\n{chr(10).join(body)}\n</tbody>\n</table></div>\n"
            "</details>"
        )
    scores = "; ".join(f"{c.label} {wording.score(matrix.summaries[c])}" for c in matrix.columns)
    return (
        '<section id="matrix">\n<h2>Matrix</h2>\n'
        f"{_filters(matrix)}\n{chr(10).join(blocks)}\n"
        f'<p class="note">score: {_e(scores)}</p>\n</section>'
    )


def _link(cell: Cell, text: str) -> str:
    return f'<a href="#{cell.anchor}" title="{_e(_tooltip(cell))}">{_e(text)}</a>'


def _differences(matrix: Matrix, repro: Mapping[str, str]) -> str:
    parts = ['<section id="differences">', "<h2>Differences from stdlib</h2>"]
    note, comparable = wording.differences_note(matrix)
    if note:
        parts.append(f'<p class="note">{_e(note)}</p>')
    partial = wording.not_provided(matrix)
    if partial:
        parts.append('<ul class="not-provided">')
        parts += [f"<li>{_e(line)}</li>" for line in partial]
        parts.append("</ul>")
    if comparable:
        parts.append(f'<p class="note">{_e(wording.DIFFERENCES_INTRO)}</p>')
        found = matrix.differences
        if not found:
            parts.append(f"<p>{_e(wording.NO_DIFFERENCES)}</p>")
        for area, rows in differences.by_area(found):
            parts.append(f"<h3>{_e(area)}</h3>")
            parts += [
                _difference(row, where, repro)
                for row, where in rows
                if not differences.only_missing(where)
            ]
            missing = [
                _missing(row, where) for row, where in rows if differences.only_missing(where)
            ]
            if missing:
                parts.append(f'<p>{_e(wording.MISSING_INTRO)}</p>\n<ul class="missing">')
                parts += missing
                parts.append("</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def _missing(row: Row, where: list[Difference]) -> str:
    """One line: the feature, its columns (each a link to its evidence) and the reason."""
    columns = ", ".join(f'<a href="#{d.cell.anchor}">{_e(d.column.label)}</a>' for d in where)
    statuses, reasons = differences.gap_summary(where)
    reason = f": {_e(reasons)}" if reasons else ""
    return f"<li><code>{_e(row.name)}</code>: {_e(statuses)} under {columns}{reason}</li>"


def _difference(row: Row, where: list[Difference], repro: Mapping[str, str]) -> str:
    """One feature: where it differs (each column a link to its evidence), what stdlib does,
    the first line of each distinct message, the shrunk example, the repro scripts."""
    columns = " ".join(
        f'<span class="swatch {palette.css_class(d.status)}">'
        f'<a href="#{d.cell.anchor}">{_e(d.column.label)}: {_e(d.status.value)}</a></span>'
        for d in where
    )
    reference = _e(wording.status_list(where[0].reference))
    messages = dict.fromkeys(differences.first_line(d.cell.message) for d in where)
    lines = "".join(f"<li>{_e(m)}</li>" for m in messages if m)
    example = next((d.cell.falsifying_example for d in where if d.cell.falsifying_example), None)
    scripts = [(d.column.label, repro[d.cell.anchor]) for d in where if d.cell.anchor in repro]
    parts = [
        '<article class="difference">',
        f"<h4>{_e(row.title or row.name)} <code>{_e(row.name)}</code></h4>",
        f"<p>differs under {columns}; stdlib: {reference}</p>",
    ]
    if lines:
        parts.append(f"<ul>{lines}</ul>")
    if example:
        parts.append(f'<pre class="example">{_e(example)}</pre>')
    if scripts:
        links = ", ".join(f'<a href="{_e(path)}">{_e(label)}</a>' for label, path in scripts)
        parts.append(f"<p>repro scripts: {links}</p>")
    parts.append("</article>")
    return "\n".join(parts)


def _api_coverage(matrix: Matrix) -> str:
    parts = ['<section id="api-coverage">', "<h2>API coverage</h2>"]
    parts.append(f'<p class="note">{_e(wording.API_COVERAGE_INTRO)}</p>')
    found = api_coverage.coverage(matrix)
    parts += [f'<p class="headline"><strong>{_e(c.headline)}</strong></p>' for c in found]
    body = [
        f'<tr><th scope="row"><code>{_e(c.name)}</code>{_e(wording.only_in(c.pythons, len(found)))}'
        f"</th><td>{_e(', '.join(dict.fromkeys(r.feature for r in c.rows)))}</td>"
        f"<td>{_e(wording.api_exceptions(c.exceptions))}</td></tr>"
        for c in api_coverage.checked(matrix, found)
    ]
    if body:
        parts.append(
            '<table class="api">\n<thead><tr><th>element</th><th>properties</th>'
            f"<th>{_e(wording.API_OUTCOMES)}</th></tr></thead>\n<tbody>\n{chr(10).join(body)}"
            "\n</tbody>\n</table>"
        )
    for coverage_of in found:
        gaps = [
            f'<tr><th scope="row"><code>{_e(e.name)}</code></th><td>{_e(e.section)}</td>'
            f"<td>{_e(e.reason or 'none yet')}</td></tr>"
            for e in coverage_of.elements
            if not e.covered
        ]
        if gaps:
            parts.append(f"<p>{_e(wording.api_gaps(coverage_of.python))}</p>")
            parts.append(
                '<table class="api-gaps">\n<thead><tr><th>element</th><th>section</th>'
                f"<th>why no property</th></tr></thead>\n<tbody>\n{chr(10).join(gaps)}"
                "\n</tbody>\n</table>"
            )
    parts.append("</section>")
    return "\n".join(parts)


def _evidence(matrix: Matrix, repro: Mapping[str, str]) -> str:
    items = "\n".join(_evidence_feature(f, repro) for f in evidence.features(matrix))
    return f'<section id="evidence">\n<h2>Evidence</h2>\n{items}\n</section>'


def _evidence_feature(feature: evidence.Feature, repro: Mapping[str, str]) -> str:
    row = feature.row
    facts = [("area", row.area), ("test", evidence.test_name(feature.outcomes[0].cells[0]))]
    if row.cpython_basis:
        facts.append(("basis", f"{wording.BASIS_MARKER} {wording.BASIS_MEANING}"))
    parts = [
        f'<article class="evidence" id="{_e(feature.anchor)}">',
        f"<h3><code>{_e(row.name)}</code></h3>",
        f'<p class="title">{_e(row.title)}</p>',
        _facts(facts),
    ]
    parts += [_evidence_outcome(outcome, repro) for outcome in feature.outcomes]
    parts.append("</article>")
    return "\n".join(parts)


def _evidence_outcome(outcome: evidence.Outcome, repro: Mapping[str, str]) -> str:
    count = len(outcome.cells)
    where = f"in {count} columns" if count > 1 else "in"
    cells = "\n".join(_evidence_cell(cell, repro.get(cell.anchor)) for cell in outcome.cells)
    label, text = outcome.acceptance
    facts = [(label, text)] if label else []
    facts.append(("results", ", ".join(evidence.sources(outcome.cells))))
    parts = [
        '<div class="outcome">',
        f"<h4>{_swatch(outcome.status)} {where}</h4>",
        f'<ul class="cells">\n{cells}\n</ul>',
        _facts((k, v) for k, v in facts if v),
    ]
    if outcome.message:
        parts.append(f'<pre class="message">{_text(outcome.message)}</pre>')
    if outcome.example:
        parts.append(
            f'<h5>falsifying example</h5>\n<pre class="example">{_e(outcome.example)}</pre>'
        )
    parts.append("</div>")
    return "\n".join(parts)


def _evidence_cell(cell: Cell, script: str | None) -> str:
    """The cell's own line: its column first (where the matrix link lands), then what is its
    own: duration, test id, repro script and traceback."""
    bits = [f"{cell.duration:.3f}s"]
    if evidence.parameters(cell):
        bits.append(f"<code>{_e(evidence.parameters(cell))}</code>")
    if script:
        bits.append(f'repro: <a href="{_e(script)}"><code>python {_e(script)}</code></a>')
    details = ""
    if evidence.shows_details(cell):
        details = (
            f"\n<details><summary>details</summary>\n<pre>{_text(capped(cell.details))}</pre>\n"
            "</details>"
        )
    return (
        f'<li id="{cell.anchor}"><strong>{_e(cell.column.label)}</strong> '
        f"{' · '.join(bits)}{details}</li>"
    )


def capped(details: str, limit: int = _DETAILS_LIMIT) -> str:
    """A traceback's end (where the error is), so one runaway traceback cannot bloat the page;
    the whole of it stays in results.json."""
    if len(details) <= limit:
        return details
    cut = len(details) - limit
    return f"[... {cut} characters cut; the whole is in results.json]\n" + details[cut:]


def _interop(matrix: Matrix) -> str:
    found = interop.table(matrix)
    if found is None:
        return ""
    peers = "".join(
        f'<th scope="colgroup" colspan="{len(interop.ROLES)}">{_e(interop.peer_label(p))}</th>'
        for p in found.peers
    )
    roles = "".join(
        f'<th scope="col">{_e(label)}</th>' for _ in found.peers for _, label in interop.ROLES
    )
    body = []
    for line in found.lines:
        cells = []
        for pair in line.pairs:
            if pair is None:
                cells.append(_not_run())
                continue
            text = _e(pair.text)
            first = pair.first_exception
            if first is not None and evidence.has_evidence(first):
                text = f'<a href="#{first.anchor}">{text}</a>'
            title = f' title="{_e(pair.peer_name)}"' if pair.peer_name else ""
            cells.append(f'<td class="cell {palette.css_class(pair.status)}"{title}>{text}</td>')
        body.append(f'<tr><th scope="row">{_e(line.column.label)}</th>{"".join(cells)}</tr>')
    return (
        '<section id="interop">\n<h2>Interop</h2>\n'
        f'<p class="note">{_e(wording.INTEROP_NOTE)}</p>\n'
        '<div class="box"><table class="interop">\n'
        f'<thead><tr><th rowspan="2">column</th>{peers}</tr><tr>{roles}</tr></thead>\n'
        f"<tbody>\n{chr(10).join(body)}\n</tbody>\n</table></div>\n</section>"
    )


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
