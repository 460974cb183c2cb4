"""Shared by the meta-tests: run a selection of properties against a mutant in a child pytest
and read the verdicts back, refusing FAILs that only prove the mutant itself is broken."""

from __future__ import annotations

import re
from typing import Any

from childrun import suite_args

# A FAIL raised by one of these is the mutant's own code breaking (a typo, a missing attribute),
# which would satisfy "must FAIL" while proving nothing about the property.
OWN_ERRORS = re.compile(
    r"^[\s|]*(AttributeError|TypeError|NameError|ImportError|UnboundLocalError)\b", re.M
)


def run_selection(
    child_run: Any,
    modules: tuple[str, ...],
    backend: str,
    tests: tuple[str, ...],
    start_method: str = "fork",
    select: str = "",
):
    """Run ``tests`` (function names) from ``modules`` under ``start_method`` (fork unless
    only another start method shows the bug) with the ci profile; ``select`` narrows each to
    the parametrizations whose ids match it."""
    names = [f"({t} and {select})" if select else t for t in tests]
    return child_run(
        *suite_args(
            "--pyargs",
            *modules,
            "-k",
            " or ".join(names),
            "--mp-backend",
            backend,
            "--mp-start-method",
            start_method,
            "--mp-profile",
            "ci",
        )
    )


def statuses(run: Any) -> dict[str, set[str]]:
    """Feature -> the statuses of all its cells (one start method per run, but a property
    parametrized by object kind has a cell per kind, and a bug may fail only one of them)."""
    assert run.doc["results"], f"no results\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}"
    found: dict[str, set[str]] = {}
    for result in run.doc["results"]:
        found.setdefault(result["feature"], set()).add(result["status"])
    return found


def assert_caught(run: Any, tests: tuple[str, ...]) -> None:
    """Every test in ``tests`` FAILed in at least one cell, each FAIL for a reason other than
    the mutant's own bug."""
    found = statuses(run)
    missed = [t for t in tests if "FAIL" not in found.get(t, set())]
    assert not missed, f"not caught by {missed}: {found}\n{run.stdout[-4000:]}"
    for result in run.doc["results"]:
        if result["status"] != "FAIL":
            continue
        text = f"{result.get('message') or ''}\n{result.get('details') or ''}"
        assert not OWN_ERRORS.search(text), (
            f"{result['nodeid']} failed for the wrong reason:\n{text}"
        )


def assert_all_pass(run: Any, tests: tuple[str, ...]) -> None:
    found = statuses(run)
    assert {t: found.get(t) for t in tests} == {t: {"PASS"} for t in tests}, run.stdout[-4000:]
    assert run.returncode == 0
    assert run.leftovers == []
