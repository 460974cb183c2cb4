"""Task functions and initializers run in Pool workers by the Pool properties.

Spawn and forkserver workers import this module by name to unpickle the tasks, so it imports
only the stdlib and does nothing at import time beyond defining names. Synchronised objects
(queues, events, barriers) reach a worker only through ``initializer``/``initargs`` at pool
creation; the initializers below keep them in :data:`_SHARED` for the tasks to use.

Workers are told apart by a token made on first use in each worker (process id plus a random
part, kept in a ``threading.local``): a pid can be reused by a replacement process, and a
thread ident by a replacement thread of a ThreadPool, but a token cannot. Every wait is bounded
by :data:`PATIENCE`, so a worker whose test died gives up instead of lingering.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from typing import Any

from mpconform.limits import PATIENCE

BROKEN = "mpconform-barrier-broken"

_LOCAL = threading.local()
_SHARED: dict[str, Any] = {}


class TaskError(ValueError):
    """Raised by tasks on purpose: its type and message must reach the caller unchanged."""


class Unpicklable:
    """An object whose pickling fails with TypeError, in any pickler (dill included)."""

    def __reduce__(self) -> Any:
        raise TypeError("mpconform: this object refuses to be pickled")


def _worker() -> Any:
    """This worker's token and how many times its initializer ran, created on first use.

    The pid is checked because a fork copies the forking thread's locals into the child.
    """
    if getattr(_LOCAL, "pid", None) != os.getpid():
        _LOCAL.pid = os.getpid()
        _LOCAL.token = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        _LOCAL.inits = 0
    return _LOCAL


# -- plain tasks -------------------------------------------------------------------------------


def square(x: int) -> int:
    return x * x


def add(a: int, b: int = 0) -> int:
    return a + b


def power(base: int, exponent: int = 2, *, offset: int = 0) -> int:
    return base**exponent + offset


def identity(x: Any) -> Any:
    return x


def paced_square(item: tuple[int, float]) -> int:
    """Square ``item[0]`` after holding the worker ``item[1]`` seconds.

    The pause only varies which task finishes first, so that a pool handing results out in
    completion order gets caught; the result does not depend on it.
    """
    value, pause = item
    if pause:
        time.sleep(pause)
    return value * value


def square_unless(x: int, bad: frozenset) -> int:
    """Square ``x``, or raise TaskError naming ``x`` when it is one of ``bad``."""
    if x in bad:
        raise TaskError(f"task refused {x}")
    return x * x


def make_generator(x: int) -> Any:
    """A result no pickler can send (dill neither): the worker must report that instead."""
    return (x for _ in range(1))


# -- initializers and tasks that need them -----------------------------------------------------


def remember(report: Any, value: Any) -> None:
    """Initializer: count this worker's initialisations and report (token, count, value)."""
    me = _worker()
    me.inits += 1
    _SHARED["value"] = value
    if report is not None:
        report.put((me.token, me.inits, value))


def whoami(x: int) -> tuple[int, str, int]:
    """(x, this worker's token, how many times its initializer ran)."""
    me = _worker()
    return x, me.token, me.inits


def worker_pid(pause: float) -> int:
    """This worker's pid, after ``pause`` seconds: probes that spread over every worker."""
    time.sleep(pause)
    return os.getpid()


def keep(objects: dict) -> None:
    """Initializer: keep the synchronised objects a test passed for its tasks, by name."""
    _SHARED.update(objects)


def rendezvous(x: int) -> tuple[int, str, int]:
    """Wait at the barrier with the other workers, counting how many run at once.

    The task returns only once ``parties`` tasks are inside together, so a pool that runs
    fewer workers than it was asked for leaves it BROKEN (after the child's bounded wait).
    Returns (x, token, the peak count this task saw).
    """
    lock, running, peak = _SHARED["lock"], _SHARED["running"], _SHARED["peak"]
    with lock:
        running.value += 1
        peak.value = max(peak.value, running.value)
    try:
        _SHARED["barrier"].wait(_SHARED["patience"])
        outcome: Any = x
    except threading.BrokenBarrierError:
        outcome = BROKEN
    finally:
        with lock:
            running.value -= 1
    return outcome, _worker().token, peak.value


def hold(x: int) -> int:
    """Report this worker's pid on the ``started`` queue, then wait for the ``gate`` event.

    Gives up after PATIENCE, so a worker the test forgot does not outlive it for long.
    """
    _SHARED["started"].put(os.getpid())
    if not _SHARED["gate"].wait(PATIENCE):
        raise TaskError("the gate never opened")
    return x


def gated(x: int) -> int:
    """Wait for the ``gate`` event (bounded), then return ``x``."""
    if not _SHARED["gate"].wait(PATIENCE):
        raise TaskError("the gate never opened")
    return x


def gated_failure(x: int) -> int:
    """Wait for the ``gate`` event (bounded), then raise TaskError naming ``x``."""
    gated(x)
    raise TaskError(f"task refused {x}")


#: Set by the test before it makes a Pool: a fork worker sees the new value, a spawn or
#: forkserver worker the one at import.
MARKER: Any = "as imported"
_THREAD = threading.local()
INITIALISED: list[Any] = []


def marker(_x: Any) -> Any:
    return MARKER


def remember_in_thread(token: Any) -> None:
    """A ThreadPool initializer: note the token for this thread, and that it ran."""
    _THREAD.token = token
    INITIALISED.append((threading.get_ident(), token))


def thread_token(_x: Any) -> Any:
    return getattr(_THREAD, "token", None)
