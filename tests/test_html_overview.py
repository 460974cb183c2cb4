"""report.html's overview, read by a parser: headlines, heatmap figures, differences per row,
accepted outcomes and the page's size on a large report (the browser checks are in
test_html_browser.py)."""

from __future__ import annotations

import re
from html import escape

from test_html_browser import AREAS, four_backend_documents
from test_reports import document, result

from mpconform.reports import heatmap, html, wording
from mpconform.reports.matrix import build
from mpconform.status import Status


def _section(page: str, name: str) -> str:
    return page.split(f'<section id="{name}">', 1)[1].split("</section>", 1)[0]


def test_one_headline_per_column_before_the_differences() -> None:
    matrix = build(four_backend_documents(features_per_area=5))
    page = html.render(matrix)
    glance = _section(page, "glance")
    items = re.findall(r"<li>(.*?)</li>", glance)
    assert items == [escape(wording.headline(c.label, matrix.summaries[c])) for c in matrix.columns]
    assert escape(wording.SCORE_RULE) in glance  # the definition where the figures are
    order = [page.index(f'<section id="{s}">') for s in ("heatmap", "glance", "differences")]
    assert order == sorted(order) and order[-1] < page.index('<section id="matrix">')


def test_heatmap_cells_show_the_per_area_counts_and_link_to_the_area() -> None:
    matrix = build(four_backend_documents(features_per_area=8))
    heat = _section(html.render(matrix), "heatmap")
    rows = re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', heat)
    assert [escape(area) for area, _ in rows] == list(AREAS)
    for number, (area, cells) in enumerate(rows):
        found = re.findall(
            r'<td class="heat ([\w-]+)"><a href="#area-(\d+)" data-col="(\d+)">([^<]*)</a>',
            cells,
        )
        assert len(found) == len(matrix.columns)
        for index, (column, (level, target, col, figure)) in enumerate(
            zip(matrix.columns, found, strict=True)
        ):
            rows_of_area = dict(matrix.areas())[AREAS[number]]
            cells_here = [matrix.cell(r, column) for r in rows_of_area]
            applicable = [
                c for c in cells_here if c is not None and (c.conforms or c.accepted or c.differs)
            ]
            conforming = sum(1 for c in applicable if c.conforms or c.accepted)
            assert figure == f"{conforming}/{len(applicable)}", (area, column.label)
            assert target == str(number) and col == str(index)
            share = heatmap.Share(conforming, len(applicable))
            assert level == heatmap.css_class(share)


def test_differences_are_one_entry_per_row_listing_its_columns() -> None:
    rows = [
        result("test_exit", "stdlib", m, line=1, title="exit codes.") for m in ("fork", "spawn")
    ]
    rows += [
        result("test_exit", "billiard", m, "FAIL", line=1, title="exit codes.", message="wrong")
        for m in ("fork", "spawn")
    ]
    rows += [result("test_q", "stdlib", "fork", area="Queues", line=2)]
    rows += [result("test_q", "billiard", "fork", "TIMEOUT", area="Queues", line=2, message="hung")]
    matrix = build([document(rows)])
    section = _section(
        html.render(matrix, {matrix.differences[0].cell.anchor: "repro/x.py"}), "differences"
    )
    articles = section.split('<article class="difference">')[1:]
    assert len(articles) == 2  # test_exit once, though it differs under two columns
    assert "billiard-fork" in articles[0] and "billiard-spawn" in articles[0]
    assert articles[0].count("<li>wrong</li>") == 1  # the same message listed once
    assert 'href="repro/x.py"' in articles[0]
    assert section.index("<h3>Process lifecycle</h3>") < section.index("<h3>Queues</h3>")
    assert "hung" in articles[1]


def test_an_accepted_outcome_is_shown_as_accepted_with_its_reason() -> None:
    hang = result(
        "test_hang", "stdlib", "fork", "TIMEOUT", line=1, message="hangs, as CPython does"
    )
    hang["expected"] = ["TIMEOUT"]
    listed = result("test_x", "stdlib", "fork", "FAIL", line=2, message="boom")
    listed["expected"] = ["FAIL"]
    listed["expectation"] = "test_x FAIL  # upstream bug 123"
    matrix = build([document([hang, listed, result("test_f", "stdlib", "fork", "FAIL", line=3)])])
    page = html.render(matrix)
    grid = _section(page, "matrix")
    cells = re.findall(r'<td class="(cell [^"]*)"[^>]*>(.*?)</td>', grid)
    assert [("accepted" in classes.split()) for classes, _ in cells] == [True, True, False]
    assert 'title="accepted: hangs, as CPython does"' in cells[0][1]
    assert 'title="accepted: test_x FAIL  # upstream bug 123"' in cells[1][1]
    assert html.ACCEPTED_MARK not in cells[2][1]
    assert 'data-differs="1"' in grid and grid.count('data-differs="1"') == 1
    assert '<button type="button" data-status="accepted">' in grid
    evidence = page.split(f'id="{matrix.cell(matrix.rows[0], matrix.columns[0]).anchor}"')[1]
    assert "<dt>accepted</dt><dd>hangs, as CPython does</dd>" in evidence.split("</article>")[0]
    assert "2 as accepted outcomes" in _section(page, "glance")


MESSAGE = "a long message " * 14  # 210 characters


def test_a_four_backend_report_of_300_features_stays_small() -> None:
    docs = four_backend_documents(features_per_area=50)
    long = "Traceback (most recent call last):\n" + "  File 'x.py', line 1\n" * 2000
    for doc in docs:
        for one in doc["results"]:
            if one["status"] != "PASS":
                one["message"] = MESSAGE
            if one["status"] in ("FAIL", "TIMEOUT", "CRASH"):
                one["details"] = long
    matrix = build(docs)
    assert len(matrix.rows) == 300 and len(matrix.columns) == 20
    page = html.render(matrix).encode("utf-8")
    assert len(page) < 1_500_000, len(page)
    text = page.decode("utf-8")
    assert text.count(MESSAGE.strip()) <= 2 * sum(
        1 for c in matrix.cells.values() if c.status is not Status.PASS
    )  # its evidence and the differences list: no tooltip repeats it
    assert "characters cut; the whole is in results.json" in text
