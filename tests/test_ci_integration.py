"""What a backend project wires into its CI: the reusable workflow and ``mpconform verdict``.

GitHub cannot be run here, so the workflow is checked for what breaks such files silently:
inputs referenced but not declared, and mpconform invocations the CLI would reject.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import yaml
from test_reports import document, result

from mpconform import cli, options

WORKFLOW = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "mpconform.yml"


def _workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text())


def _scripts(doc: dict[str, Any]) -> list[str]:
    return [step["run"] for job in doc["jobs"].values() for step in job["steps"] if "run" in step]


def test_every_input_the_workflow_uses_is_declared() -> None:
    doc = _workflow()
    declared = set(doc[True]["workflow_call"]["inputs"])  # YAML 1.1 reads "on" as True
    used = set(re.findall(r"inputs\.([\w-]+)", WORKFLOW.read_text()))
    assert used == declared


def test_the_workflow_calls_mpconform_as_the_cli_accepts() -> None:
    """The run step builds its arguments in a bash array; rebuild it with sample values."""
    scripts = "\n".join(_scripts(_workflow()))
    array = re.search(r"args=\((.*?)\)", scripts, re.S).group(1)
    argv = shlex.split(array.replace("\n", " "))
    values = {"$BACKEND": "stdlib", "$PROFILE": "ci", "$SHARD": "1/2", "$METHODS": "fork"}
    argv = [values.get(a, a) for a in argv]
    extra = re.findall(r"args\+=\((.*?)\)", scripts)
    argv += [values.get(a, a) for part in extra for a in shlex.split(part)]
    parsed = cli._parser().parse_args(argv)
    given = options.from_namespace(parsed)
    assert (parsed.command, given["shard"], parsed.report) == ("run", ["1/2"], "mpconform-report")
    for line in re.findall(r"^\s*mpconform (report|verdict) (.*)$", scripts, re.M):
        assert cli._parser().parse_args([line[0], *shlex.split(line[1])]).command == line[0]


def _write(path: Path, results: list) -> str:
    path.write_text(json.dumps(document(results)))
    return str(path)


def test_verdict_judges_merged_shards_with_their_expectations(tmp_path: Path, capsys) -> None:
    fine = _write(tmp_path / "1.json", [result("a", "stdlib", "fork")])
    accepted = result("b", "stdlib", "spawn", "TIMEOUT")
    accepted["expected"] = ["TIMEOUT"]
    also_fine = _write(tmp_path / "2.json", [accepted])
    failing = _write(tmp_path / "3.json", [result("c", "stdlib", "spawn", "FAIL")])
    assert cli.main(["verdict", fine, also_fine]) == 0
    assert "1 TIMEOUT" in capsys.readouterr().out
    assert cli.main(["verdict", fine, failing]) == 1
    assert "FAIL: test_lifecycle.py::c[stdlib-spawn]" in capsys.readouterr().out
    empty = _write(tmp_path / "4.json", [])
    assert cli.main(["verdict", empty]) == 2
