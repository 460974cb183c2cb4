"""Bounded waits decide "hang" by missing progress, not by a fixed number of seconds."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from mpconform import limits
from mpconform.outcomes import TestTimeout
from mpconform.waiting import wait_until

BUSY = "import time\nend = time.monotonic() + {s}\nwhile time.monotonic() < end: pass\n"


def _child(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code])


def test_a_busy_child_outlasting_the_bound_is_waited_for() -> None:
    """A starved or slow child that keeps using CPU is not a hang."""
    child = _child(BUSY.format(s=1.0))
    try:
        wait_until(lambda s: child.poll() is not None or time.sleep(s), "the child", [child], 0.3)
        assert child.returncode == 0
    finally:
        child.kill()
        child.wait()


def test_an_idle_child_past_the_bound_is_a_timeout() -> None:
    child = _child("import time; time.sleep(30)")
    t0 = time.monotonic()
    try:
        with pytest.raises(TestTimeout, match="made no progress"):
            wait_until(
                lambda s: child.poll() is not None or time.sleep(s), "the child", [child], 0.3
            )
        assert time.monotonic() - t0 < 10
    finally:
        child.kill()
        child.wait()


def test_a_child_busy_forever_is_still_capped() -> None:
    child = _child(BUSY.format(s=60))
    try:
        with pytest.raises(TestTimeout, match="still busy"):
            wait_until(
                lambda s: child.poll() is not None or time.sleep(s), "the child", [child], 0.2
            )
    finally:
        child.kill()
        child.wait()


def test_a_side_that_ended_fails_at_once() -> None:
    with pytest.raises(AssertionError, match="it ended"):
        wait_until(lambda s: False, "an answer", [], 30, gone=lambda: "it ended")


def test_the_slowdown_travels_to_children_and_never_shrinks_bounds() -> None:
    code = "from mpconform import limits; print(limits.slowdown(), limits.LIVENESS)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**__import__("os").environ, limits.ENV: "2.5"},
    ).stdout.split()
    assert float(out[0]) == 2.5 and float(out[1]) == 75.0
    assert limits.calibrate(1) >= 1.0
    assert limits.PATIENCE > limits.LIVENESS
