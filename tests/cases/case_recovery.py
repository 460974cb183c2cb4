"""Tests whose process dies in the middle of the run, for tests/test_recovery.py.

Not collected by the main run (the name does not match test_*.py).
"""

import os
import signal

import pytest

pytestmark = pytest.mark.mp_area("Harness self-test")


def test_a_runs_before(mp):
    """Runs before the process dies."""


def test_b_kills_the_test_process(mp):
    """Kills the pytest process running it, as a crashing backend or the watchdog would."""
    if os.environ.get("CASE_KILL_SELF") == "1":
        os.kill(os.getpid(), signal.SIGKILL)


def test_c_runs_after(mp):
    """Runs only if the run went on after the process died."""


def test_d_exits_the_test_process(mp):
    """Ends the pytest process with os._exit(1), as billiard's pool supervisor thread does."""
    if os.environ.get("CASE_EXIT_SELF") == "1":
        os._exit(1)
