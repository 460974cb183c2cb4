"""The stress programs module keeps copies of the suite's limits, and they agree."""

from __future__ import annotations

from mpconform import limits
from mpconform.stress import programs


def test_standalone_scripts_use_the_suites_reference_limits() -> None:
    # programs.py is pasted into scripts that cannot import mpconform, hence the copies.
    assert programs.LIVENESS == limits.LIVENESS_AT_REFERENCE
    assert programs.PATIENCE / programs.LIVENESS == limits.PATIENCE / limits.LIVENESS
