"""The shared_memory properties catch the bugs they are written for.

Each mutant in :mod:`mutants.shared_memory` is stdlib with one injected bug in
SharedMemory, ShareableList or SharedMemoryManager; the properties it names in ``CAUGHT_BY``
must FAIL against it (any case of a parametrized one), and the same selection must PASS on
stdlib. Runs use fork only.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest
from meta import assert_all_pass, assert_caught, run_selection
from mutants.shared_memory import CAUGHT_BY, NEEDS_PYTHON

MODULES = ("mpconform.conformance.test_shared_memory",)


@pytest.mark.parametrize("mutant", sorted(CAUGHT_BY))
def test_mutant_fails_its_properties(child_run: Any, mutant: str) -> None:
    if sys.version_info < NEEDS_PYTHON.get(mutant, (3,)):
        pytest.skip(f"its property runs on Python {NEEDS_PYTHON[mutant]} and later")
    tests = CAUGHT_BY[mutant]
    backend = f"mutants.shared_memory:{mutant}"
    assert_caught(run_selection(child_run, MODULES, backend, tests), tests)


def test_same_properties_pass_on_stdlib(child_run: Any) -> None:
    tests = tuple(
        sorted(
            t
            for mutant, selected in CAUGHT_BY.items()
            if sys.version_info >= NEEDS_PYTHON.get(mutant, (3,))
            for t in selected
        )
    )
    assert_all_pass(run_selection(child_run, MODULES, "stdlib", tests), tests)
