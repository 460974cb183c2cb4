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


def test_every_non_python_file_of_a_package_is_package_data():
    """report.js was read by the renderer but left out of the wheel: the README's first
    command crashed on a regular install while every editable test passed."""
    import fnmatch

    config = _config()
    data = config.get("package-data", {})
    missing = []
    for name, directory in config["package-dir"].items():
        root = REPO / directory
        for path in root.iterdir():
            if (
                path.is_file()
                and path.suffix not in (".py", ".pyc")
                and not path.name.startswith(".")
            ):
                patterns = data.get(name, [])
                if not any(fnmatch.fnmatch(path.name, p) for p in patterns):
                    missing.append(f"{name}: {path.name}")
    assert not missing, f"files the wheel would leave out: {missing}"
