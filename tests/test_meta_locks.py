"""The Locks and semaphores properties catch the lock and semaphore bugs they are written for.

Each mutant in :mod:`mpconform.mutants.locks` is stdlib with one injected bug in Lock, RLock,
Semaphore, BoundedSemaphore or Value; every property it names in ``CAUGHT_BY`` must FAIL
against it. Several properties are parametrized by the kind of object, and a bug in Lock alone
fails only the Lock cell, so "the property fails" means at least one of its cells does; on
stdlib every cell must PASS. Runs use fork only and small ``-k`` selections.
"""

from __future__ import annotations

from typing import Any

import pytest
from meta import OWN_ERRORS, run_selection

from mpconform.conformance.test_locks import most_overlapping
from mpconform.mutants.locks import CAUGHT_BY

MODULES = ("mpconform.conformance.test_locks",)


def cells(run: Any) -> dict[str, list[dict]]:
    """Feature (test function) -> its results, one per parametrization."""
    found: dict[str, list[dict]] = {}
    for result in run.doc["results"]:
        found.setdefault(result["feature"], []).append(result)
    assert found, f"no results\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}"
    return found


@pytest.mark.parametrize("mutant", sorted(CAUGHT_BY))
def test_mutant_fails_its_properties(child_run: Any, mutant: str) -> None:
    tests = CAUGHT_BY[mutant]
    run = run_selection(child_run, MODULES, f"mpconform.mutants.locks:{mutant}", tests)
    found = cells(run)
    missed = [t for t in tests if not any(r["status"] == "FAIL" for r in found.get(t, []))]
    assert not missed, f"{mutant} not caught by {missed}\n{run.stdout[-4000:]}"
    for result in run.doc["results"]:
        text = f"{result.get('message') or ''}\n{result.get('details') or ''}"
        assert not OWN_ERRORS.search(text), (
            f"{result['feature']} failed for the wrong reason:\n{text}"
        )


def test_same_properties_pass_on_stdlib(child_run: Any) -> None:
    tests = tuple(sorted({t for selected in CAUGHT_BY.values() for t in selected}))
    run = run_selection(child_run, MODULES, "stdlib", tests)
    found = cells(run)
    assert set(found) == set(tests), f"missing: {set(tests) - set(found)}"
    wrong = {r["nodeid"]: r["status"] for rs in found.values() for r in rs if r["status"] != "PASS"}
    assert not wrong, f"{wrong}\n{run.stdout[-4000:]}"
    assert run.returncode == 0
    assert run.leftovers == []


@pytest.mark.parametrize(
    ("sections", "most"),
    [
        ([], 0),
        ([(0, 10), (10, 20)], 1),  # touching: one may have left at the very instant
        ([(0, 10), (9, 20)], 2),
        ([(0, 100), (10, 20), (15, 30), (20, 25)], 3),
    ],
)
def test_overlap_count_is_sound(sections: list, most: int) -> None:
    """The semaphore screen counts certain overlaps only, so it never exceeds a correct n."""
    assert most_overlapping(sections) == most
