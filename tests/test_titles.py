"""Every property has a title that fits the report: one whole sentence, short enough.

The report shows a property by its docstring's first sentence; a first paragraph of two
sentences, a missing full stop or a paragraph too long for a matrix row is named here with the
property it belongs to, so the fix is one docstring away.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest

import mpconform.conformance
import mpconform.stress
from mpconform import titles


def properties() -> Iterator[tuple[str, Any]]:
    for package in (mpconform.conformance, mpconform.stress):
        for info in pkgutil.iter_modules(package.__path__):
            if not info.name.startswith("test_"):
                continue
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for name, obj in vars(module).items():
                if name.startswith("test_") and callable(obj):
                    yield f"{info.name}:{name}", obj


def test_every_property_title_is_one_whole_sentence_that_fits() -> None:
    found = list(properties())
    assert len(found) > 200  # the walk found the properties, not an empty package
    broken = {where: problems for where, f in found if (problems := titles.problems(f.__doc__))}
    assert not broken, "\n".join(f"{w}: {'; '.join(p)}" for w, p in broken.items())


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ("One line.", "One line."),
        (
            "A title that runs\n    over two lines.\n\n    Why, at length.",
            "A title that runs over two lines.",
        ),
        ("First sentence. Second one.", "First sentence."),
        ("Uses e.g. a Pool. Then more.", "Uses e.g. a Pool."),
        ("Pool.map() returns a list.", "Pool.map() returns a list."),
        ("", "fallback"),
        (None, "fallback"),
    ],
)
def test_title_is_the_whole_first_sentence(doc: str | None, expected: str) -> None:
    assert titles.title(doc, "fallback") == expected


def test_problems_name_what_breaks_a_title() -> None:
    assert titles.problems("Fine.") == []
    assert titles.problems(None) == ["no docstring"]
    assert titles.problems("No stop") == ["the first paragraph does not end with a full stop"]
    assert titles.problems("One. Two.") == ["the first paragraph has more than one sentence"]
    long = "x" * titles.LIMIT + "."
    assert titles.problems(long) == [
        f"{titles.LIMIT + 1} characters, more than the {titles.LIMIT} a title may have"
    ]
