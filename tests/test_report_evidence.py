"""The evidence sections tell an outcome once for every column where it happened the same way,
list declared gaps apart from behavioural differences, and keep every cell's own anchor."""

from __future__ import annotations

import re

from test_reports import document, parse, result

from mpconform.reports import api_coverage, evidence, html, markdown
from mpconform.reports.matrix import Matrix, build

MESSAGE = "AssertionError: notify(0) raised TypeError"
EXAMPLE = "Falsifying example: test_notify(\n    waiters=1,\n    n=0,\n)"


def _notify_matrix() -> Matrix:
    rows = [result("test_notify", "stdlib", m) for m in ("fork", "spawn", "forkserver")]
    rows += [
        result(
            "test_notify", "billiard", m, "FAIL", message=f"{MESSAGE}\n{EXAMPLE}", example=EXAMPLE
        )
        for m in ("fork", "spawn")
    ]
    rows.append(result("test_notify", "billiard", "forkserver", "FAIL", message="other"))
    return build([document(rows)])


def test_columns_that_failed_the_same_way_share_one_outcome() -> None:
    matrix = _notify_matrix()
    (feature,) = evidence.features(matrix)
    same, other = feature.outcomes
    assert [c.column.label for c in same.cells] == ["billiard-fork", "billiard-spawn"]
    assert [c.column.label for c in other.cells] == ["billiard-forkserver"]
    # The message no longer repeats the example it quoted; the example is shown whole.
    assert same.message == MESSAGE and same.example == EXAMPLE
    page = html.render(matrix)
    section = page.split('<section id="evidence">', 1)[1].split("</section>", 1)[0]
    assert section.count(MESSAGE) == 1 and section.count("waiters=1") == 1
    # Every non-PASS cell keeps its own anchor, and the matrix links land on them.
    anchors = {c.anchor for c in matrix.ordered_cells() if c.status.value == "FAIL"}
    assert anchors <= parse(page).ids
    md = markdown.render(matrix)
    details = md.split("## Details", 1)[1].split("\n## ", 1)[0]
    assert details.count(MESSAGE) == 1
    assert "**FAIL** in 2 columns:" in details and "**FAIL** in:" in details
    assert set(re.findall(r'<a id="(ev-\d+)"></a>', details)) == anchors


def test_a_message_cut_inside_its_example_loses_the_quote_not_the_example() -> None:
    message = f"{MESSAGE}\n{EXAMPLE[:25]}..."
    assert evidence.without_example(message, EXAMPLE) == MESSAGE
    # A message that quotes something else keeps it.
    assert evidence.without_example("x\nFalsifying example: f(2)", "Falsifying example: f(1)") == (
        "x\nFalsifying example: f(2)"
    )


def test_declared_gaps_are_listed_apart_from_behavioural_differences() -> None:
    rows = [result(f, "stdlib", "fork") for f in ("test_a", "test_b")]
    rows.append(
        result("test_a", "dummy", "thread", "UNSUPPORTED", message="threads, not processes")
    )
    rows.append(result("test_b", "dummy", "thread", "FAIL", message="wrong value"))
    matrix = build([document(rows)])
    section = html.render(matrix).split('<section id="differences">', 1)[1]
    section = section.split("</section>", 1)[0]
    articles = re.findall(r'<article class="difference">.*?</article>', section, re.S)
    assert len(articles) == 1 and "test_b" in articles[0] and "test_a" not in articles[0]
    (missing,) = re.findall(r'<ul class="missing">(.*?)</ul>', section, re.S)
    assert "test_a" in missing and "threads, not processes" in missing
    assert 'href="#ev-' in missing  # still a link to its evidence
    md = markdown.render(matrix).split("## Differences from stdlib", 1)[1].split("\n## ", 1)[0]
    assert "- test\\_a: UNSUPPORTED under [dummy-thread](#ev-" in md
    assert "**test\\_b behaves** (test\\_b)" not in md.split("Not supported", 1)[1]


def test_api_coverage_names_only_the_columns_where_not_all_passed() -> None:
    rows = []
    for python in ("3.11.7", "3.12.1"):
        found = [result("test_a", "stdlib", "fork"), result("test_a", "billiard", "fork")]
        if python.startswith("3.12"):
            found[1] = result("test_a", "billiard", "fork", "FAIL", message="m")
        for r in found:
            r["api"] = ["Process.join"]
        rows.append(document(found, python=python))
    matrix = build(rows)
    (checked,) = [c for c in api_coverage.checked(matrix, api_coverage.coverage(matrix))]
    assert checked.name == "Process.join" and checked.pythons == ("py3.11", "py3.12")
    assert [(c.label, text) for c, text in checked.exceptions] == [
        ("billiard-fork py3.12", "1 FAIL")
    ]
    assert "billiard-fork py3.12: 1 FAIL" in markdown.render(matrix)
