"""Bounded waits on children for use in tests: a hang becomes TIMEOUT, a signal death CRASH.

Upper bounds here are liveness bounds, deliberately generous: they decide "this hangs", never
"this is slow". Only lower bounds are asserted as timing properties.
"""

from __future__ import annotations

import contextlib
import signal
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
