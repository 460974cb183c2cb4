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
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pngpixels import colour_counts
from test_reports import differences_fixture, parse

from mpconform.reports import html, palette
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
    found = [next(c for c in cell["classes"] if c.startswith("st-")) for cell in dom.matrix_cells]
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
        _chromium(tmp_path, path, "--window-size=1000,1800", f"--screenshot={shot}")
        width, height, counts = colour_counts(shot.read_bytes())
        assert (width, height) == (1000, 1800)
        assert counts["#ffffff"] < width * height * 0.95, "the screenshot is (nearly) blank"
        pixels[name] = counts
    fail, passed = palette.COLOURS[Status.FAIL][0], palette.COLOURS[Status.PASS][0]
    for status in (Status.PASS, Status.FAIL, Status.TIMEOUT, Status.CRASH):
        assert pixels["before.html"][palette.COLOURS[status][0]] > 0, status
    assert pixels["after.html"][fail] > pixels["before.html"][fail]
    assert pixels["after.html"][passed] < pixels["before.html"][passed]
