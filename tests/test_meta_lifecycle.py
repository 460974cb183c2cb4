"""The lifecycle properties catch the bugs they are written for.

Each mutant in :mod:`mpconform.mutants.lifecycle` is stdlib with one injected bug; the
properties it names in ``CAUGHT_BY`` must FAIL against it. The same selection must PASS on
stdlib, or a FAIL would prove nothing. Runs use fork only and small ``-k`` selections, so each
subprocess takes seconds.
"""

from __future__ import annotations

import pytest
from childrun import suite_args

from mpconform.mutants.lifecycle import CAUGHT_BY


def statuses(run) -> dict[str, str]:
    """Feature name -> status, from the run's results.json (one start method per run)."""
    assert run.doc["results"], f"no results\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}"
    return {r["feature"]: r["status"] for r in run.doc["results"]}


def run_lifecycle(child_run, backend: str, tests: tuple[str, ...]):
    return child_run(
        *suite_args(
            "--pyargs",
            "mpconform.conformance",
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


@pytest.mark.parametrize("mutant", sorted(CAUGHT_BY))
def test_mutant_fails_its_properties(child_run, mutant):
    tests = CAUGHT_BY[mutant]
    run = run_lifecycle(child_run, f"mpconform.mutants.lifecycle:{mutant}", tests)
    found = statuses(run)
    assert {t: found.get(t) for t in tests} == dict.fromkeys(tests, "FAIL"), run.stdout[-4000:]


def test_same_properties_pass_on_stdlib(child_run):
    tests = tuple(sorted({t for selected in CAUGHT_BY.values() for t in selected}))
    run = run_lifecycle(child_run, "stdlib", tests)
    found = statuses(run)
    assert {t: found.get(t) for t in tests} == dict.fromkeys(tests, "PASS"), run.stdout[-4000:]
    assert run.returncode == 0
    assert run.leftovers == []
