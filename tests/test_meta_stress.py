"""The stress scenarios and workloads catch the concurrency bugs they are written for.

Each mutant in :mod:`mutants.stress` is stdlib with one bug that only shows under
concurrency or volume (a Queue that swaps buffered pairs or drops an item now and then, a Lock
with two slots, a Value whose get_lock() is a fresh lock each call); the stress tests it names
in ``CAUGHT_BY`` must FAIL against it within the ci budget (derandomized examples, each
workload a smoke of one short round). The same selection must PASS on stdlib, or a FAIL would
prove nothing. Fork only.
"""

from __future__ import annotations

from typing import Any

import pytest
from meta import assert_all_pass, assert_caught, run_selection
from mutants.stress import CAUGHT_BY

MODULES = ("mpconform.stress.test_scenarios", "mpconform.stress.test_workloads")


@pytest.mark.parametrize("mutant", sorted(CAUGHT_BY))
def test_mutant_fails_its_stress_tests(child_run: Any, mutant: str) -> None:
    tests = CAUGHT_BY[mutant]
    run = run_selection(child_run, MODULES, f"mutants.stress:{mutant}", tests)
    assert_caught(run, tests)


def test_same_stress_tests_pass_on_stdlib(child_run: Any) -> None:
    tests = tuple(sorted({t for selected in CAUGHT_BY.values() for t in selected}))
    assert_all_pass(run_selection(child_run, MODULES, "stdlib", tests), tests)
