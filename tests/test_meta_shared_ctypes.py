"""The Shared ctypes properties catch the Value and Array bugs they are written for.

Each mutant in :mod:`mutants.shared_ctypes` is stdlib with one injected bug in Value
or Array; the properties it names in ``CAUGHT_BY`` must FAIL against it, and the same selection
must PASS on stdlib. Several of these properties are parametrized by factory (Value, RawValue,
Array, RawArray) and a mutant breaks only one factory, so a property counts as caught when any
of its cases FAILs; every case must PASS on stdlib. Runs use fork only.
"""

from __future__ import annotations

from typing import Any

import pytest
from meta import assert_all_pass, assert_caught, run_selection
from mutants.shared_ctypes import CAUGHT_BY

MODULES = ("mpconform.conformance.test_shared_ctypes",)


@pytest.mark.parametrize("mutant", sorted(CAUGHT_BY))
def test_mutant_fails_its_properties(child_run: Any, mutant: str) -> None:
    tests = CAUGHT_BY[mutant]
    backend = f"mutants.shared_ctypes:{mutant}"
    assert_caught(run_selection(child_run, MODULES, backend, tests), tests)


def test_same_properties_pass_on_stdlib(child_run: Any) -> None:
    tests = tuple(sorted({t for selected in CAUGHT_BY.values() for t in selected}))
    assert_all_pass(run_selection(child_run, MODULES, "stdlib", tests), tests)
