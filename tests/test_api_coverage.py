"""The documented API is covered: every element has a property that checks it, or a reason.

Reads the ``mp_api`` markers of every conformance property (no test runs) and holds them
against :mod:`mpconform.api`, the inventory of the library reference.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from childrun import suite_args

import mpconform.conformance
from mpconform import api


def properties() -> Iterator[tuple[str, Any]]:
    """(module:function, function) of every conformance property."""
    for info in pkgutil.iter_modules(mpconform.conformance.__path__):
        if not info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"mpconform.conformance.{info.name}")
        for name, obj in vars(module).items():
            if name.startswith("test_") and callable(obj):
                yield f"{info.name}:{name}", obj


def declared(function: Any) -> list[str]:
    marks = getattr(function, "pytestmark", [])
    return [name for mark in marks if mark.name == "mp_api" for name in mark.args]


def covered() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for where, function in properties():
        for name in declared(function):
            found.setdefault(name, []).append(where)
    return found


def test_every_property_names_the_elements_it_checks() -> None:
    bare = [where for where, function in properties() if not declared(function)]
    assert not bare, "these properties have no mp_api marker: " + ", ".join(bare)


def test_every_name_a_property_declares_is_documented() -> None:
    unknown = {name: where for name, where in covered().items() if name not in api.everything()}
    assert not unknown, f"mp_api names that mpconform.api does not list: {unknown}"


def test_every_documented_element_is_covered_or_has_a_reason() -> None:
    documented = api.documented()
    checked = covered()
    gaps = [name for name in documented if name not in checked and name not in api.REASONS]
    listing = "\n".join(f"  {name}  ({documented[name]})" for name in gaps)
    assert not gaps, (
        f"{len(gaps)} documented elements of Python {sys.version_info[0]}."
        f"{sys.version_info[1]} have neither a property (mp_api) nor a reason in "
        f"mpconform.api.REASONS:\n{listing}"
    )


def test_no_reason_is_kept_for_an_element_a_property_covers() -> None:
    stale = sorted(set(api.REASONS) & set(covered()))
    assert not stale, f"covered now, so their reasons in mpconform.api.REASONS must go: {stale}"


def test_every_reason_names_a_documented_element() -> None:
    unknown = sorted(set(api.REASONS) - api.everything())
    assert not unknown, f"mpconform.api.REASONS names what no documentation lists: {unknown}"


def test_parameters_follow_the_python_that_documents_them() -> None:
    """track= is documented from 3.13 on; a run on 3.11 is not counted against it."""
    assert "shared_memory.SharedMemory(track)" in api.documented((3, 13))
    assert "shared_memory.SharedMemory(track)" not in api.documented((3, 12))
    assert "shared_memory.SharedMemory(size)" in api.documented((3, 9))


def test_a_name_the_inventory_does_not_list_stops_the_run(child_run: Any, tmp_path: Any) -> None:
    case = tmp_path / "test_typo.py"
    case.write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.mark.mp_api("Queue.gett")
            def test_typo(mp):
                pass
            """
        )
    )
    run = child_run(*suite_args(str(case), "--mp-start-method", "fork"))
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, run.stdout + run.stderr
    assert "mp_api names Queue.gett, which mpconform.api does not list" in run.stdout + run.stderr
