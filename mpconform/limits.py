"""The suite's one set of time limits, for the test process and its children alike.

Every upper bound in mpconform is a liveness bound: it decides "this hangs", never "this is
slow". A fixed number of seconds cannot be right on both an idle laptop and a CI runner whose
cores are all busy, so the bounds are scaled by the machine's measured slowness: the first
process of a run that imports this module times a fixed amount of CPU work (:func:`calibrate`)
and exports the factor in ``MPCONFORM_SLOWDOWN``, which every later process of the run (xdist
workers, and children of every start method) inherits with the environment and reuses.
A wait that still runs out first asks whether the other side made progress (see
:mod:`mpconform.waiting`), so even a slowdown that begins after calibration is no false failure.

This module imports only the standard library: children import it at every process start.
"""

from __future__ import annotations

import os
import time

ENV = "MPCONFORM_SLOWDOWN"
#: The reference machine does :func:`_work` in this many seconds; slower machines scale up.
_REFERENCE_WORK_SECONDS = 0.05
#: Calibration never shrinks a bound, and stops growing it here.
_MAX_SLOWDOWN = 8.0


def slowdown() -> float:
    """The factor by which this run's bounds exceed the reference machine's (at least 1).

    Measured once per run: a process that finds no factor in the environment calibrates and
    puts its result there for its descendants.
    """
    try:
        factor = float(os.environ[ENV])
    except (KeyError, ValueError):
        factor = calibrate()
        os.environ[ENV] = f"{factor:.2f}"
    return min(max(factor, 1.0), _MAX_SLOWDOWN)


def _work() -> None:
    total = 0
    for i in range(300_000):
        total += i * i
    if total < 0:  # pragma: no cover - keeps the loop from being optimised away
        raise AssertionError


def calibrate(samples: int = 3) -> float:
    """Time :func:`_work` (best of ``samples``) and return the slowdown it implies.

    The best run, not the mean: a single preemption must not double every bound, and a
    machine that is busy later is covered by the progress check, not by this figure.
    """
    best = min(_timed() for _ in range(max(1, samples)))
    return min(max(best / _REFERENCE_WORK_SECONDS, 1.0), _MAX_SLOWDOWN)


def _timed() -> float:
    t0 = time.perf_counter()
    _work()
    return time.perf_counter() - t0


#: Seconds the test process waits for a child's next sign of life before asking whether it
#: made progress; a child that made none within this bound hangs (TIMEOUT).
LIVENESS_AT_REFERENCE = 30.0
SLOWDOWN = slowdown()
LIVENESS = LIVENESS_AT_REFERENCE * SLOWDOWN
#: Seconds of silence after which a long-lived child decides its test is gone and ends. It
#: outlasts every wait of the test process, which may extend LIVENESS while it sees progress.
PATIENCE = 4 * LIVENESS


def scaled(seconds_at_reference: float) -> float:
    """A shorter bound an area states for the reference machine (a grace period, a wake-up
    that must come), stretched like :data:`LIVENESS` on a slower one: one calibration for
    every upper bound, so none of them fails the reference on a busy machine."""
    return seconds_at_reference * SLOWDOWN


#: Slice of a bounded wait: how often a waiting test looks at whether the other side died.
POLL = 0.05
