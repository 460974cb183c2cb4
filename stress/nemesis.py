"""Nemeses (Jepsen's word): the faults stress runs inject, and the children that suffer them.

Parent side: :func:`kill` (SIGKILL), :func:`pause` (SIGSTOP, keep it stopped, SIGCONT),
:func:`pin` (every worker on one CPU). Child side: :func:`hold_lock` (a holder that waits to be
killed) and :func:`put_then_exit` (puts, then ``os._exit``, which skips the exit handler that
flushes a Queue's feeder thread). Standard library only: children import this module by name.

Scenario runs use the same faults through :mod:`mpconform.stress.programs`, which keeps its own
copy because standalone scripts embed that module alone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator, Sequence
from typing import Any

from mpconform.limits import PATIENCE


def kill(proc: Any) -> int:
    """SIGKILL ``proc``; returns ``monotonic_ns()`` taken just before, a time by which
    nothing the victim held can have been released."""
    t = time.monotonic_ns()
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGKILL)
    return t


@contextlib.contextmanager
def paused(proc: Any) -> Iterator[None]:
    """``proc`` stopped for the duration of the block (it may have exited already)."""
    try:
        os.kill(proc.pid, signal.SIGSTOP)
    except ProcessLookupError:
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGCONT)


def pause(proc: Any, seconds: float) -> None:
    with paused(proc):
        time.sleep(seconds)  # keeps the worker stopped while the others run


def pin(procs: Sequence[Any]) -> int | None:
    """Every process in ``procs`` on the lowest CPU this one may use; None when the platform
    cannot pin (then nothing was done)."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = min(os.sched_getaffinity(0))
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.sched_setaffinity(proc.pid, {cpu})
    return cpu


# -- children ----------------------------------------------------------------------------------


def hold_lock(lock: Any, out: Any, release: Any) -> None:
    """Take ``lock``, say so, and hold it until ``release`` is set (or PATIENCE passes)."""
    if not lock.acquire(timeout=PATIENCE):
        out.send("could not acquire")
        return
    out.send("held")
    release.wait(PATIENCE)
    lock.release()


def put_then_exit(q: Any, count: int, out: Any) -> None:
    """Put ``count`` small items, report, and leave with ``os._exit(0)``: the feeder thread
    may not have written them all to the pipe yet (small items keep each write atomic)."""
    for seq in range(count):
        q.put(("exit", seq))
    out.send("put")
    os._exit(0)
