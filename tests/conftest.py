"""Fixtures for the harness's own tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from childrun import RUN_LIMIT, Run, run_child

# The mutants (tests/mutants/) are test code, not part of the installed package, yet the
# processes a test starts import them by name: a child pytest given --mp-backend
# mutants.pool:..., the CLI's jobs, a repro script, a spawn child unpickling a mutant class.
_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (_TESTS, os.environ.get("PYTHONPATH")) if p
    )


@pytest.fixture
def child_run(tmp_path: Path):
    """Run ``python *args`` in the repo; the Run reports leftovers of that run only."""

    def run(*args: str, timeout: float = RUN_LIMIT) -> Run:
        return run_child(list(args), tmp_path, timeout=timeout)

    return run
