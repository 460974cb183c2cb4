"""The backstop process ends a test process stuck where SIGALRM cannot reach it, and only then."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

STUCK = """
import signal, time
from mpconform.watchdog import Watchdog
dog = Watchdog()
signal.pthread_sigmask(signal.SIG_BLOCK, {{signal.SIGALRM}})  # as if stuck in C code
with dog.armed({arm}, "case::stuck"):
    time.sleep({body})
time.sleep({after})
print("survived", flush=True)
"""


def _run(arm: float, body: float, after: float) -> subprocess.CompletedProcess:
    code = STUCK.format(arm=arm, body=body, after=after)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_a_test_past_its_backstop_is_dumped_then_killed() -> None:
    t0 = time.monotonic()
    done = _run(arm=0.5, body=30, after=0)
    assert done.returncode == -signal.SIGKILL
    assert time.monotonic() - t0 < 15
    assert "mpconform watchdog: case::stuck still running" in done.stderr
    assert 'File "<string>"' in done.stderr, "every thread's stack is dumped first"


def test_a_disarmed_watchdog_leaves_the_process_alone() -> None:
    done = _run(arm=0.5, body=0, after=1.5)
    assert done.returncode == 0 and "survived" in done.stdout
