"""The exit-hygiene property catches the bugs it is written for.

Each mutant in :mod:`mutants.exit_hygiene` is stdlib with one injected bug that shows
only at exit; the properties it names in ``CAUGHT_BY`` must FAIL
against it (any case of a parametrized one), and the same selection must PASS on stdlib.
Runs use fork only.
"""

from __future__ import annotations

from typing import Any

import pytest
from meta import assert_all_pass, assert_caught, run_selection
from mutants.exit_hygiene import CAUGHT_BY

MODULES = ("mpconform.conformance.test_exit_hygiene",)


@pytest.mark.parametrize("mutant", sorted(CAUGHT_BY))
def test_mutant_fails_its_properties(child_run: Any, mutant: str) -> None:
    tests = CAUGHT_BY[mutant]
    backend = f"mutants.exit_hygiene:{mutant}"
    assert_caught(run_selection(child_run, MODULES, backend, tests), tests)


def test_same_properties_pass_on_stdlib(child_run: Any) -> None:
    tests = tuple(sorted({t for selected in CAUGHT_BY.values() for t in selected}))
    assert_all_pass(run_selection(child_run, MODULES, "stdlib", tests), tests)
