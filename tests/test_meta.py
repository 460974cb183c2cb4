"""The properties and stress tests catch the bugs they are written for.

Each module of ``tests/mutants/`` holds stdlib adapters with one realistic bug each (a pipe
that ignores an offset, a Pool that loses a chunk, a Queue that swaps pairs under load...).
A property names the mutants it must catch beside itself, with
``@pytest.mark.mp_catches("mutants.<area>:<name>")``. Every mutant's properties must FAIL
against it, each for a reason other than the mutant's own breakage, and the same selection
must PASS on stdlib, or the FAIL would prove nothing. Runs use the ci profile (the budget every
mutant must be caught at), fork unless the mutants module's ``START_METHOD`` names the one
start method that shows a bug, and small ``-k`` selections (its ``SELECT`` narrows them
further), so each child run takes seconds.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections import defaultdict
from types import ModuleType
from typing import Any

import pytest
from meta import assert_all_pass, assert_caught, run_selection

import mpconform.conformance
import mpconform.stress
from mpconform.adapter import Adapter

SUITE_PACKAGES = (mpconform.conformance, mpconform.stress)


def suite_modules() -> list[str]:
    return sorted(
        f"{package.__name__}.{info.name}"
        for package in SUITE_PACKAGES
        for info in pkgutil.iter_modules(package.__path__)
        if info.name.startswith("test_")
    )


def marked_catches() -> dict[str, dict[str, list[str]]]:
    """Mutant spec -> suite module -> the test functions whose ``mp_catches`` names it."""
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for name in suite_modules():
        module = importlib.import_module(name)
        for attr, function in sorted(vars(module).items()):
            if not attr.startswith("test_") or not callable(function):
                continue
            for mark in getattr(function, "pytestmark", []):
                if mark.name == "mp_catches":
                    for spec in mark.args:
                        found[spec][name].append(attr)
    return found


CATCHES = marked_catches()


def mutants_of(area: str) -> ModuleType:
    return importlib.import_module(f"mutants.{area}")


#: Faults for the harness's own tests (a child that segfaults, hangs or leaks; test_statuses,
#: test_cli): no property catches them.
HARNESS_FAULTS = "faults"


def every_mutant() -> list[str]:
    """``mutants.<area>:<name>`` of every Adapter the mutants modules define."""
    import mutants

    specs = []
    for info in pkgutil.iter_modules(mutants.__path__):
        if info.name == HARNESS_FAULTS:
            continue
        module = mutants_of(info.name)
        for attr, value in vars(module).items():
            if isinstance(value, Adapter) and not attr.startswith("_"):
                specs.append(f"mutants.{info.name}:{attr}")
    return sorted(specs)


def split(spec: str) -> tuple[ModuleType, str]:
    module, mutant = spec.split(":")
    return importlib.import_module(module), mutant


def start_method(spec: str) -> str:
    module, mutant = split(spec)
    return getattr(module, "START_METHOD", {}).get(mutant, "fork")


def runs_here(spec: str) -> bool:
    """False for a mutant whose property needs a newer Python than this one."""
    module, mutant = split(spec)
    return sys.version_info >= getattr(module, "NEEDS_PYTHON", {}).get(mutant, (3,))


def select_of(spec: str) -> str:
    return getattr(split(spec)[0], "SELECT", "")


MUTANTS = sorted(CATCHES)
# One stdlib run per mutants module and start method, of every property its mutants name.
STDLIB_RUNS = sorted({(spec.split(":")[0], start_method(spec)) for spec in MUTANTS})


def test_every_mutant_is_named_by_a_property_and_every_name_is_a_mutant() -> None:
    assert set(MUTANTS) == set(every_mutant()), (
        f"caught by nothing: {sorted(set(every_mutant()) - set(MUTANTS))}; "
        f"no such mutant: {sorted(set(MUTANTS) - set(every_mutant()))}"
    )


@pytest.mark.parametrize("spec", MUTANTS, ids=[s.removeprefix("mutants.") for s in MUTANTS])
def test_mutant_fails_its_tests(child_run: Any, spec: str) -> None:
    module, mutant = split(spec)
    if not runs_here(spec):
        pytest.skip(f"its property runs on Python {module.NEEDS_PYTHON[mutant]} and later")
    tests = tuple(test for names in CATCHES[spec].values() for test in names)
    run = run_selection(
        child_run, tuple(CATCHES[spec]), spec, tests, start_method(spec), select_of(spec)
    )
    assert_caught(run, tests)


@pytest.mark.parametrize(
    ("module", "method"),
    STDLIB_RUNS,
    ids=[f"{m.removeprefix('mutants.')}-{s}" for m, s in STDLIB_RUNS],
)
def test_the_same_tests_pass_on_stdlib(child_run: Any, module: str, method: str) -> None:
    specs = [
        spec
        for spec in MUTANTS
        if spec.startswith(f"{module}:") and start_method(spec) == method and runs_here(spec)
    ]
    suites = tuple(sorted({suite for spec in specs for suite in CATCHES[spec]}))
    tests = tuple(
        sorted({test for spec in specs for names in CATCHES[spec].values() for test in names})
    )
    select = select_of(specs[0]) if specs else ""
    run = run_selection(child_run, suites, "stdlib", tests, method, select)
    assert_all_pass(run, tests)
