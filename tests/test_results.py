"""The results file round-trips and corrupt files are refused with one line."""

from __future__ import annotations

import json

import pytest

from mpconform import results
from mpconform.errors import ConfigError


def make_result(**overrides):
    base = dict(
        nodeid="t.py::test_x[stdlib-fork]",
        module="t",
        line=1,
        area="A",
        feature="test_x",
        title="x",
        basis="docs",
        backend="stdlib",
        start_method="fork",
        status="PASS",
        duration=0.1,
    )
    base.update(overrides)
    return results.TestResult(**base)


def test_round_trip(tmp_path):
    doc = results.document(results.RunInfo(started=results.now()), [make_result()])
    path = tmp_path / "r.json"
    results.write(str(path), doc)
    assert results.load(str(path)) == doc
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temp file left


@pytest.mark.parametrize(
    "content, expected",
    [
        ("{", "is not valid JSON"),
        ("[]", "is not an mpconform results file"),
        (
            '{"format": "mpconform-results", "format_version": 99, "run": {}, "results": []}',
            "format_version 99",
        ),
        (
            '{"format": "mpconform-results", "format_version": 1, "run": {}, "results": [1]}',
            "results[0] is not an object",
        ),
        (
            '{"format": "mpconform-results", "format_version": 1, "run": {}, '
            '"results": [{"nodeid": "a", "backend": "b", "start_method": "c", "status": "MEH"}]}',
            "has status 'MEH'",
        ),
    ],
)
def test_corrupt_files_are_refused(tmp_path, content, expected):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        results.load(str(path))


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        results.load(str(tmp_path / "none.json"))


def test_results_are_ordered_by_definition_within_area():
    late = make_result(nodeid="t.py::test_b[stdlib-fork]", line=50)
    early = make_result(nodeid="t.py::test_z[stdlib-fork]", line=10)
    doc = results.document(results.RunInfo(started=results.now()), [late, early])
    assert [r["line"] for r in doc["results"]] == [10, 50]
    json.dumps(doc)  # serialisable as is
