"""The properties and stress tests catch the bugs they are written for.

Each module of ``tests/mutants/`` holds stdlib adapters with one realistic bug each (a pipe
that ignores an offset, a Pool that loses a chunk, a Queue that swaps pairs under load...) and
says which tests must catch it: ``CAUGHT_BY`` (mutant -> test function names) among the suite
modules of ``SUITE``. Every mutant's tests must FAIL against it, each for a reason other than
the mutant's own breakage, and the same selection must PASS on stdlib, or the FAIL would prove
nothing. Runs use the ci profile (the budget every mutant must be caught at), fork unless the
module's ``START_METHOD`` names the one start method that shows a bug, and small ``-k``
selections (``SELECT`` narrows them further), so each child run takes seconds.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

import pytest
from meta import assert_all_pass, assert_caught, run_selection

AREAS = (
    "coordination",
    "executor",
    "exit_hygiene",
    "interop",
    "lifecycle",
    "live_objects",
    "locks",
    "managers",
    "messaging",
    "module_functions",
    "pool",
    "shared_ctypes",
    "shared_memory",
    "stress",
)


def mutants_of(area: str) -> ModuleType:
    return importlib.import_module(f"mutants.{area}")


def start_method(module: ModuleType, mutant: str) -> str:
    return getattr(module, "START_METHOD", {}).get(mutant, "fork")


def runs_here(module: ModuleType, mutant: str) -> bool:
    """False for a mutant whose property needs a newer Python than this one."""
    return sys.version_info >= getattr(module, "NEEDS_PYTHON", {}).get(mutant, (3,))


MUTANTS = [(area, mutant) for area in AREAS for mutant in sorted(mutants_of(area).CAUGHT_BY)]
STDLIB_RUNS = sorted({(area, start_method(mutants_of(area), mutant)) for area, mutant in MUTANTS})


@pytest.mark.parametrize(("area", "mutant"), MUTANTS, ids=[f"{a}:{m}" for a, m in MUTANTS])
def test_mutant_fails_its_tests(child_run: Any, area: str, mutant: str) -> None:
    module = mutants_of(area)
    if not runs_here(module, mutant):
        pytest.skip(f"its property runs on Python {module.NEEDS_PYTHON[mutant]} and later")
    tests = module.CAUGHT_BY[mutant]
    run = run_selection(
        child_run,
        module.SUITE,
        f"mutants.{area}:{mutant}",
        tests,
        start_method(module, mutant),
        getattr(module, "SELECT", ""),
    )
    assert_caught(run, tests)


@pytest.mark.parametrize(("area", "method"), STDLIB_RUNS, ids=[f"{a}-{m}" for a, m in STDLIB_RUNS])
def test_the_same_tests_pass_on_stdlib(child_run: Any, area: str, method: str) -> None:
    module = mutants_of(area)
    tests = tuple(
        sorted(
            {
                test
                for mutant, selected in module.CAUGHT_BY.items()
                if start_method(module, mutant) == method and runs_here(module, mutant)
                for test in selected
            }
        )
    )
    run = run_selection(
        child_run, module.SUITE, "stdlib", tests, method, getattr(module, "SELECT", "")
    )
    assert_all_pass(run, tests)
