"""Fixtures for the harness's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from childrun import RUN_LIMIT, Run, run_child


@pytest.fixture
def child_run(tmp_path: Path):
    """Run ``python *args`` in the repo; the Run reports leftovers of that run only."""

    def run(*args: str, timeout: float = RUN_LIMIT) -> Run:
        return run_child(list(args), tmp_path, timeout=timeout)

    return run
