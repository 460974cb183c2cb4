"""The report's stress section: a table and a bar chart per workload, figures next to verdicts."""

from __future__ import annotations

from test_reports import document, parse, result

from mpconform.reports import html, markdown
from mpconform.reports.matrix import build

AREA = "Stress: workloads"


def _workload(backend: str, method: str, status: str = "PASS", **metrics) -> dict:
    row = result("test_lock_contention", backend, method, status, area=AREA, line=5)
    row["metrics"] = metrics
    return row


def _docs() -> list:
    return [
        document(
            [
                _workload(
                    "stdlib",
                    "fork",
                    ops_per_s=50000.0,
                    operations=100000,
                    seconds=2.0,
                    violations=0,
                    overhead_ratio=1.4,
                ),
                _workload(
                    "stdlib",
                    "spawn",
                    ops_per_s=25000.0,
                    operations=50000,
                    seconds=2.0,
                    violations=0,
                ),
                result("test_plain", "stdlib", "fork", line=1),  # no metrics: not a workload
            ]
        ),
        document(
            [
                _workload(
                    "billiard",
                    "fork",
                    "FAIL",
                    ops_per_s=1000.0,
                    violations=3,
                    outcome_after_kill="lock stays held <b>",
                )
            ]
        ),
    ]


def test_each_workload_gets_a_chart_with_a_bar_per_column_scaled_to_the_fastest() -> None:
    page = html.render(build(_docs()))
    section = page[
        page.index('<section id="stress">') : page.index(
            "</section>", page.index('<section id="stress">')
        )
    ]
    assert section.count("<svg") == 1  # one workload
    assert section.count("<rect") == 3  # one bar per column with a figure
    assert 'width="360.0"' in section  # the fastest fills the chart
    assert 'width="180.0"' in section  # half as fast, half as long
    assert "lock stays held &lt;b&gt;" in section and "overhead_ratio=1.4" in section
    assert "test_plain" not in section
    parsed = parse(page)
    assert "stress" in parsed.sections
    assert "#e53935" in section  # the failing run's bar is in the FAIL colour


def test_markdown_lists_the_figures_with_the_verdict() -> None:
    text = markdown.render(build(_docs()))
    stress = text[text.index("## Stress") :]
    assert "| stdlib-fork | PASS | 50,000.0 | 100,000 | 2 | 0 | overhead\\_ratio=1.4 |" in stress
    assert "| billiard-fork | [FAIL](#" in stress


def test_no_stress_section_without_metrics() -> None:
    docs = [document([result("test_plain", "stdlib", "fork")])]
    assert 'id="stress"' not in html.render(build(docs))
    assert "## Stress" not in markdown.render(build(docs))
