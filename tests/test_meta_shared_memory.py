"""The Shared memory properties catch the Value and Array bugs they are written for.

Each mutant in :mod:`mpconform.mutants.shared_memory` is stdlib with one injected bug in Value
or Array; the properties it names in ``CAUGHT_BY`` must FAIL against it, and the same selection
must PASS on stdlib. Several of these properties are parametrized by factory (Value, RawValue,
Array, RawArray) and a mutant breaks only one factory, so a property counts as caught when any
of its cases FAILs; every case must PASS on stdlib. Runs use fork only.
"""

from __future__ import annotations

from typing import Any

import pytest
from meta import OWN_ERRORS, run_selection

from mpconform.mutants.shared_memory import CAUGHT_BY

MODULES = ("mpconform.conformance.test_shared_memory",)


def statuses_by_feature(run: Any) -> dict[str, set[str]]:
    """Feature (test function) -> the statuses of all its cases in the run."""
    results = run.doc["results"]
    assert results, f"no results\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}"
    found: dict[str, set[str]] = {}
    for result in results:
        found.setdefault(result["feature"], set()).add(result["status"])
    return found


@pytest.mark.parametrize("mutant", sorted(CAUGHT_BY))
def test_mutant_fails_its_properties(child_run: Any, mutant: str) -> None:
    tests = CAUGHT_BY[mutant]
    backend = f"mpconform.mutants.shared_memory:{mutant}"
    run = run_selection(child_run, MODULES, backend, tests)
    found = statuses_by_feature(run)
    missed = [t for t in tests if "FAIL" not in found.get(t, set())]
    assert not missed, f"{mutant} not caught by {missed}: {found}\n{run.stdout[-4000:]}"
    for result in run.doc["results"]:
        if result["status"] == "FAIL":
            text = f"{result.get('message') or ''}\n{result.get('details') or ''}"
            assert not OWN_ERRORS.search(text), (
                f"{result['nodeid']} failed for the wrong reason:\n{text}"
            )


def test_same_properties_pass_on_stdlib(child_run: Any) -> None:
    tests = tuple(sorted({t for selected in CAUGHT_BY.values() for t in selected}))
    run = run_selection(child_run, MODULES, "stdlib", tests)
    found = statuses_by_feature(run)
    assert {t: found.get(t) for t in tests} == {t: {"PASS"} for t in tests}, run.stdout[-4000:]
    assert run.returncode == 0
    assert run.leftovers == []
