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


def test_the_typed_record_is_what_is_written_and_what_is_read_back(tmp_path):
    backend = results.BackendInfo("billiard", start_methods=["fork"], modules={"fork": "billiard"})
    run = results.RunInfo(started=results.now(), backends=[backend])
    written = make_result(api=["Process.exitcode"], metrics={"ops": 3})
    path = tmp_path / "r.json"
    results.write(str(path), results.document(run, [written]))
    typed = results.read(results.load(str(path)))
    assert typed.results == [written]
    assert typed.run.backends == [backend]
    assert json.loads(path.read_text())["format_version"] == results.FORMAT_VERSION == 2


def test_a_gzipped_results_file_is_read_like_a_plain_one(tmp_path):
    import gzip

    doc = results.document(results.RunInfo(started=results.now()), [make_result()])
    path = tmp_path / "r.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        json.dump(doc, fh)
    assert results.load(str(path)) == doc
    (tmp_path / "bad.json.gz").write_bytes(b"not gzip")
    with pytest.raises(ConfigError, match="cannot read results file"):
        results.load(str(tmp_path / "bad.json.gz"))


def test_a_version_1_file_is_still_read_with_the_fields_it_did_not_have():
    """Version 1 had no backends[].modules and older writers no api: both read as empty."""
    old = {
        "format": "mpconform-results",
        "format_version": 1,
        "run": {"started": "2025-01-01T00:00:00+00:00", "backends": [{"name": "dummy"}]},
        "results": [
            {
                "nodeid": "t.py::test_x[dummy-thread]",
                "backend": "dummy",
                "start_method": "thread",
                "status": "FAIL",
                "message": "m",
            }
        ],
    }
    typed = results.read(old)
    assert typed.run.backends[0].modules == {}  # it declared no start methods
    old["run"]["backends"] = [
        {"name": "dummy", "start_methods": ["thread"]},
        {"name": "custom", "spec": "pkg:adapter", "start_methods": ["fork"]},
    ]
    built_in, custom = results.read(old).run.backends
    assert built_in.modules == {"thread": "multiprocessing.dummy"}
    assert custom.modules == {}
    (result,) = typed.results
    assert (result.feature, result.area, result.api, result.message) == (
        "test_x",
        "unknown",
        [],
        "m",
    )


def test_a_record_missing_a_required_field_is_refused_in_one_line():
    doc = {"format": "mpconform-results", "format_version": 2, "run": {}, "results": []}
    with pytest.raises(ConfigError, match=r"is corrupt: .*started"):
        results.read(doc, "r.json")


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


def test_an_archive_of_results_files_reads_as_its_documents(tmp_path) -> None:
    """The examples keep their runs in one .tar.xz; each member is read and validated."""
    import io
    import json as _json
    import tarfile

    doc = results.document(results.RunInfo(started=results.now()), [make_result()])
    archive = tmp_path / "results.tar.xz"
    with tarfile.open(archive, "w:xz") as tar:
        for name, body in [("b.json", doc), ("a.json", doc), ("notes.txt", None)]:
            data = b"x" if body is None else _json.dumps(body).encode()
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    found = results.load_all(str(archive))
    assert [name for name, _ in found] == [f"{archive}:a.json", f"{archive}:b.json"]
    broken = tmp_path / "broken.tar.xz"
    with tarfile.open(broken, "w:xz") as tar:
        member = tarfile.TarInfo("bad.json")
        member.size = 3
        tar.addfile(member, io.BytesIO(b"{{{"))
    with pytest.raises(ConfigError, match=r"bad\.json is not valid JSON"):
        results.load_all(str(broken))
