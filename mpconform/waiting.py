"""Bounded waits on children for use in tests: a hang becomes TIMEOUT, a signal death CRASH.

Upper bounds here are liveness bounds, deliberately generous: they decide "this hangs", never
"this is slow". Only lower bounds are asserted as timing properties.
"""

from __future__ import annotations

import contextlib
import signal
import time
from typing import Any

import psutil

from . import processes
from .outcomes import ChildCrashed, TestTimeout

LIVENESS = 30.0


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def join(proc: Any, timeout: float = LIVENESS, what: str | None = None) -> Any:
    """Join ``proc``; if it is still running after ``timeout`` kill its tree and TIMEOUT.

    Returns the exitcode.
    """
    proc.join(timeout)
    if proc.is_alive():
        pid = getattr(proc, "pid", None)
        if isinstance(pid, int):
            with contextlib.suppress(psutil.Error):
                processes.kill_tree([psutil.Process(pid)])
            proc.join(5)
        raise TestTimeout(f"{what or proc.name} still running after {timeout:g} s")
    return proc.exitcode


def finish(proc: Any, timeout: float = LIVENESS, what: str | None = None) -> Any:
    """Join ``proc`` that nobody signals: a negative exitcode is a crash, not a verdict."""
    code = join(proc, timeout, what)
    if isinstance(code, int) and code < 0:
        raise ChildCrashed(
            f"{what or proc.name} died from {signal_name(-code)} (exitcode {code}) "
            "although the test never signalled it"
        )
    return code


POLL_SLICE = 0.05


def receive(conn: Any, proc: Any, what: str = "its report") -> Any:
    """The next message on ``conn`` from child ``proc``, bounded twice over: it fails at once
    when the child ended without sending it, and ends as TIMEOUT after LIVENESS."""
    end = time.monotonic() + LIVENESS
    while time.monotonic() < end:
        if conn.poll(POLL_SLICE):
            return conn.recv()
        if not proc.is_alive():
            if conn.poll(0):  # it may have written its last words just before ending
                return conn.recv()
            raise AssertionError(
                f"{proc.name} ended with exitcode {proc.exitcode} before sending {what}"
            )
    raise TestTimeout(f"{proc.name} sent nothing within {LIVENESS:g} s")
