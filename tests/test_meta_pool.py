"""The Pool properties catch the pool bugs they are written for.

Each mutant in :mod:`mutants.pool` is stdlib whose Pool is a subclass with one
injected bug; the properties it names in ``CAUGHT_BY`` must FAIL against it. The same selection
must PASS on stdlib, or a FAIL would prove nothing. Runs use fork (``START_METHOD`` names the
exceptions) and small ``-k``
selections, so each subprocess takes seconds.
"""

from __future__ import annotations

from typing import Any

import pytest
from meta import assert_all_pass, assert_caught, run_selection
from mutants.pool import CAUGHT_BY, START_METHOD

MODULES = ("mpconform.conformance.test_pool",)


@pytest.mark.parametrize("mutant", sorted(CAUGHT_BY))
def test_mutant_fails_its_properties(child_run: Any, mutant: str) -> None:
    tests = CAUGHT_BY[mutant]
    method = START_METHOD.get(mutant, "fork")
    run = run_selection(child_run, MODULES, f"mutants.pool:{mutant}", tests, method)
    assert_caught(run, tests)


@pytest.mark.parametrize("method", sorted({"fork", *START_METHOD.values()}))
def test_same_properties_pass_on_stdlib(child_run: Any, method: str) -> None:
    tests = tuple(
        sorted(
            t
            for mutant, selected in CAUGHT_BY.items()
            if START_METHOD.get(mutant, "fork") == method
            for t in selected
        )
    )
    assert_all_pass(run_selection(child_run, MODULES, "stdlib", tests, method), tests)
