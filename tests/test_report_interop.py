"""The interop table pivots the interop cells: one line per column that ran them, a pair of
cells (client, server) per peer, each the worst status of its properties."""

from __future__ import annotations

from typing import Any

from test_reports import document, parse, result

from mpconform.reports import evidence, html, interop, markdown
from mpconform.reports.matrix import build

AREA = "Interop across backends and Pythons"
ROLE_OF = {
    "test_client_echo": "client",
    "test_client_refused": "client",
    "test_server_echo": "server",
}
NAMES = {
    "same-python": "CPython 3.12.1 multiprocessing",
    "across-3.12": "CPython 3.11.7 multiprocessing",
}


def cell(
    feature: str, backend: str, method: str, variant: str, status: str = "PASS", **kw: Any
) -> dict[str, Any]:
    found = result(feature, backend, method, status, area=AREA, variant=variant, **kw)
    named = status != "SKIP"  # a skipped property never reached its peer
    found["peer"] = {"role": ROLE_OF[feature], "name": NAMES[variant] if named else ""}
    return found


def _matrix() -> Any:
    rows = []
    for feature in ROLE_OF:
        for variant in NAMES:
            rows.append(cell(feature, "stdlib", "fork", variant))
            rows.append(
                cell(feature, "stdlib", "spawn", variant, "SKIP", message="one start method")
            )
            failing = feature == "test_client_refused" and variant == "across-3.12"
            status = "FAIL" if failing else "PASS"
            rows.append(
                cell(
                    feature,
                    "billiard",
                    "fork",
                    variant,
                    status,
                    message="no dill there" if failing else "",
                )
            )
    return build([document(rows)])


def test_one_line_per_column_that_ran_and_a_pair_per_peer() -> None:
    table = interop.table(_matrix())
    assert table is not None
    assert table.peers == ("same-python", "across-3.12")
    assert [line.column.label for line in table.lines] == ["stdlib-fork", "billiard-fork"]
    stdlib, billiard = table.lines
    assert [p.text for p in stdlib.pairs] == ["PASS 2/2", "PASS 1/1", "PASS 2/2", "PASS 1/1"]
    client_across = billiard.pairs[2]
    assert client_across.text == "FAIL 1/2"
    assert client_across.first_exception is not None
    assert client_across.first_exception.row.feature == "test_client_refused"
    assert client_across.peer_name == "CPython 3.11.7 multiprocessing"
    # Its evidence line names the peer variant, not the column's backend and start method.
    assert evidence.parameters(client_across.first_exception) == "[across-3.12]"


def test_both_renderers_show_the_pairs_and_link_the_failing_one() -> None:
    matrix = _matrix()
    failing = interop.table(matrix).lines[1].pairs[2].first_exception
    page = html.render(matrix)
    section = page.split('<section id="interop">', 1)[1].split("</section>", 1)[0]
    assert section.count("<tr>") == 2 + 2  # two header rows, two lines
    assert f'<a href="#{failing.anchor}">FAIL 1/2</a>' in section
    assert 'title="CPython 3.11.7 multiprocessing"' in section
    assert failing.anchor in parse(page).ids
    md = markdown.render(matrix).split("\n## Interop\n", 1)[1].split("\n## ", 1)[0]
    assert "| billiard-fork | PASS 2/2 (CPython 3.12.1 multiprocessing) |" in md
    assert f"[FAIL 1/2](#{failing.anchor}) (CPython 3.11.7 multiprocessing)" in md


def test_no_table_without_interop_cells() -> None:
    matrix = build([document([result("test_start", "stdlib", "fork")])])
    assert interop.table(matrix) is None
    assert 'id="interop"' not in html.render(matrix)
    assert "## Interop" not in markdown.render(matrix)


def test_a_backend_without_the_area_gets_no_line() -> None:
    """A Pool-only backend's interop cells are UNSUPPORTED without running: nothing to pivot."""
    rows = [cell("test_client_echo", "stdlib", "fork", "same-python")]
    rows.append(
        cell(
            "test_client_echo",
            "ray",
            "cluster",
            "same-python",
            "UNSUPPORTED",
            message="ray provides only Pool: nothing else to check",
        )
    )
    doc = document(rows)
    for backend in doc["run"]["backends"]:
        if backend["name"] == "ray":
            backend["areas"] = ["Pool"]
    table = interop.table(build([doc]))
    assert [line.column.label for line in table.lines] == ["stdlib-fork"]
