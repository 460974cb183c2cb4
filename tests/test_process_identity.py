"""A process keeps its identity when the wall clock moves: the leak check compares the
processes of a test with its baseline by (pid, start), and a process of the baseline must
never look new."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import psutil
import pytest

from mpconform import processes


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_identity_does_not_follow_the_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        baseline = processes.snapshot()
        # psutil derives create_time from the boot time, itself from the wall clock: a clock
        # step makes every later call answer differently for the same process.
        later = itertools.count(1)
        monkeypatch.setattr(
            psutil.Process, "create_time", lambda self: 1_700_000_000.0 + next(later)
        )
        assert processes.strays(baseline) == []
        assert processes.snapshot() == baseline
    finally:
        child.kill()
        child.wait()


def test_a_new_process_is_still_a_stray() -> None:
    baseline = processes.snapshot()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert [p.pid for p in processes.strays(baseline)] == [child.pid]
    finally:
        child.kill()
        child.wait()
    assert os.getpid() not in {p.pid for p in processes.strays(baseline)}
