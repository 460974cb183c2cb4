"""What a stress test gets from the harness: a time budget, a place for its figures, a way to
stop early that keeps what it verified, and a progress line for runs that last hours.

A stress test loops ``for round in stress.rounds():`` and records into ``stress.metrics``
after every round, so whatever ends the loop (the budget ran out, Ctrl-C, a violation) leaves
figures that describe exactly the rounds that were checked. Ctrl-C during the loop ends it
after the current round instead of tearing the test down: the test then finishes normally,
its partial figures are reported, and the session stops after it.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, Callable

PROGRESS_EVERY = 10.0  # seconds between progress lines on long runs
#: A budget below this many seconds is a smoke: every detector runs once, on short slices,
#: and figures that only compare (ops/s with and without history) are left out. The default
#: (ci) profile's budget is a smoke; figures need ``--mp-stress-seconds`` or ``thorough``.
SMOKE_BELOW = 1.0


class StressRun:
    """One stress test's budget and figures (the ``mp_stress`` fixture)."""

    def __init__(
        self,
        seconds: float,
        name: str = "stress",
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.seconds = seconds
        self.name = name
        self.metrics: dict[str, Any] = {}
        self.interrupted = False
        self._progress = progress
        self._started = 0.0

    @property
    def smoke(self) -> bool:
        """Whether this run only exercises the detectors (see :data:`SMOKE_BELOW`)."""
        return self.seconds < SMOKE_BELOW

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._started if self._started else 0.0

    def record(self, **figures: Any) -> None:
        """Merge figures into the metrics reported for this test (numbers, text, booleans)."""
        self.metrics.update(figures)

    def rounds(self, minimum: int = 1) -> Iterator[int]:
        """Yield round numbers until the time budget is spent (at least ``minimum`` rounds);
        a smoke runs exactly ``minimum`` rounds: it is there to run every detector once, and
        filling its fraction of a second with more rounds would only cost time.

        A Ctrl-C (SIGINT) while looping ends the loop after the current round.
        """
        self._started = time.monotonic()
        end = self._started + (0.0 if self.smoke else self.seconds)
        last_progress = self._started
        restore = self._catch_interrupts()
        try:
            number = 0
            while number < minimum or time.monotonic() < end:
                if self.interrupted:
                    break
                yield number
                number += 1
                now = time.monotonic()
                if self._progress is not None and now - last_progress >= PROGRESS_EVERY:
                    last_progress = now
                    self._progress(self.progress_line())
        finally:
            restore()
            self.metrics["seconds"] = round(self.elapsed, 3)
            self.metrics["rounds"] = number
            if self.interrupted:
                self.metrics["interrupted"] = True

    def progress_line(self) -> str:
        shown = {k: v for k, v in self.metrics.items() if isinstance(v, (int, float))}
        figures = ", ".join(f"{k}={_short(v)}" for k, v in shown.items())
        return f"{self.name}: {self.elapsed:.0f}/{self.seconds:g} s {figures}"

    def _catch_interrupts(self) -> Callable[[], None]:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = signal.getsignal(signal.SIGINT)
        if previous is signal.SIG_IGN:
            return lambda: None

        def stop_after_this_round(signum: int, frame: Any) -> None:
            if self.interrupted:  # a second Ctrl-C: the user means it
                signal.signal(signal.SIGINT, previous)
                raise KeyboardInterrupt
            self.interrupted = True
            print(
                f"\n{self.name}: interrupted; finishing this round (Ctrl-C again to abort)",
                file=sys.stderr,
            )

        signal.signal(signal.SIGINT, stop_after_this_round)

        def restore() -> None:
            signal.signal(signal.SIGINT, previous)

        return restore


def _short(value: float) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
