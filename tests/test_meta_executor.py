"""The ProcessPoolExecutor properties catch the bugs of the contexts they are written for.

Each mutant in :mod:`mutants.executor` is stdlib with one bug in what the executor
builds on; the properties it names in ``CAUGHT_BY`` must FAIL against it, and the same
selection must PASS on stdlib.
"""

from __future__ import annotations

from typing import Any

import pytest
from meta import assert_all_pass, assert_caught, run_selection
from mutants.executor import CAUGHT_BY

MODULES = ("mpconform.conformance.test_executor",)


@pytest.mark.parametrize("mutant", sorted(CAUGHT_BY))
def test_mutant_fails_its_properties(child_run: Any, mutant: str) -> None:
    tests = CAUGHT_BY[mutant]
    run = run_selection(child_run, MODULES, f"mutants.executor:{mutant}", tests)
    assert_caught(run, tests)


def test_same_properties_pass_on_stdlib(child_run: Any) -> None:
    tests = tuple(sorted({t for selected in CAUGHT_BY.values() for t in selected}))
    assert_all_pass(run_selection(child_run, MODULES, "stdlib", tests), tests)
