"""Each option is one row of options.OPTIONS: mpconform run offers it, forwards it to its
pytest processes under the plugin's name, and reads its environment variable."""

from __future__ import annotations

import pytest

from mpconform import cli, options

GIVEN = {
    "backend": "stdlib",
    "start-method": "fork",
    "profile": "dev",
    "timeout": "5",
    "stress-seconds": "1.5",
    "shard": "1/2",
    "expectations": "expected.txt",
    "peer-python": "/usr/bin/python3.12",
}


def test_every_cli_option_reaches_pytest_under_its_plugin_name() -> None:
    argv = ["run", "--run-known-failures", "--seed", "3", "-k", "queue"]
    for name, value in GIVEN.items():
        argv += [f"--{name}", value]
    assert {o.name for o in options.OPTIONS if o.cli} == {*GIVEN, "run-known-failures"}
    args = cli._parser().parse_args(argv)
    args.values = options.from_namespace(args)
    args.suite = None
    cmd = cli.pytest_command(args, "/reports/job1")
    for name, value in GIVEN.items():
        at = cmd.index(f"--mp-{name}")
        assert cmd[at + 1].endswith(value), (name, cmd[at + 1])
    assert "--mp-run-known-failures" in cmd
    assert cmd[cmd.index("--mp-report-dir") + 1] == "/reports/job1"
    assert cmd[cmd.index("--hypothesis-seed") + 1] == "3"


def test_the_environment_fills_what_the_command_line_left_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MPCONFORM_TIMEOUT", "7")
    monkeypatch.setenv("MPCONFORM_RUN_KNOWN_FAILURES", "1")
    monkeypatch.setenv("MPCONFORM_PROFILE", "dev")
    args = cli._parser().parse_args(["run", "--profile", "ci"])
    values = options.from_namespace(args)
    assert values["timeout"] == ["7"] and values["run-known-failures"] == ["1"]
    assert values["profile"] == ["ci"]  # the command line wins


def test_one_validation_path_for_both() -> None:
    """What the plugin would refuse, the CLI refuses before starting anything."""
    bad_values = [
        ("stress-seconds", "inf"),
        ("timeout", "-1"),
        ("shard", "0/2"),
        ("peer-python", "/nonexistent/python3.12"),
    ]
    for name, bad in bad_values:
        with pytest.raises(options.ConfigError, match=f"--{name}"):
            options.settings({name: [bad]}, activate=False)


def test_the_readme_table_lists_every_plugin_option() -> None:
    """The README's option table is written by hand: a new row of OPTIONS must reach it."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    listed = set(re.findall(r"^\| `(--mp-[a-z-]+)` \|", readme, re.M))
    assert listed == {option.pytest_flag for option in options.OPTIONS}
