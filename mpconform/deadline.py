"""Per-test deadline that turns a hang into TIMEOUT and frees whatever was stuck.

SIGALRM interrupts blocking waits in the main thread (joins, recv, acquire). When it fires,
the processes the test started are killed first, so cleanup code that joins them (``with
Pool()``, ``finally: p.join()``) completes instead of hanging a second time; then TestTimeout
unwinds the test. If the test is still running after a grace period, the alarm fires again.
pytest-timeout's thread method stays behind this as the last resort for code that never
returns to the interpreter.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Callable

from .outcomes import TestTimeout

GRACE_SECONDS = 10.0


@contextmanager
def deadline(seconds: float, on_expiry: Callable[[], str]) -> Iterator[None]:
    """Raise TestTimeout in the main thread after ``seconds``; ``on_expiry`` cleans up first.

    ``on_expiry`` returns a short description of what it killed, for the message.
    """
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = []
    owner = os.getpid()

    def _handler(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != owner:
            # A fork child inherited this handler: SIGALRM there means what it always means.
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGALRM)
            return
        fired.append(True)
        what = on_expiry()
        suffix = f"; {what}" if what else ""
        if len(fired) == 1:
            raise TestTimeout(f"test did not finish within {seconds:g} s{suffix}")
        raise TestTimeout(f"test still running {GRACE_SECONDS:g} s after its timeout{suffix}")

    previous = signal.signal(signal.SIGALRM, _handler)
    signal.setitimer(signal.ITIMER_REAL, seconds, GRACE_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
