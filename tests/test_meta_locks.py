"""The Locks and semaphores properties catch the lock and semaphore bugs they are written for.

Each mutant in :mod:`mutants.locks` is stdlib with one injected bug in Lock, RLock,
Semaphore, BoundedSemaphore or Value; every property it names in ``CAUGHT_BY`` must FAIL
against it. Several properties are parametrized by the kind of object, and a bug in Lock alone
fails only the Lock cell, so "the property fails" means at least one of its cells does; on
stdlib every cell must PASS. Runs use fork only and small ``-k`` selections.
"""

from __future__ import annotations

from typing import Any

import pytest
from meta import assert_all_pass, assert_caught, run_selection
from mutants.locks import CAUGHT_BY

MODULES = ("mpconform.conformance.test_locks",)


@pytest.mark.parametrize("mutant", sorted(CAUGHT_BY))
def test_mutant_fails_its_properties(child_run: Any, mutant: str) -> None:
    tests = CAUGHT_BY[mutant]
    backend = f"mutants.locks:{mutant}"
    assert_caught(run_selection(child_run, MODULES, backend, tests), tests)


def test_same_properties_pass_on_stdlib(child_run: Any) -> None:
    tests = tuple(sorted({t for selected in CAUGHT_BY.values() for t in selected}))
    assert_all_pass(run_selection(child_run, MODULES, "stdlib", tests), tests)
