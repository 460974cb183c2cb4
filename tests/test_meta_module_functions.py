"""The module-function and process-attribute properties catch the bugs they are written for.

Each mutant in :mod:`mutants.module_functions` is stdlib with one injected bug; the
properties it names in ``CAUGHT_BY`` must FAIL against it, and the same selection must PASS
on stdlib. Runs use fork, except for the mutants ``START_METHOD`` names (set_executable only
matters where an interpreter starts per child).
"""

from __future__ import annotations

from typing import Any

import pytest
from meta import assert_all_pass, assert_caught, run_selection
from mutants.module_functions import CAUGHT_BY, START_METHOD

MODULES = ("mpconform.conformance.test_module_functions",)


@pytest.mark.parametrize("mutant", sorted(CAUGHT_BY))
def test_mutant_fails_its_properties(child_run: Any, mutant: str) -> None:
    tests = CAUGHT_BY[mutant]
    backend = f"mutants.module_functions:{mutant}"
    method = START_METHOD.get(mutant, "fork")
    assert_caught(run_selection(child_run, MODULES, backend, tests, method), tests)


@pytest.mark.parametrize("method", sorted({"fork", *START_METHOD.values()}))
def test_same_properties_pass_on_stdlib(child_run: Any, method: str) -> None:
    tests = tuple(
        sorted(
            t
            for m, selected in CAUGHT_BY.items()
            for t in selected
            if START_METHOD.get(m, "fork") == method
        )
    )
    assert_all_pass(run_selection(child_run, MODULES, "stdlib", tests, method), tests)
