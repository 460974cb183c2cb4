"""Task functions run in ProcessPoolExecutor workers by the executor properties.

Spawn and forkserver workers import this module by name to unpickle the tasks, so it imports
only the stdlib and defines names, nothing more.
"""

from __future__ import annotations

import os
import signal


class TaskError(ValueError):
    """Raised by tasks on purpose: its type and message must reach the future unchanged."""


def square(x: int) -> int:
    return x * x


def refuse(x: int) -> int:
    raise TaskError(f"task refused {x}")


def die(_: object = None) -> None:
    """Ends the worker as a crash would: no exception, no result, only a dead process."""
    os.kill(os.getpid(), signal.SIGKILL)


def pid(_: object = None) -> int:
    return os.getpid()
