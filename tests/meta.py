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


def run_selection(child_run: Any, modules: tuple[str, ...], backend: str, tests: tuple[str, ...]):
    """Run ``tests`` (function names) from ``modules`` under fork with the ci profile."""
    return child_run(
        *suite_args(
            "--pyargs",
            *modules,
            "-k",
            " or ".join(tests),
            "--mp-backend",
            backend,
            "--mp-start-method",
            "fork",
            "--mp-profile",
            "ci",
        )
    )


def statuses(run: Any) -> dict[str, str]:
    """Feature name -> status, from the run's results.json (one start method per run)."""
    assert run.doc["results"], f"no results\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}"
    return {r["feature"]: r["status"] for r in run.doc["results"]}


def assert_caught(run: Any, tests: tuple[str, ...]) -> None:
    """Every test in ``tests`` FAILed, each for a reason other than the mutant's own bug."""
    found = statuses(run)
    assert {t: found.get(t) for t in tests} == dict.fromkeys(tests, "FAIL"), run.stdout[-4000:]
    for result in run.doc["results"]:
        text = f"{result.get('message') or ''}\n{result.get('details') or ''}"
        assert not OWN_ERRORS.search(text), (
            f"{result['feature']} failed for the wrong reason:\n{text}"
        )


def assert_all_pass(run: Any, tests: tuple[str, ...]) -> None:
    found = statuses(run)
    assert {t: found.get(t) for t in tests} == dict.fromkeys(tests, "PASS"), run.stdout[-4000:]
    assert run.returncode == 0
    assert run.leftovers == []
