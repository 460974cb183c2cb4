"""``mpconform diff``: changes between two runs, most urgent first, with an exit code for CI."""

from __future__ import annotations

import json
from typing import Any

from test_reports import document, result

from mpconform import cli
from mpconform.reports import changes


def test_changes_are_grouped_by_meaning_with_regressions_first() -> None:
    old = document(
        [
            result("steady", "stdlib", "fork"),
            result("breaks", "stdlib", "fork"),
            result("heals", "stdlib", "fork", "FAIL"),
            result("worsens", "stdlib", "fork", "FAIL"),
            result("vanishes", "stdlib", "fork"),
            result("drops", "stdlib", "fork"),
            result("skipped_to_unsupported", "stdlib", "fork", "SKIP"),
        ]
    )
    new = document(
        [
            result("steady", "stdlib", "fork"),
            result("breaks", "stdlib", "fork", "TIMEOUT", message="hung in join()\nmore"),
            result("heals", "stdlib", "fork"),
            result("worsens", "stdlib", "fork", "CRASH"),
            result("drops", "stdlib", "fork", "UNSUPPORTED"),
            result("skipped_to_unsupported", "stdlib", "fork", "UNSUPPORTED"),
            result("arrives_broken", "stdlib", "fork", "FAIL"),
            result("arrives", "stdlib", "fork"),
        ]
    )
    found = changes.compare(old, new)
    summary = [(c.kind, c.key[0].split("::")[1].split("[")[0]) for c in found]
    assert summary == [
        ("regressions", "breaks"),
        ("new failures", "arrives_broken"),
        ("changed failures", "worsens"),
        ("lost coverage", "drops"),
        ("fixes", "heals"),
        ("other changes", "skipped_to_unsupported"),
        ("new tests", "arrives"),
        ("removed tests", "vanishes"),
    ]
    text = changes.render(found, "old.json", "new.json")
    assert text.index("regressions (1)") < text.index("fixes (1)")
    assert "PASS -> TIMEOUT" in text and "hung in join()" in text and "more" not in text


def test_the_same_test_on_another_python_is_another_result() -> None:
    old = document([result("a", "stdlib", "fork")], python="3.11.4")
    new = document([result("a", "stdlib", "fork", "FAIL")], python="3.12.0")
    kinds = sorted(c.kind for c in changes.compare(old, new))
    assert kinds == ["new failures", "removed tests"]


def _write(path: Any, doc: dict) -> str:
    path.write_text(json.dumps(doc))
    return str(path)


def test_diff_command_exits_1_only_on_regressions_or_new_failures(tmp_path: Any, capsys) -> None:
    passing = _write(tmp_path / "a.json", document([result("a", "stdlib", "fork")]))
    failing = _write(tmp_path / "b.json", document([result("a", "stdlib", "fork", "FAIL")]))
    assert cli.main(["diff", passing, failing]) == 1
    assert "regressions (1)" in capsys.readouterr().out
    assert cli.main(["diff", failing, passing]) == 0
    assert "fixes (1)" in capsys.readouterr().out
    assert cli.main(["diff", passing, passing]) == 0
    assert capsys.readouterr().out.startswith("no changes between")


def test_diff_of_a_missing_file_is_one_line_and_exit_2(tmp_path: Any, capsys) -> None:
    passing = _write(tmp_path / "a.json", document([result("a", "stdlib", "fork")]))
    assert cli.main(["diff", passing, str(tmp_path / "nope.json")]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and err.count("\n") == 1
