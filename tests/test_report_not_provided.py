"""A backend that provides only some areas (a Pool-only backend) has that said once, not a
difference, an evidence entry and an API exception per property of every other area."""

from __future__ import annotations

from test_reports import document, parse, result

from mpconform.reports import evidence, html, markdown
from mpconform.reports.matrix import Matrix, build

REASON = "ray provides only Pool: nothing else to check"


def _matrix(declared: bool = True) -> Matrix:
    rows = []
    for backend in ("stdlib", "ray"):
        rows.append(result("test_map", backend, "fork", area="Pool"))
        status = "UNSUPPORTED" if backend == "ray" else "PASS"
        message = REASON if backend == "ray" else ""
        for feature in ("test_put_get", "test_qsize"):
            rows.append(result(feature, backend, "fork", status, area="Queues", message=message))
    # A Pool property ray cannot run for a reason of its own stays an ordinary gap.
    rows.append(result("test_barrier_workers", "stdlib", "fork", area="Pool"))
    rows.append(
        result(
            "test_barrier_workers", "ray", "fork", "UNSUPPORTED", area="Pool", message="no Barrier"
        )
    )
    doc = document(rows)
    if declared:
        for backend in doc["run"]["backends"]:
            if backend["name"] == "ray":
                backend["areas"] = ["Pool"]
    return build([doc])


def test_cells_of_areas_not_provided_are_marked_and_have_no_evidence() -> None:
    matrix = _matrix()
    outside = [c for c in matrix.ordered_cells() if c.outside]
    assert sorted(c.row.feature for c in outside) == ["test_put_get", "test_qsize"]
    assert all(c.column.backend == "ray" for c in outside)
    assert not any(evidence.has_evidence(c) for c in outside)
    # Not differences: the features of the Queues area are not listed; the Pool gap is.
    listed = {d.cell.row.feature for d in matrix.differences}
    assert listed == {"test_barrier_workers"}


def test_both_renderers_say_it_once_per_backend() -> None:
    matrix = _matrix()
    page = html.render(matrix)
    differences = page.split('<section id="differences">', 1)[1].split("</section>", 1)[0]
    assert differences.count("ray (") == 1
    assert "the 2 properties of its other areas read UNSUPPORTED without running" in differences
    assert "test_put_get" not in differences and "test_barrier_workers" in differences
    cells = [c for c in parse(page).matrix_cells if c["text"].strip() == "n/a"]
    assert len(cells) == 2 and all(c["links"] == [] for c in cells)
    md = markdown.render(matrix)
    assert md.count("provides only Pool: the 2 properties") == 1
    assert (
        "test\\_put\\_get" not in md.split("## Differences from stdlib", 1)[1].split("\n## ", 1)[0]
    )


def test_without_the_declaration_each_cell_is_an_ordinary_gap() -> None:
    """Results written before BackendInfo.areas existed read as they always did."""
    matrix = _matrix(declared=False)
    assert not any(c.outside for c in matrix.ordered_cells())
    assert {d.cell.row.feature for d in matrix.differences} == {
        "test_put_get",
        "test_qsize",
        "test_barrier_workers",
    }
