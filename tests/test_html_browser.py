"""report.html as a real browser renders it (headless Chromium), not only as a parser reads it.

Two things a parser-level test cannot see: that the browser builds the same grid from the
markup (an unbalanced tag is silently repaired into a different table), and that the status
colours reach the screen. The screenshot check compares two renderings that differ in exactly
one cell, so it does not depend on fonts or layout: the FAIL colour must gain pixels and the
PASS colour lose them.

Skipped only when no Chromium is installed; ``.ci/run`` installs it and sets
MPCONFORM_REQUIRE_BROWSER=1, which turns that skip into a failure.
"""

from __future__ import annotations

import contextlib
import copy
import os
import random
import re
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pngpixels import colour_counts
from test_reports import differences_fixture, document, parse, result

from mpconform.reports import heatmap, html, palette
from mpconform.reports.matrix import build
from mpconform.status import Status

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER_LIMIT = 120  # seconds: a liveness bound for one headless invocation


def _browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("MPCONFORM_REQUIRE_BROWSER") == "1":
        pytest.fail("MPCONFORM_REQUIRE_BROWSER=1 but no Chromium is on PATH")
    pytest.skip("no Chromium on PATH (Debian: apt-get install chromium); the HTML is untested")


def _chromium(tmp_path: Path, page: Path, *args: str) -> str:
    """Run one headless invocation in its own session, killed whole if it outlives the bound."""
    cmd = [
        _browser(),
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where the sandbox refuses to start
        "--disable-gpu",
        "--no-first-run",
        # No network here: without these Chromium keeps trying to reach Google's services.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
        page.as_uri(),
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=BROWSER_LIMIT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"Chromium did not finish within {BROWSER_LIMIT} s")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # its helpers, should any outlive it
    assert proc.returncode == 0, err[-2000:]
    return out


def _page(tmp_path: Path, docs: list[dict[str, Any]], name: str) -> tuple[Any, Path]:
    matrix = build(docs)
    path = tmp_path / name
    path.write_text(html.render(matrix), encoding="utf-8")
    return matrix, path


def test_the_browser_builds_the_grid_the_matrix_describes(tmp_path: Path) -> None:
    docs = differences_fixture()
    docs[1]["results"][0]["message"] = "</td></tr></table><b>not markup</b> | & <!--"
    matrix, path = _page(tmp_path, docs, "report.html")
    dom = parse(_chromium(tmp_path, path, "--dump-dom"))
    expected = [
        palette.css_class(cell.status) if cell is not None else palette.NOT_RUN_CLASS
        for row in matrix.rows
        for cell in (matrix.cell(row, column) for column in matrix.columns)
    ]
    found = [cell["status"] for cell in dom.matrix_cells]
    assert found == expected
    assert "b" not in dom.tags  # the hostile message stayed text
    assert {"matrix", "differences"} <= set(dom.sections)


def test_status_colours_reach_the_screen(tmp_path: Path) -> None:
    docs = differences_fixture()
    changed = copy.deepcopy(docs)
    changed[0]["results"][0]["status"] = "FAIL"  # stdlib-fork test_exit: PASS -> FAIL
    pixels = {}
    for name, variant in (("before.html", docs), ("after.html", changed)):
        _, path = _page(tmp_path, variant, name)
        shot = tmp_path / f"{name}.png"
        _chromium(tmp_path, path, "--window-size=1000,4000", f"--screenshot={shot}")
        width, height, counts = colour_counts(shot.read_bytes())
        assert (width, height) == (1000, 4000)
        assert counts["#ffffff"] < width * height * 0.95, "the screenshot is (nearly) blank"
        pixels[name] = counts
    fail, passed = palette.COLOURS[Status.FAIL][0], palette.COLOURS[Status.PASS][0]
    for status in (Status.PASS, Status.FAIL, Status.TIMEOUT, Status.CRASH):
        assert pixels["before.html"][palette.COLOURS[status][0]] > 0, status
    assert pixels["after.html"][fail] > pixels["before.html"][fail]
    assert pixels["after.html"][passed] < pixels["before.html"][passed]


# -- the overview of a large report, as a reader's browser shows it ---------------------------

AREAS = ("Process lifecycle", "Pipes and connections", "Queues", "Locks", "Pool", "Managers")
COLUMNS = {
    "stdlib": ("fork", "spawn", "forkserver"),
    "dummy": ("thread",),
    "billiard": ("fork", "spawn", "forkserver"),
    "multiprocess": ("fork", "spawn", "forkserver"),
}


def four_backend_documents(features_per_area: int = 40) -> list[dict[str, Any]]:
    """Two Pythons x four backends (ten columns each), 240 features: mostly PASS, some of each
    kind of trouble, a documented hang accepted everywhere, thread-less features UNSUPPORTED."""
    rng = random.Random(16)
    docs = []
    for python in ("3.11.7", "3.12.1"):
        rows = []
        for a, area in enumerate(AREAS):
            for f in range(features_per_area):
                feature = f"test_{area.split()[0].lower()}_{f}"
                title = f"{area}: property number {f} holds in every process, whatever the example."
                for backend, methods in COLUMNS.items():
                    for method in methods:
                        status = "PASS"
                        if backend == "dummy" and f % 3 == 0:
                            status = "UNSUPPORTED"
                        elif backend != "stdlib" and rng.random() < 0.08:
                            status = rng.choice(["FAIL", "FAIL", "TIMEOUT", "CRASH"])
                        one = result(
                            feature,
                            backend,
                            method,
                            status,
                            area=area,
                            line=a * 1000 + f,
                            title=title,
                            message="" if status == "PASS" else f"{status.lower()}: it differs",
                        )
                        if f == 0 and area == "Pool":  # CPython's documented hang
                            one["status"], one["expected"] = "TIMEOUT", ["TIMEOUT"]
                            one["message"] = "hung, as CPython does"
                        rows.append(one)
        docs.append(document(rows, python=python))
    return docs


def _with_check(tmp_path: Path, page: Path, script: str) -> Path:
    """The page with a script run after its own, which writes its findings into the DOM."""
    text = page.read_text(encoding="utf-8").replace(
        "</body>", f"<script>\n{script}\n</script>\n</body>"
    )
    checked = tmp_path / f"checked-{page.name}"
    checked.write_text(text, encoding="utf-8")
    return checked


def _attribute(dom: str, name: str) -> str:
    found = re.search(rf'{name}="([^"]*)"', dom)
    assert found, f"the check script wrote no {name}"
    return found.group(1)


@pytest.fixture(scope="module")
def big_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    tmp_path = tmp_path_factory.mktemp("big")
    matrix, path = _page(tmp_path, four_backend_documents(), "report.html")
    return matrix, path


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_the_overview_fits_the_window_and_its_heatmap_is_coloured(
    tmp_path: Path, big_report: tuple[Any, Path], size: tuple[int, int]
) -> None:
    matrix, page = big_report
    width, height = size
    assert len(matrix.columns) == 20 and len(matrix.rows) == 240
    shot = tmp_path / "top.png"
    _chromium(tmp_path, page, f"--window-size={width},{height}", f"--screenshot={shot}")
    got_width, got_height, counts = colour_counts(shot.read_bytes())
    assert (got_width, got_height) == size
    scale = [background for background, _ in heatmap.SCALE]
    assert sum(counts[c] > 0 for c in scale) >= 2, "the heatmap is not on the first screen"
    check = (
        "document.body.setAttribute('data-scroll', String("
        "document.documentElement.scrollWidth - window.innerWidth));"
        "document.body.setAttribute('data-heat', String("
        "document.querySelectorAll('#heatmap td.heat').length));"
    )
    dom = _chromium(
        tmp_path,
        _with_check(tmp_path, page, check),
        f"--window-size={width},{height}",
        "--dump-dom",
    )
    assert int(_attribute(dom, "data-scroll")) <= 0, "the page scrolls sideways"
    assert int(_attribute(dom, "data-heat")) == len(AREAS) * len(matrix.columns)


def test_a_click_on_a_status_filter_hides_the_other_rows(
    tmp_path: Path, big_report: tuple[Any, Path]
) -> None:
    matrix, page = big_report
    crashed = {
        row.name
        for row in matrix.rows
        for column in matrix.columns
        if (cell := matrix.cell(row, column)) is not None and cell.status is Status.CRASH
    }
    assert 0 < len(crashed) < len(matrix.rows)
    check = (
        "function shown() { return document.querySelectorAll("
        "'#matrix tr.feature-row:not([hidden])').length; }"
        "document.body.setAttribute('data-before', String(shown()));"
        "document.querySelector('#matrix button[data-status=\"CRASH\"]').click();"
        "document.body.setAttribute('data-after', String(shown()));"
        "document.body.setAttribute('data-empty', String(Array.prototype.filter.call("
        "document.querySelectorAll('#matrix details.area:not([hidden])'), function (d) {"
        " return !d.querySelector('tr.feature-row:not([hidden])'); }).length));"
        "document.querySelector('#matrix button[data-status=\"accepted\"]').click();"
        "document.body.setAttribute('data-accepted', String(shown()));"
        "document.querySelector('#matrix button[data-status=\"PASS\"]').click();"
        "document.body.setAttribute('data-passed', String(shown()));"
        "document.querySelector('#matrix button[data-status=\"\"]').click();"
        "document.body.setAttribute('data-again', String(shown()));"
        # A heatmap cell filters the matrix to its column (named by index in the heatmap).
        "document.querySelectorAll('#heatmap a[data-col=\"7\"]')[0].click();"
        "document.body.setAttribute('data-columns', String(document.querySelectorAll("
        "'#area-0 th[data-col]:not([hidden])').length));"
        "document.body.setAttribute('data-backend', document.getElementById('filter-backend')"
        ".value + ' ' + document.getElementById('filter-method').value + ' ' +"
        " document.getElementById('filter-python').value);"
    )
    dom = _chromium(tmp_path, _with_check(tmp_path, page, check), "--dump-dom")
    assert int(_attribute(dom, "data-before")) == len(matrix.rows)
    assert int(_attribute(dom, "data-after")) == len(crashed)
    assert int(_attribute(dom, "data-empty")) == 0, "an area with no row left is still shown"
    accepted = {
        row.name
        for row in matrix.rows
        for cell in matrix.cells.values()
        if cell.row is row and cell.accepted
    }
    assert int(_attribute(dom, "data-accepted")) == len(accepted) > 0
    # A plain PASS cell carries no class: the filter still finds it.
    passed = {c.row.name for c in matrix.cells.values() if c.status is Status.PASS}
    assert int(_attribute(dom, "data-passed")) == len(passed) > 0
    assert int(_attribute(dom, "data-again")) == len(matrix.rows)
    column = matrix.columns[7]
    assert _attribute(dom, "data-backend") == (
        f"{column.backend} {column.start_method} {column.python}"
    )
    assert int(_attribute(dom, "data-columns")) == 1
