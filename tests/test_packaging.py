"""The wheel ships every package: a subpackage missing from pyproject.toml works in the
editable checkout and breaks only for users who pip install the release."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")


def _config() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_on_disk_is_listed():
    config = _config()
    listed = set(config["packages"])
    on_disk = set()
    for name, directory in config["package-dir"].items():
        root = REPO / directory
        for init in root.rglob("__init__.py"):
            rel = init.parent.relative_to(root)
            on_disk.add(".".join([name, *rel.parts]) if rel.parts else name)
    assert on_disk == listed


def test_top_level_folders_install_under_mpconform():
    assert _config()["package-dir"] == {
        "mpconform": "mpconform",
        "mpconform.adapters": "adapters",
        "mpconform.conformance": "conformance",
        "mpconform.stress": "stress",
        "mpconform.reports": "reports",
    }
