"""The interop properties catch a wire that differs from CPython's.

Each mutant in :mod:`mutants.interop` is stdlib with one difference in what it
sends or checks; the properties it names in ``CAUGHT_BY`` must FAIL against it (against the
peer on this Python, which every machine has), and the same selection must PASS on stdlib.
"""

from __future__ import annotations

from typing import Any

import pytest
from meta import assert_all_pass, assert_caught, run_selection
from mutants.interop import CAUGHT_BY

MODULES = ("mpconform.conformance.test_interop",)


def same_python(tests: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"({t} and same-python)" for t in tests)


@pytest.mark.parametrize("mutant", sorted(CAUGHT_BY))
def test_mutant_fails_its_properties(child_run: Any, mutant: str) -> None:
    tests = CAUGHT_BY[mutant]
    run = run_selection(child_run, MODULES, f"mutants.interop:{mutant}", same_python(tests))
    assert_caught(run, tests)


def test_same_properties_pass_on_stdlib(child_run: Any) -> None:
    tests = tuple(sorted({t for selected in CAUGHT_BY.values() for t in selected}))
    assert_all_pass(run_selection(child_run, MODULES, "stdlib", same_python(tests)), tests)
