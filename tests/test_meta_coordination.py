"""The Conditions, events and barriers properties catch the bugs they are written for.

Each mutant in :mod:`mutants.coordination` is stdlib with one injected bug in a
Condition, Event or Barrier; the properties it names in ``CAUGHT_BY`` must FAIL against it.
The same selection must PASS on stdlib, or a FAIL would prove nothing. Runs use fork only and
small ``-k`` selections, so each subprocess takes seconds.
"""

from __future__ import annotations

from typing import Any

import pytest
from meta import assert_all_pass, assert_caught, run_selection
from mutants.coordination import CAUGHT_BY

MODULES = ("mpconform.conformance.test_coordination",)


@pytest.mark.parametrize("mutant", sorted(CAUGHT_BY))
def test_mutant_fails_its_properties(child_run: Any, mutant: str) -> None:
    tests = CAUGHT_BY[mutant]
    run = run_selection(child_run, MODULES, f"mutants.coordination:{mutant}", tests)
    assert_caught(run, tests)


def test_same_properties_pass_on_stdlib(child_run: Any) -> None:
    tests = tuple(sorted({t for selected in CAUGHT_BY.values() for t in selected}))
    assert_all_pass(run_selection(child_run, MODULES, "stdlib", tests), tests)
