"""report.md: the matrix as Markdown, for pull requests, issues and CI job summaries.

Text from results documents is written by the code under test, so every piece of it is
escaped: a stray ``|`` would add a table column and shift every verdict after it into the
wrong backend's column, which is worse than an ugly table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from . import api_coverage, differences, evidence, interop, stress_section, wording
from .differences import Difference
from .matrix import Cell, Matrix, Row

# Characters that start inline markup (or, for |, end a table cell); < > & become entities.
_SPECIAL = re.compile(r"([\\`*_\[\]|#~])")
# Only an & that would start a character reference needs escaping; "a & b" stays readable.
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_NEWLINES = re.compile(r"\r\n|\r|\n")


def render(matrix: Matrix, repro: Mapping[str, str] | None = None) -> str:
    """``repro`` maps evidence anchors to repro scripts (paths relative to the file)."""
    parts = [f"# {wording.TITLE}", _overview(matrix), _warnings(matrix)]
    if matrix.rows:
        parts += [
            _headlines(matrix),
            _differences(matrix, repro or {}),
            _summary(matrix),
            _legend(),
            _grid(matrix),
            _api_coverage(matrix),
            _interop(matrix),
            _stress(matrix),
            _details(matrix, repro or {}),
        ]
    else:
        parts.append(_legend())
        parts.append(_text(wording.NO_TESTS))
        if matrix.columns:
            parts.append(_summary(matrix))
    parts.append(_runs(matrix))
    return "\n\n".join(p for p in parts if p) + "\n"


def _text(value: object) -> str:
    """Inline text safe anywhere, table cells included: no markup, no HTML, one line."""
    text = _ENTITY.sub("&amp;", str(value)).replace("<", "&lt;").replace(">", "&gt;")
    text = _SPECIAL.sub(r"\\\1", text)
    return _NEWLINES.sub("<br>", text)


def _code_span(value: object) -> str:
    text = " ".join(_NEWLINES.split(str(value)))
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    if text.startswith("`") or text.endswith("`"):
        text = f" {text} "
    return f"{fence}{text}{fence}"


def _code_block(value: object, language: str = "") -> str:
    text = str(value).rstrip("\n")
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Cells must already be escaped with _text; header and separator come from here."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _overview(matrix: Matrix) -> str:
    facts = wording.overview_facts(matrix)
    return "\n".join(f"- **{label}:** {_text(value)}" for label, value in facts)


def _warnings(matrix: Matrix) -> str:
    lines = [w for source in matrix.sources for w in wording.run_warnings(source)]
    return "\n\n".join(f"> **Warning:** {_text(line)}" for line in lines)


def _legend() -> str:
    rows = [(s.value, _text(wording.STATUS_MEANINGS[s])) for s in wording.STATUSES]
    rows.append((wording.NOT_RUN, _text(wording.NOT_RUN_MEANING)))
    rows.append((wording.NOT_PROVIDED, _text(wording.NOT_PROVIDED_MEANING)))
    rows.append((wording.BASIS_MARKER, _text(wording.BASIS_MEANING)))
    return "## Legend\n\n" + _table(["Mark", "Meaning"], rows)


def _headlines(matrix: Matrix) -> str:
    lines = [
        f"- {_text(wording.headline(column.label, matrix.summaries[column]))}"
        for column in matrix.columns
    ]
    return "## At a glance\n\n" + "\n".join(lines)


def _differences_count(matrix: Matrix, column_index: int) -> str:
    column = matrix.columns[column_index]
    if column.is_reference:
        return "reference"
    found = matrix.summaries[column].differences
    return "n/a" if found is None else str(len(found))


def _summary(matrix: Matrix) -> str:
    header = ["Column", "Score"] + [s.value for s in wording.STATUSES]
    header += ["not run", "differences from stdlib"]
    rows = []
    for i, column in enumerate(matrix.columns):
        summary = matrix.summaries[column]
        counts = [str(summary.counts.get(s, 0)) for s in wording.STATUSES]
        rows.append(
            [
                _text(column.label),
                _text(wording.score(summary)),
                *counts,
                str(summary.not_run),
                _differences_count(matrix, i),
            ]
        )
    return f"## Summary\n\n{_text(wording.SCORE_RULE)}\n\n" + _table(header, rows)


def _feature(row: Row) -> str:
    marker = f" {wording.BASIS_MARKER}" if row.cpython_basis else ""
    return f"{_text(row.name)}{marker}"


def _verdict(cell: Cell) -> str:
    """The status word; it links to the details section, which a plain PASS does not have."""
    if cell.outside:
        return wording.NOT_PROVIDED
    if not evidence.has_evidence(cell):
        return cell.status.value
    accepted = " (accepted)" if cell.expected else ""
    return f"[{cell.status.value}](#{cell.anchor}){accepted}"


def _grid(matrix: Matrix) -> str:
    header = ["Feature", "Description"] + [_text(c.label) for c in matrix.columns]
    rows = []
    for area, area_rows in matrix.areas():
        rows.append([f"**{_text(area)}**", ""] + ["" for _ in matrix.columns])
        for row in area_rows:
            cells = [matrix.cell(row, c) for c in matrix.columns]
            rows.append(
                [_feature(row), _text(row.title)]
                + [_verdict(c) if c is not None else wording.NOT_RUN for c in cells]
            )
    scores = [_text(wording.score(matrix.summaries[c])) for c in matrix.columns]
    rows.append(["**score**", "", *scores])
    return "## Matrix\n\n" + _table(header, rows)


def _differences(matrix: Matrix, repro: Mapping[str, str]) -> str:
    parts = ["## Differences from stdlib"]
    note, comparable = wording.differences_note(matrix)
    if note:
        parts.append(_text(note))
    partial = wording.not_provided(matrix)
    if partial:
        parts.append("\n".join(f"- {_text(line)}" for line in partial))
    if comparable:
        parts.append(_text(wording.DIFFERENCES_INTRO))
        found = matrix.differences
        if not found:
            parts.append(_text(wording.NO_DIFFERENCES))
        for area, rows in differences.by_area(found):
            entries = [f"### {_text(area)}"]
            missing = []
            for row, where in rows:
                if differences.only_missing(where):
                    missing.append(_missing_entry(row, where))
                else:
                    entries.append(_difference_entry(row, where, repro))
            if missing:
                entries.append(_text(wording.MISSING_INTRO) + "\n\n" + "\n".join(missing))
            parts.append("\n\n".join(entries))
    return "\n\n".join(parts)


def _missing_entry(row: Row, where: Sequence[Difference]) -> str:
    """One line: the feature, its columns (each a link to its evidence) and the reason."""
    columns = ", ".join(f"[{_text(d.column.label)}](#{d.cell.anchor})" for d in where)
    statuses, reasons = differences.gap_summary(where)
    return f"- {_feature(row)}: {statuses} under {columns}" + (
        f": {_text(reasons)}" if reasons else ""
    )


def _difference_entry(row: Row, where: Sequence[Difference], repro: Mapping[str, str]) -> str:
    """One feature: where it differs, what stdlib does, the first message, evidence links."""
    columns = ", ".join(f"{_text(d.column.label)} ({_verdict(d.cell)})" for d in where)
    reference = _text(wording.status_list(where[0].reference))
    lines = [
        f"- **{_text(row.title or row.name)}** ({_feature(row)})",
        f"  - differs under {columns}; stdlib: {reference}",
    ]
    messages = dict.fromkeys(differences.first_line(d.cell.message) for d in where)
    lines += [f"  - {_text(m)}" for m in messages if m]
    scripts = [(d.column.label, repro[d.cell.anchor]) for d in where if d.cell.anchor in repro]
    if scripts:
        links = ", ".join(f"[{_text(label)}]({path})" for label, path in scripts)
        lines.append(f"  - repro scripts: {links}")
    return "\n".join(lines)


def _api_coverage(matrix: Matrix) -> str:
    parts = ["## API coverage", _text(wording.API_COVERAGE_INTRO)]
    found = api_coverage.coverage(matrix)
    parts += [f"**{_text(coverage_of.headline)}**" for coverage_of in found]
    everywhere = len(found)
    rows = [
        [
            _code_span(c.name) + _text(wording.only_in(c.pythons, everywhere)),
            _code_span(", ".join(dict.fromkeys(r.feature for r in c.rows))),
            _text(wording.api_exceptions(c.exceptions)),
        ]
        for c in api_coverage.checked(matrix, found)
    ]
    if rows:
        parts.append(_table(["Element", "Properties", _text(wording.API_OUTCOMES)], rows))
    for coverage_of in found:
        gaps = [e for e in coverage_of.elements if not e.covered]
        if gaps:
            parts.append(_text(wording.api_gaps(coverage_of.python)))
            parts.append(
                _table(
                    ["Element", "Section", "Why no property"],
                    [
                        [_code_span(e.name), _text(e.section), _text(e.reason or "none yet")]
                        for e in gaps
                    ],
                )
            )
    return "\n\n".join(parts)


def _details(matrix: Matrix, repro: Mapping[str, str]) -> str:
    found = evidence.features(matrix)
    if not found:
        return "## Details\n\nEvery result passed; there is nothing to detail."
    intro = _text(wording.EVIDENCE_NOTE)
    return "## Details\n\n" + intro + "\n\n" + "\n\n".join(_detail(f, repro) for f in found)


def _detail(feature: evidence.Feature, repro: Mapping[str, str]) -> str:
    row = feature.row
    facts = [
        ("Area", _text(row.area)),
        ("Test", _code_span(evidence.test_name(feature.outcomes[0].cells[0]))),
    ]
    if row.cpython_basis:
        facts.append(("Basis", f"{wording.BASIS_MARKER} {_text(wording.BASIS_MEANING)}"))
    parts = [
        f"### {_text(row.name)}",
        _text(row.title),
        "\n".join(f"- **{label}:** {value}" for label, value in facts),
    ]
    parts += [_detail_outcome(outcome, repro) for outcome in feature.outcomes]
    return "\n\n".join(parts)


def _detail_outcome(outcome: evidence.Outcome, repro: Mapping[str, str]) -> str:
    count = len(outcome.cells)
    where = f"in {count} columns" if count > 1 else "in"
    lines = [_detail_cell(cell, repro.get(cell.anchor)) for cell in outcome.cells]
    label, text = outcome.acceptance
    if label:
        lines.append(f"- **{label.capitalize()}:** {_text(text)}")
    lines.append(f"- **Results:** {_text(', '.join(evidence.sources(outcome.cells)))}")
    parts = [f"**{outcome.status.value}** {where}:", "\n".join(lines)]
    if outcome.message:
        parts.append(_code_block(outcome.message, "text"))
    if outcome.example:
        parts.append("Falsifying example:\n\n" + _code_block(outcome.example, "python"))
    parts += [
        f"<details><summary>Details: {_text(cell.column.label)}</summary>\n\n"
        + _code_block(cell.details, "text")
        + "\n\n</details>"
        for cell in outcome.cells
        if cell.details
    ]
    return "\n\n".join(parts)


def _detail_cell(cell: Cell, script: str | None) -> str:
    """The cell's own line, with its anchor: the matrix link lands here."""
    bits = [f"{cell.duration:.3f}s"]
    if evidence.parameters(cell):
        bits.append(_code_span(evidence.parameters(cell)))
    if script:
        bits.append(f"repro: [{_text(script)}]({script}) (run it with python)")
    return f'- <a id="{cell.anchor}"></a>**{_text(cell.column.label)}**: ' + ", ".join(bits)


def _interop(matrix: Matrix) -> str:
    found = interop.table(matrix)
    if found is None:
        return ""
    header = ["Column"] + [
        _text(f"{interop.peer_label(peer)}: {label}")
        for peer in found.peers
        for _, label in interop.ROLES
    ]
    rows = []
    for line in found.lines:
        row = [_text(line.column.label)]
        for pair in line.pairs:
            if pair is None:
                row.append(_text(wording.NOT_RUN))
                continue
            first = pair.first_exception
            text = _text(pair.text)
            if first is not None and evidence.has_evidence(first):
                text = f"[{text}](#{first.anchor})"
            peer = f" ({_text(pair.peer_name)})" if pair.peer_name else ""
            row.append(text + peer)
        rows.append(row)
    return "\n\n".join(["## Interop", _text(wording.INTEROP_NOTE), _table(header, rows)])


def _stress(matrix: Matrix) -> str:
    found = stress_section.workloads(matrix)
    if not found:
        return ""
    parts = ["## Stress", _text(wording.STRESS_NOTE)]
    header = [
        "Column",
        "Status",
        *(label for _, label in stress_section.MAIN_FIGURES),
        "Other figures",
    ]
    for workload in found:
        rows = []
        for cell in workload.cells:
            values = stress_section.metrics(cell)
            rows.append(
                [
                    _text(cell.column.label),
                    _verdict(cell),
                    *(
                        _text(stress_section.number(values[key])) if key in values else ""
                        for key, _ in stress_section.MAIN_FIGURES
                    ),
                    _text("; ".join(f"{k}={v}" for k, v in stress_section.other_figures(cell))),
                ]
            )
        parts.append(f"### {_text(workload.row.name)}\n\n{_text(workload.row.title)}")
        parts.append(_table(header, rows))
    return "\n\n".join(parts)


def _runs(matrix: Matrix) -> str:
    parts = ["## Runs"]
    if matrix.backends:
        rows = [
            [
                _text(b.name),
                _text(b.python),
                _text(b.version),
                _text(", ".join(b.start_methods)),
                "<br>".join(_text(m) for m in wording.missing_capabilities(b.missing_capabilities))
                or "none",
                _text(b.description),
            ]
            for b in matrix.backends
        ]
        header = ["Backend", "Python", "Version", "Start methods", "Missing capabilities"]
        parts.append(_table([*header, "Description"], rows))
    for source in matrix.sources:
        rows = [[_text(label), _text(value)] for label, value in wording.run_facts(source)]
        parts.append(f"### {_text(source.name)}\n\n" + _table(["", ""], rows))
    return "\n\n".join(parts)
