"""Bounded waits on children for use in tests: a hang becomes TIMEOUT, a signal death CRASH.

Upper bounds here are liveness bounds: they decide "this hangs", never "this is slow". Only
lower bounds are asserted as timing properties. A bound that runs out is not yet a verdict:
on a machine whose cores are all busy a healthy child can be starved for longer than any
fixed bound, so the wait first asks whether the processes it waits on used CPU time since it
last looked (:class:`Progress`). Only a wait whose processes made no progress for a whole
bound ends as TIMEOUT; one that keeps seeing progress is still capped (a livelock also burns
CPU), at :data:`MAX_EXTENSIONS` extra bounds.

The helpers here (:func:`join`, :func:`receive`) watch the test's whole process tree, not
just the child they wait on: a producer waiting at exit for its feeder to flush uses no CPU
while the consumers it waits for are the ones being starved, and the system is still
progressing.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Iterable
from typing import Any, Callable

import psutil

from . import processes
from .limits import LIVENESS, POLL
from .outcomes import ChildCrashed, TestTimeout

#: How many more bounds a wait grants while the waited-on processes keep using CPU.
MAX_EXTENSIONS = 3
#: CPU seconds a process tree must use within a bound to count as progressing.
MIN_PROGRESS = 0.005
#: Seconds into a wait before the first CPU-time reading (the baseline of the progress check).
PROGRESS_BASELINE_AFTER = 0.5

__all__ = ["LIVENESS", "POLL", "Progress", "finish", "join", "receive", "wait_until"]


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _pid_of(proc: Any) -> int | None:
    pid = getattr(proc, "pid", None)
    return pid if isinstance(pid, int) else None


class Progress:
    """CPU time used by some processes and everything below them, compared between looks.

    ``procs`` are Process objects (anything with an int ``pid``); ``None`` means every
    descendant of the test process, for waits on something that is not one child (a Pool's
    result, a manager's answer).
    """

    def __init__(self, procs: Iterable[Any] | None = None) -> None:
        self._pids = None if procs is None else [p for p in map(_pid_of, procs) if p]
        self._last = self._cpu()

    def _roots(self) -> list[psutil.Process]:
        if self._pids is None:
            return processes.descendants()
        roots = []
        for pid in self._pids:
            with contextlib.suppress(psutil.Error):
                roots.append(psutil.Process(pid))
        return roots

    def _cpu(self) -> float:
        total = 0.0
        seen: set[int] = set()
        for root in self._roots():
            with contextlib.suppress(psutil.Error):
                for p in [root, *root.children(recursive=True)]:
                    if p.pid in seen:
                        continue
                    seen.add(p.pid)
                    with contextlib.suppress(psutil.Error):
                        times = p.cpu_times()
                        total += times.user + times.system
        return total

    def made(self) -> bool:
        """Whether the processes used CPU time since the previous call (or creation)."""
        now = self._cpu()
        moved = now - self._last >= MIN_PROGRESS
        self._last = now
        return moved


def wait_until(
    ready: Callable[[float], bool],
    what: str,
    procs: Iterable[Any] | None = None,
    bound: float = LIVENESS,
    gone: Callable[[], str | None] | None = None,
) -> None:
    """Call ``ready(slice)`` until it returns True; TIMEOUT when ``procs`` stop progressing.

    ``ready`` may block for up to ``slice`` seconds. ``gone`` is called between slices and
    returns a message when the other side ended, so that a dead child fails at once instead
    of after the bound.
    """
    start = time.monotonic()
    end = start + bound
    # Measuring CPU time walks the process tree: done only once a wait has lasted a while,
    # never on the fast path, where the answer comes within the first slice.
    look_after = start + min(PROGRESS_BASELINE_AFTER, bound / 2)
    progress: Progress | None = None
    extensions = 0
    while True:
        if ready(POLL):
            return
        if progress is None and time.monotonic() >= look_after:
            progress = Progress(procs)
        if gone is not None:
            message = gone()
            if message is not None:
                if ready(0):  # it may have done its part just before ending
                    return
                raise AssertionError(message)
        if time.monotonic() < end:
            continue
        if progress is None:
            progress = Progress(procs)
        if bound > 0 and extensions < MAX_EXTENSIONS and progress.made():
            extensions += 1
            end = time.monotonic() + bound
            continue
        waited = bound * (extensions + 1)
        why = "made no progress" if extensions < MAX_EXTENSIONS else "was still busy"
        raise TestTimeout(f"{what} did not happen within {waited:g} s (the other side {why})")


def join(
    proc: Any,
    timeout: float = LIVENESS,
    what: str | None = None,
    drain: Callable[[], Any] | None = None,
) -> Any:
    """Join ``proc``; if it still runs and makes no progress, kill its tree and TIMEOUT.

    ``drain`` is called between slices, for a child that can only end once the test read
    what it wrote (a Queue feeder flushing at exit, a full pipe). Returns the exitcode.
    """
    name = what or getattr(proc, "name", "the child")

    def ended(slice_: float) -> bool:
        if drain is not None:
            drain()
        proc.join(slice_)
        return not proc.is_alive()

    try:
        wait_until(ended, f"{name} ending", None, timeout)
    except TestTimeout as exc:
        pid = _pid_of(proc)
        if pid is not None:
            with contextlib.suppress(psutil.Error):
                processes.kill_tree([psutil.Process(pid)])
            proc.join(5)
        raise TestTimeout(f"{name} still running: {exc}") from None
    return proc.exitcode


def finish(
    proc: Any,
    timeout: float = LIVENESS,
    what: str | None = None,
    drain: Callable[[], Any] | None = None,
) -> Any:
    """Join ``proc`` that nobody signals: a negative exitcode is a crash, not a verdict."""
    code = join(proc, timeout, what, drain)
    if isinstance(code, int) and code < 0:
        raise ChildCrashed(
            f"{what or proc.name} died from {signal_name(-code)} (exitcode {code}) "
            "although the test never signalled it"
        )
    return code


def receive(source: Any, proc: Any = None, what: str = "its report") -> Any:
    """The next message from ``source``: a Connection, or ``get(slice)`` that returns
    :data:`~mpconform.agents.NOTHING` when the slice passed empty-handed (a queue).

    It fails at once when child ``proc`` (if any) ended without sending it, and ends as
    TIMEOUT when the test's processes stop making progress.
    """
    from .agents import NOTHING

    box: list[Any] = []
    if callable(source):

        def ready(slice_: float) -> bool:
            item = source(slice_)
            if item is NOTHING:
                return False
            box.append(item)
            return True

    else:

        def ready(slice_: float) -> bool:
            if not source.poll(slice_):
                return False
            box.append(source.recv())
            return True

    def gone() -> str | None:
        if proc is None or proc.is_alive():
            return None
        name = getattr(proc, "name", "the child")
        return f"{name} ended with exitcode {proc.exitcode} before sending {what}"

    sender = "" if proc is None else f" from {getattr(proc, 'name', 'the child')}"
    wait_until(ready, f"{what}{sender}", None, gone=gone)
    return box[0]


def in_thread(
    call: Callable[[], Any],
    what: str,
    timeout: float = LIVENESS,
    on_timeout: Callable[[], Any] | None = None,
) -> Any:
    """``call()`` in a thread of its own: its value, or its exception re-raised.

    For blocking calls that take no timeout (``Listener.accept()``, ``Pool.map()``). If the
    call still runs after ``timeout``, ``on_timeout`` may wake it, and the test ends as
    TIMEOUT; the thread is a daemon, so a call that never returns keeps only that thread.
    """
    import threading

    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True, name=f"mpconform: {what}")
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        if on_timeout is not None:
            on_timeout()
            thread.join(5)
        raise TestTimeout(f"{what} still blocked after {timeout:g} s")
    if "error" in box:
        error = box.pop("error")
        try:
            raise error
        finally:
            del error  # no reference cycle through the traceback
    return box.get("value")
