"""Tests for mpconform.reports: merging results documents and rendering them.

Documents are built by hand so every case states exactly which verdicts exist; the HTML is
checked with the stdlib's html.parser rather than by substring where structure matters.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from mpconform import reports
from mpconform.errors import ConfigError
from mpconform.reports import html, markdown, palette, wording
from mpconform.reports.matrix import build
from mpconform.status import Status

LIFECYCLE = "Process lifecycle"
QUEUES = "Queues"


def result(
    feature: str,
    backend: str,
    start_method: str,
    status: str = "PASS",
    *,
    area: str = LIFECYCLE,
    line: int = 10,
    module: str = "mpconform.conformance.test_lifecycle",
    basis: str = "docs",
    title: str = "",
    message: str = "",
    example: str | None = None,
    details: str = "",
    variant: str = "",
) -> dict[str, Any]:
    params = f"{backend}-{start_method}" + (f"-{variant}" if variant else "")
    return {
        "nodeid": f"{module.rsplit('.', 1)[-1]}.py::{feature}[{params}]",
        "module": module,
        "line": line,
        "area": area,
        "feature": feature,
        "title": title or f"{feature} behaves",
        "basis": basis,
        "backend": backend,
        "start_method": start_method,
        "status": status,
        "duration": 0.0123,
        "message": message,
        "falsifying_example": example,
        "details": details,
    }


def document(results: list[dict[str, Any]], python: str = "3.12.1", **run: Any) -> dict[str, Any]:
    """A results document whose run declares exactly the backends its results use."""
    methods: dict[str, list[str]] = {}
    for r in results:
        seen = methods.setdefault(r["backend"], [])
        if r["start_method"] not in seen:
            seen.append(r["start_method"])
    backends = [
        {
            "name": name,
            "version": f"{name}-1.0",
            "description": f"the {name} backend",
            "start_methods": found,
            "missing_capabilities": {m: {} for m in found},
        }
        for name, found in methods.items()
    ]
    info = {
        "started": "2025-01-02T03:04:05+00:00",
        "finished": "2025-01-02T03:05:05+00:00",
        "duration": 60.0,
        "mpconform_version": "0.1.0",
        "python": {"version": python, "implementation": "CPython", "executable": "/usr/bin/py"},
        "platform": {"system": "Linux", "release": "6.1", "machine": "x86_64"},
        "hypothesis": {"version": "6.100", "profile": "ci", "seed": None, "derandomize": True},
        "backends": backends,
        "pytest_args": [],
        "workers": 0,
        "interrupted": False,
        "exitstatus": 0,
        "leftovers": [],
    }
    info.update(run)
    return {"format": "mpconform-results", "format_version": 1, "run": info, "results": results}


def labels(matrix: Any) -> list[str]:
    return [c.label for c in matrix.columns]


def statuses(matrix: Any) -> dict[tuple[str, str], str]:
    return {
        (cell.row.name, cell.column.label): cell.status.value for cell in matrix.ordered_cells()
    }


# -- merging ----------------------------------------------------------------------------------


def test_merges_two_backends_into_one_grid() -> None:
    stdlib = document(
        [
            result("test_exit", "stdlib", "fork"),
            result("test_exit", "stdlib", "spawn", "FAIL", message="exitcode 1"),
        ]
    )
    dummy = document([result("test_exit", "dummy", "thread", "UNSUPPORTED")])
    matrix = build([dummy, stdlib])
    # The stdlib is the reference, so it comes first whatever the merge order.
    assert labels(matrix) == ["stdlib-fork", "stdlib-spawn", "dummy-thread"]
    assert statuses(matrix) == {
        ("test_exit", "stdlib-fork"): "PASS",
        ("test_exit", "stdlib-spawn"): "FAIL",
        ("test_exit", "dummy-thread"): "UNSUPPORTED",
    }
    assert [b.name for b in matrix.backends] == ["stdlib", "dummy"]


def test_shards_of_one_run_merge_into_one_column() -> None:
    first = document([result("test_a", "stdlib", "fork", line=1)])
    second = document([result("test_b", "stdlib", "fork", line=2)])
    matrix = build([first, second])
    assert labels(matrix) == ["stdlib-fork"]
    assert [r.feature for r in matrix.rows] == ["test_a", "test_b"]
    assert matrix.summaries[matrix.columns[0]].counts == {Status.PASS: 2}


def test_rows_follow_definition_order_grouped_by_area() -> None:
    doc = document(
        [
            result("test_late", "stdlib", "fork", line=30),
            result("test_queue", "stdlib", "fork", area=QUEUES, module="m.test_queues", line=1),
            result("test_early", "stdlib", "fork", line=10),
            result("test_middle", "stdlib", "fork", line=20),
        ]
    )
    matrix = build([doc])
    assert [(area, [r.feature for r in rows]) for area, rows in matrix.areas()] == [
        (QUEUES, ["test_queue"]),  # module m.test_queues is defined before mpconform.*
        (LIFECYCLE, ["test_early", "test_middle", "test_late"]),
    ]


def test_area_spread_over_definitions_stays_together() -> None:
    doc = document(
        [
            result("test_a1", "stdlib", "fork", line=1),
            result("test_b2", "stdlib", "fork", area=QUEUES, line=2),
            result("test_a3", "stdlib", "fork", line=3),
        ]
    )
    matrix = build([doc])
    # Rows (and so evidence numbering) follow the grouped order, not raw definition order.
    assert [r.feature for r in matrix.rows] == ["test_a1", "test_a3", "test_b2"]
    assert [c.anchor for c in matrix.ordered_cells()] == ["ev-1", "ev-2", "ev-3"]


def test_conflicting_cells_are_refused_naming_cell_and_sources() -> None:
    one = document([result("test_exit", "stdlib", "fork", "PASS")])
    two = document([result("test_exit", "stdlib", "fork", "TIMEOUT")])
    with pytest.raises(ConfigError) as info:
        build([one, two], sources=["run-a.json", "run-b.json"])
    text = str(info.value)
    for expected in ("test_exit", "stdlib-fork", "py3.12", "run-a.json", "run-b.json", "TIMEOUT"):
        assert expected in text


def test_conflict_within_the_same_python_minor_version() -> None:
    """Patch releases share a column: two verdicts for one cell must not both be shown."""
    one = document([result("test_exit", "stdlib", "fork", "PASS")], python="3.12.1")
    two = document([result("test_exit", "stdlib", "fork", "FAIL")], python="3.12.3")
    with pytest.raises(ConfigError, match=r"results document #1.*results document #2"):
        build([one, two])


def test_identical_duplicate_is_accepted_once() -> None:
    doc = document([result("test_exit", "stdlib", "fork"), result("test_x", "stdlib", "fork")])
    matrix = build([doc, copy.deepcopy(doc)])
    assert len(matrix.cells) == 2
    assert matrix.summaries[matrix.columns[0]].counts == {Status.PASS: 2}


def test_near_duplicate_differing_only_in_message_is_a_conflict() -> None:
    one = document([result("test_exit", "stdlib", "fork", "FAIL", message="a")])
    two = document([result("test_exit", "stdlib", "fork", "FAIL", message="b")])
    with pytest.raises(ConfigError, match="message"):
        build([one, two])


def test_python_version_enters_columns_only_when_versions_differ() -> None:
    same = build(
        [
            document([result("test_exit", "stdlib", "fork")], python="3.12.1"),
            document([result("test_exit", "dummy", "thread")], python="3.12.1"),
        ]
    )
    assert labels(same) == ["stdlib-fork", "dummy-thread"]
    assert not same.multi_python

    mixed = build(
        [
            document([result("test_exit", "stdlib", "fork", "FAIL")], python="3.12.1"),
            document([result("test_exit", "stdlib", "fork")], python="3.11.9"),
        ]
    )
    assert labels(mixed) == ["stdlib-fork py3.11", "stdlib-fork py3.12"]
    assert statuses(mixed) == {
        ("test_exit", "stdlib-fork py3.11"): "PASS",
        ("test_exit", "stdlib-fork py3.12"): "FAIL",
    }
    assert "stdlib-fork py3.11" in markdown.render(mixed)


def test_extra_parametrization_gets_its_own_rows() -> None:
    doc = document(
        [
            result("test_size", "stdlib", "fork", variant="1"),
            result("test_size", "stdlib", "fork", "FAIL", variant="2"),
            result("test_size", "dummy", "thread", variant="1"),
        ]
    )
    matrix = build([doc])
    assert [r.name for r in matrix.rows] == ["test_size[1]", "test_size[2]"]
    assert statuses(matrix)[("test_size[2]", "stdlib-fork")] == "FAIL"
    assert statuses(matrix)[("test_size[1]", "dummy-thread")] == "PASS"


def test_invalid_document_is_refused() -> None:
    with pytest.raises(ConfigError, match="not an mpconform results file"):
        build([{"format": "something-else"}])
    bad = document([result("test_exit", "stdlib", "fork", "GREEN")])
    with pytest.raises(ConfigError, match="GREEN"):
        build([bad])


# -- summaries and differences ----------------------------------------------------------------


def test_score_leaves_out_unsupported_and_skip_and_counts_accepted_outcomes() -> None:
    doc = document(
        [
            result("test_a", "dummy", "thread", "PASS", line=1),
            result("test_b", "dummy", "thread", "PASS", line=2),
            result("test_c", "dummy", "thread", "FAIL", line=3),
            result("test_d", "dummy", "thread", "UNSUPPORTED", line=4),
            result("test_e", "dummy", "thread", "SKIP", line=5),
            result("test_f", "dummy", "thread", "XFAIL", line=6),
            result("test_g", "dummy", "thread", "TIMEOUT", line=7),
        ]
    )
    matrix = build([doc])
    summary = matrix.summaries[matrix.columns[0]]
    assert (summary.passed, summary.accepted, summary.applicable, summary.ran) == (2, 1, 5, 7)
    assert summary.score == 0.6
    assert "60% (3/5)" in markdown.render(matrix)
    assert "60% (3/5)" in html.render(matrix)
    assert wording.headline("dummy-thread", summary) == (
        "dummy-thread: 3 of 5 conform (1 as accepted outcomes), 1 hangs, 1 differs; "
        "1 unsupported and 1 skip not counted"
    )

    only_missing = build([document([result("test_d", "dummy", "thread", "UNSUPPORTED")])])
    assert only_missing.summaries[only_missing.columns[0]].score is None
    assert wording.score(only_missing.summaries[only_missing.columns[0]]) == "n/a"


def test_the_reference_with_its_accepted_hang_scores_100_percent() -> None:
    """CPython's documented hang (an outcome marker accepts TIMEOUT) is not held against it."""
    hang = result("test_hang", "stdlib", "fork", "TIMEOUT", line=2)
    hang["expected"] = ["TIMEOUT"]
    unaccepted = result("test_other_hang", "stdlib", "fork", "TIMEOUT", line=3)
    matrix = build([document([result("test_a", "stdlib", "fork", line=1), hang])])
    summary = matrix.summaries[matrix.columns[0]]
    assert wording.score(summary) == "100% (2/2)"
    assert wording.headline("stdlib-fork", summary) == (
        "stdlib-fork: 2 of 2 conform (1 as accepted outcomes)"
    )
    assert "- stdlib-fork: 2 of 2 conform" in markdown.render(matrix)
    assert "(#ev-2) (accepted) |" in markdown.render(matrix)  # shown as accepted, not failed
    worse = build([document([result("test_a", "stdlib", "fork", line=1), hang, unaccepted])])
    assert wording.score(worse.summaries[worse.columns[0]]) == "66% (2/3)"


def differences_fixture() -> list[dict[str, Any]]:
    stdlib = document(
        [
            result("test_exit", "stdlib", "fork", line=1),
            result("test_exit", "stdlib", "spawn", line=1),
            result("test_kill", "stdlib", "fork", line=2),
            result("test_kill", "stdlib", "spawn", "FAIL", line=2),
        ]
    )
    billiard = document(
        [
            result("test_exit", "billiard", "fork", "TIMEOUT", line=1, message="hung"),
            result("test_exit", "billiard", "spawn", line=1),
            result("test_kill", "billiard", "spawn", "FAIL", line=2),
        ]
    )
    dummy = document(
        [
            result("test_exit", "dummy", "thread", "CRASH", line=1),
            # Matches one stdlib start method: no difference for a thread-only backend.
            result("test_kill", "dummy", "thread", "FAIL", line=2),
        ]
    )
    return [stdlib, billiard, dummy]


def test_differences_compare_with_stdlib_on_the_same_start_method() -> None:
    matrix = build(differences_fixture())
    found = [(d.row.feature, d.column.label, d.status.value) for d in matrix.differences]
    assert found == [
        ("test_exit", "billiard-fork", "TIMEOUT"),
        ("test_exit", "dummy-thread", "CRASH"),
    ]
    timeout = matrix.differences[0]
    assert [(r.column.label, r.status.value) for r in timeout.reference] == [
        ("stdlib-fork", "PASS")
    ]
    crash = matrix.differences[1]
    assert {r.column.label for r in crash.reference} == {"stdlib-fork", "stdlib-spawn"}

    by_label = {c.label: matrix.summaries[c] for c in matrix.columns}
    assert len(by_label["billiard-fork"].differences) == 1
    assert by_label["billiard-spawn"].differences == ()
    assert by_label["stdlib-fork"].differences is None  # the reference compares with nothing


def test_differences_appear_in_both_reports() -> None:
    matrix = build(differences_fixture())
    md = markdown.render(matrix)
    section = md.split("## Differences from stdlib", 1)[1].split("\n## ", 1)[0]
    assert "billiard-fork" in section and "TIMEOUT" in section and "hung" in section
    assert "dummy-thread" in section and "CRASH" in section
    assert "billiard-spawn" not in section

    page = html.render(matrix)
    diff_html = page.split('<section id="differences">', 1)[1].split("</section>", 1)[0]
    assert "billiard-fork" in diff_html and "TIMEOUT" in diff_html
    assert "billiard-spawn" not in diff_html


def test_differences_unavailable_without_stdlib() -> None:
    matrix = build([document([result("test_exit", "dummy", "thread", "FAIL")])])
    assert not matrix.reference_available
    assert matrix.differences == []
    assert matrix.summaries[matrix.columns[0]].differences is None
    assert wording.NO_REFERENCE in markdown.render(matrix).replace("\\", "")
    assert escape(wording.NO_REFERENCE) in html.render(matrix)


def test_differences_only_against_stdlib_of_the_same_python() -> None:
    stdlib = document([result("test_exit", "stdlib", "fork")], python="3.11.4")
    other = document([result("test_exit", "billiard", "fork", "FAIL")], python="3.12.1")
    matrix = build([stdlib, other])
    assert matrix.differences == []
    assert matrix.unreferenced_pythons == ("py3.12",)
    assert "No stdlib results for py3.12" in html.render(matrix)


# -- HTML -------------------------------------------------------------------------------------


class Page(HTMLParser):
    """Collects what the structural checks need from a rendered page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.tags: list[str] = []
        self.srcs: list[str] = []
        self.matrix_cells: list[dict[str, Any]] = []
        self.legend_classes: set[str] = set()
        self.legend_text = ""
        self.sections: list[str] = []
        self._cell: dict[str, Any] | None = None
        self._in_matrix = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if a.get("href") is not None:
            self.hrefs.append(a["href"] or "")
        if a.get("src") is not None:
            self.srcs.append(a["src"] or "")
        classes = (a.get("class") or "").split()
        if tag == "section":
            self.sections.append(a.get("id") or "")
        if tag == "table" and "matrix" in classes:
            self._in_matrix = True
        if self._in_matrix and tag == "td":
            # A plain PASS cell carries no class: the matrix's default colours are PASS's.
            status = next(
                (c for c in classes if c.startswith("st-")), palette.css_class(Status.PASS)
            )
            self._cell = {
                "classes": classes,
                "status": status,
                "links": [],
                "text": "",
                "title": a.get("title"),
            }
            self.matrix_cells.append(self._cell)
        if self._cell is not None and tag == "a":
            self._cell["links"].append((a.get("href"), a.get("title")))
        if self.sections and self.sections[-1] == "legend":
            self.legend_classes.update(classes)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_matrix = False
        if tag == "td":
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell["text"] += data
        if self.sections and self.sections[-1] == "legend":
            self.legend_text += data


def parse(page: str) -> Page:
    parser = Page()
    parser.feed(page)
    parser.close()
    return parser


def test_every_html_cell_that_is_not_a_plain_pass_links_to_its_evidence() -> None:
    matrix = build(differences_fixture())
    page = parse(html.render(matrix))
    result_cells = [c for c in page.matrix_cells if palette.NOT_RUN_CLASS not in c["classes"]]
    assert len(result_cells) == len(matrix.cells) == 9
    with_evidence = {c.anchor for c in matrix.ordered_cells() if c.status is not Status.PASS}
    for cell in result_cells:
        if cell["text"].strip() == "PASS":
            assert cell["links"] == []  # nothing to show beyond the cell: no evidence
            continue
        assert len(cell["links"]) == 1, cell
        href = cell["links"][0][0]
        assert href[1:] in with_evidence and href[1:] in page.ids
    internal = [h for h in page.hrefs if h.startswith("#")]
    assert internal == page.hrefs  # no link leaves the page
    assert all(h[1:] in page.ids for h in internal)
    evidence_ids = {i for i in page.ids if i.startswith("ev-")}
    assert evidence_ids == with_evidence


def test_html_cells_are_coloured_by_their_status() -> None:
    matrix = build(differences_fixture())
    page = parse(html.render(matrix))
    for cell in page.matrix_cells:
        if palette.NOT_RUN_CLASS in cell["classes"]:
            continue
        status = Status(cell["text"].strip())
        assert cell["status"] == palette.css_class(status)
        if status is not Status.PASS:
            assert palette.css_class(status) in cell["classes"]


def test_html_evidence_holds_message_example_and_details() -> None:
    doc = document(
        [
            result(
                "test_exit",
                "stdlib",
                "fork",
                "FAIL",
                message="exitcode was 1",
                example="Falsifying example: test_exit(code=3)",
                details="Traceback (most recent call last): boom",
            )
        ]
    )
    page = html.render(build([doc]))
    article = page.split('<article class="evidence"', 1)[1].split("</article>", 1)[0]
    evidence = article.split('id="ev-1"', 1)[1]
    assert '<pre class="message">exitcode was 1</pre>' in evidence
    assert '<pre class="example">Falsifying example: test_exit(code=3)</pre>' in evidence
    assert re.search(
        r"<details>.*Traceback \(most recent call last\): boom.*</details>", evidence, re.S
    )
    # The feature names its test once; the cell's line has its duration (and parameters only
    # beyond its column's backend and start method: none here).
    assert "<dd>test_lifecycle.py::test_exit</dd>" in article.split('id="ev-1"', 1)[0]
    assert "<code>[stdlib-fork]</code>" not in evidence
    assert "0.012s" in evidence
    # The matrix cell links to that evidence and repeats none of it (no per-cell tooltip).
    assert parse(page).matrix_cells[0]["links"] == [("#ev-1", None)]


def test_html_escapes_all_document_text() -> None:
    evil = '<script>alert("x")</script> it\'s'
    doc = document(
        [
            result(
                "test_exit",
                "stdlib",
                "fork",
                "FAIL",
                area=f"area {evil}",
                title=f"title {evil}",
                message=f"message {evil}",
                example=f"example {evil}",
                details=f"details {evil}",
            )
        ],
        pytest_args=[evil],
        leftovers=[evil],
    )
    doc["run"]["backends"][0]["description"] = evil
    doc["results"][0]["expected"] = ["FAIL"]  # accepted: its reason goes into an attribute
    page = html.render(build([doc], sources=[f"file {evil}.json"]))
    assert "<script" not in _without_own_script(page).lower()
    parsed = parse(page)
    assert parsed.tags.count("script") == 1  # the page's own filter script, nothing injected
    quoted = "message &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; it&#x27;s"
    assert f'title="accepted: {quoted}"' in page  # quotes survived inside the attribute
    for text in ("area", "title", "message", "example", "file"):
        assert f"{text} &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; it&#x27;s" in page
    # Element content (message and traceback in <pre>) needs no quoted quotes.
    for text in ("message", "details"):
        assert f'{text} &lt;script&gt;alert("x")&lt;/script&gt; it\'s</pre>' in page


def _without_own_script(page: str) -> str:
    """The page minus its one inline script (the filters), which is not document text."""
    start = page.index("<script>\n")
    return page[:start] + page[page.index("</script>", start) + len("</script>") :]


def test_html_is_self_contained() -> None:
    page = html.render(build(differences_fixture()))
    parsed = parse(page)
    assert parsed.tags.count("script") == 1 and "link" not in parsed.tags  # inline, no src
    assert parsed.srcs == []
    assert "://" not in page
    assert "@import" not in page and "url(" not in page
    assert "<style>" in page


def test_legend_shows_every_status_with_its_own_colour() -> None:
    page = parse(html.render(build(differences_fixture())))
    for status in Status:
        assert palette.css_class(status) in page.legend_classes
        assert status.value in page.legend_text
    assert palette.NOT_RUN_CLASS in page.legend_classes
    assert wording.BASIS_MARKER in page.legend_text

    css = palette.css()
    backgrounds = {}
    for status in Status:
        rule = re.search(rf"\.{palette.css_class(status)} {{ background: (#[0-9a-f]{{6}});", css)
        assert rule, status
        backgrounds[status] = rule.group(1)
    assert len(set(backgrounds.values())) == len(Status)


def test_not_run_cells_are_explicit_and_never_pass() -> None:
    doc = document(
        [
            result("test_a", "stdlib", "fork", line=1),
            result("test_b", "stdlib", "fork", line=2),
            result("test_a", "dummy", "thread", line=1),
        ]
    )
    matrix = build([doc])
    dummy = matrix.columns[1]
    assert matrix.cell(matrix.rows[1], dummy) is None
    assert matrix.summaries[dummy].not_run == 1
    assert matrix.summaries[dummy].counts == {Status.PASS: 1}

    cells = parse(html.render(matrix)).matrix_cells
    assert [c["text"] for c in cells] == ["PASS", "PASS", "PASS", wording.NOT_RUN]
    missing = cells[3]
    assert palette.NOT_RUN_CLASS in missing["classes"]
    assert missing["links"] == []
    assert palette.css_class(Status.PASS) not in missing["classes"]

    md_row = next(line for line in markdown.render(matrix).splitlines() if "test\\_b" in line)
    assert table_cells(md_row)[-2:] == ["PASS", wording.NOT_RUN]


def test_cpython_basis_is_marked_and_explained() -> None:
    doc = document(
        [
            result("test_documented", "stdlib", "fork", line=1),
            result("test_observed", "stdlib", "fork", line=2, basis="cpython"),
        ]
    )
    matrix = build([doc])
    md = markdown.render(matrix)
    rows = {table_cells(line)[0]: line for line in md.splitlines() if line.startswith("| test")}
    assert f"test\\_observed {wording.BASIS_MARKER}" in rows
    assert "test\\_documented" in rows
    assert wording.BASIS_MEANING in md

    page = parse(html.render(matrix))
    assert wording.BASIS_MEANING in page.legend_text
    headers = re.findall(r'<th scope="row" class="feature">(.*?)</th>', html.render(matrix))
    assert [wording.BASIS_MARKER in h for h in headers] == [False, True]


def test_run_metadata_and_warnings_are_shown() -> None:
    doc = document(
        [result("test_a", "stdlib", "fork")],
        interrupted=True,
        leftovers=["pid 42 (python)"],
        hypothesis={
            "version": "6.100",
            "profile": "thorough",
            "seed": "1234",
            "derandomize": False,
        },
    )
    matrix = build([doc])
    for text in (markdown.render(matrix), html.render(matrix)):
        assert "stdlib stdlib-1.0" in text
        assert "CPython 3.12.1" in text
        assert "thorough (seed 1234)" in text
        assert "2025-01-02T03:04:05+00:00" in text
        assert "was interrupted" in text
        assert "pid 42 (python)" in text


# -- Markdown ---------------------------------------------------------------------------------


def table_cells(line: str) -> list[str]:
    """Cells of one Markdown table line, splitting only on unescaped pipes."""
    inner = line.strip()[1:-1]
    return [c.strip() for c in re.split(r"(?<!\\)\|", inner)]


def markdown_tables(text: str) -> list[list[str]]:
    tables: list[list[str]] = []
    current: list[str] = []
    for line in text.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables


def test_markdown_tables_survive_pipes_and_newlines() -> None:
    doc = document(
        [
            result("test_exit", "stdlib", "fork", area="pipes | here", title="a | b\nc | d"),
            result(
                "test_exit",
                "dummy",
                "thread",
                "FAIL",
                area="pipes | here",
                title="a | b\nc | d",
                message="x | y\r\n| z |",
            ),
        ]
    )
    md = markdown.render(build([doc]))
    tables = markdown_tables(md)
    assert len(tables) >= 4  # legend, summary, matrix, backends, run
    for table in tables:
        widths = {len(table_cells(line)) for line in table}
        assert len(widths) == 1, table
    differences = md.split("## Differences from stdlib", 1)[1].split("\n## ", 1)[0]
    assert "### pipes \\| here" in differences
    assert "  - x \\| y\n" in differences  # the message's first line; the rest is in Details
    assert "**pipes \\| here**" in md


def test_markdown_escapes_html_and_markup() -> None:
    evil = "<script>*x*</script> &amp; & co"
    doc = document([result("test_exit", "stdlib", "fork", "FAIL", title=evil, message=evil)])
    md = markdown.render(build([doc], sources=["<script>evil</script>"]))
    outside_code = re.sub(r"^```text\n.*?^```$", "", md, flags=re.S | re.M)
    assert f"```text\n{evil}\n```" in md  # the message, literal inside a code block
    assert "<script" not in outside_code
    matrix_row = next(line for line in md.splitlines() if line.startswith("| test\\_exit"))
    assert table_cells(matrix_row)[1] == "&lt;script&gt;\\*x\\*&lt;/script&gt; &amp;amp; & co"
    assert "&lt;script&gt;evil&lt;/script&gt;" in outside_code


def test_markdown_links_non_pass_cells_to_their_details() -> None:
    matrix = build(differences_fixture())
    md = markdown.render(matrix)
    links = set(re.findall(r"\]\(#(ev-\d+)\)", md))
    anchors = set(re.findall(r'<a id="(ev-\d+)"></a>', md))
    non_pass = {c.anchor for c in matrix.ordered_cells() if c.status is not Status.PASS}
    assert links == anchors == non_pass
    assert len(non_pass) == 5


def test_markdown_details_use_safe_code_fences() -> None:
    example = "Falsifying example: f(s='```')"
    doc = document([result("test_exit", "stdlib", "fork", "FAIL", example=example)])
    md = markdown.render(build([doc]))
    assert f"````python\n{example}\n````" in md


# -- empty input and files --------------------------------------------------------------------


def test_empty_results_render_a_page_saying_no_tests_ran() -> None:
    doc = document([])
    doc["run"]["backends"] = [
        {"name": "stdlib", "version": "3.12.1", "start_methods": ["fork"], "description": ""}
    ]
    matrix = build([doc])
    assert matrix.rows == ()
    md = markdown.render(matrix)
    page = html.render(matrix)
    assert "No tests ran" in md and "No tests ran" in page
    assert "stdlib-fork" in md  # the declared column is still accounted for
    assert "no-tests" in parse(page).ids

    nothing = build([])
    assert "No tests ran" in markdown.render(nothing)
    assert "No tests ran" in html.render(nothing)


def test_render_all_writes_every_report(tmp_path: Any) -> None:
    out = tmp_path / "new" / "dir"
    docs = differences_fixture()
    paths = reports.render_all(docs, str(out))
    assert paths == [str(out / n) for n in ("report.md", "report.html", "junit.xml")]
    assert (out / "report.md").read_text(encoding="utf-8").startswith("# mpconform")
    assert (out / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(os.listdir(out)) == ["junit.xml", "report.html", "report.md", "repro"]

    # A second render replaces the files whole.
    reports.render_all([document([])], str(out))
    assert "No tests ran" in (out / "report.html").read_text(encoding="utf-8")
    assert sorted(os.listdir(out)) == ["junit.xml", "report.html", "report.md"]


def test_reports_are_readable_by_others(tmp_path: Any) -> None:
    previous = os.umask(0o022)
    try:
        paths = reports.render_all([document([])], str(tmp_path))
    finally:
        os.umask(previous)
    assert [os.stat(p).st_mode & 0o777 for p in paths] == [0o644] * 3


def test_render_all_writes_nothing_when_the_merge_is_refused(tmp_path: Any) -> None:
    one = document([result("test_exit", "stdlib", "fork", "PASS")])
    two = document([result("test_exit", "stdlib", "fork", "FAIL")])
    with pytest.raises(ConfigError):
        reports.render_all([one, two], str(tmp_path))
    assert os.listdir(tmp_path) == []


def test_reports_package_does_not_import_pytest() -> None:
    code = "import sys, mpconform.reports; print('pytest' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_score_short_of_perfect_never_reads_100_percent() -> None:
    rows = [result(f"test_{i}", "stdlib", "fork", line=i) for i in range(209)]
    rows.append(result("test_hang", "stdlib", "fork", "TIMEOUT", line=300))
    matrix = build([document(rows)])
    assert wording.score(matrix.summaries[matrix.columns[0]]) == "99% (209/210)"


def test_markdown_differences_are_one_entry_per_feature_grouped_by_area() -> None:
    rows = [
        result("test_exit", "stdlib", m, line=1, title="exit codes.") for m in ("fork", "spawn")
    ]
    rows += [
        result("test_exit", "billiard", m, "FAIL", line=1, title="exit codes.", message=f"m\n{m}")
        for m in ("fork", "spawn")
    ]
    rows.append(result("test_q", "billiard", "fork", "FAIL", line=2, area="Queues", message="q"))
    rows.append(result("test_q", "stdlib", "fork", line=2, area="Queues"))
    md = markdown.render(build([document(rows)]))
    section = md.split("## Differences from stdlib", 1)[1].split("\n## ", 1)[0]
    assert section.count("**exit codes.**") == 1
    assert "differs under billiard-fork ([FAIL](#" in section
    assert "billiard-spawn ([FAIL](#" in section
    assert section.count("  - m\n") == 1  # the shared first line once, the rest in Details
    assert section.index(f"### {LIFECYCLE}") < section.index("### Queues")


def test_heatmap_shares_count_conforming_and_accepted_over_what_applies() -> None:
    from mpconform.reports import heatmap

    hang = result("test_b", "billiard", "fork", "TIMEOUT", line=2)
    hang["expected"] = ["TIMEOUT"]
    rows = [
        result("test_a", "billiard", "fork", "PASS", line=1),
        hang,
        result("test_c", "billiard", "fork", "FAIL", line=3),
        result("test_d", "billiard", "fork", "UNSUPPORTED", line=4),
        result("test_q", "billiard", "fork", "PASS", line=5, area="Queues"),
    ]
    matrix = build([document(rows)])
    (column,) = matrix.columns
    found = heatmap.shares(matrix)
    assert found[(LIFECYCLE, column)] == heatmap.Share(conforming=2, applicable=3)
    assert found[("Queues", column)] == heatmap.Share(1, 1)
    assert heatmap.colour(found[("Queues", column)]) == heatmap.SCALE[4]
    assert heatmap.colour(heatmap.Share(0, 0)) == heatmap.EMPTY
    page = html.render(matrix)
    heat = page.split('<section id="heatmap">', 1)[1].split("</section>", 1)[0]
    assert ">2/3</a>" in heat and ">1/1</a>" in heat
    assert f"{html.ACCEPTED_MARK}</span>" in page.split('<section id="matrix">', 1)[1]


def test_the_example_reports_stay_small_and_link_only_scripts_they_ship() -> None:
    """reports/examples is committed: it must stay small enough to browse in a repository and
    every repro script it links must be there.

    The bound was 2 MB for four backends (12 columns); nine backends on two Pythons are 36
    columns, and the evidence each non-passing cell keeps is what a reader opens the example
    for, so the bound is 3 MB (2.77 MB when it was set, results archived as one .tar.xz)."""
    examples = Path(__file__).resolve().parents[1] / "reports" / "examples"
    size = sum(p.stat().st_size for p in examples.rglob("*") if p.is_file())
    assert size < 3_000_000, f"reports/examples is {size:,} bytes"
    text = (examples / "report.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\(repro/([^)]+\.py)\)", text))
    shipped = {p.name for p in (examples / "repro").iterdir()}
    assert linked == shipped
