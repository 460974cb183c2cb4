"""Backends that hang, crash or leak: they prove the harness verdicts TIMEOUT, CRASH, LEAK.

Used by the harness's own tests; each misbehaves in a way real backends have.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import subprocess
import sys
import time
from typing import Any

from .wrap import mutant

ORPHAN_SECONDS = 600


def return_normally() -> None:
    """The target every fault case starts; the fault is in the backend, not the target."""


def block_forever(ready: Any = None) -> None:
    """Block for good; say so first on ``ready`` (a Connection), if given."""
    marker = os.environ.get("CASE_STARTED_FILE")
    if marker:  # lets a harness test act once the child really blocks
        with open(marker, "a") as fh:
            fh.write("blocking\n")
    if ready is not None:
        ready.send("blocking")
    time.sleep(ORPHAN_SECONDS)


def segfault() -> None:
    ctypes.string_at(0)


class HangingJoin:
    """join() ignores its timeout and the child never ends: a wait that cannot return."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._target = block_forever

    def join(self, timeout: Any = None) -> None:
        super().join()  # type: ignore[misc]


class SegfaultingChild:
    """The child dies of SIGSEGV before running its target (a broken C extension)."""

    def run(self) -> None:
        segfault()


class LeakingHelper:
    """start() launches a helper process that nobody ever stops (in its own session)."""

    def start(self) -> None:
        super().start()  # type: ignore[misc]
        self._helper = subprocess.Popen(
            [sys.executable, "-c", f"import time; time.sleep({ORPHAN_SECONDS})"],
            start_new_session=True,
        )


_HOARD: list[Any] = []


class HoardingLocks:
    """start() allocates a lock it never frees (a backend caching semaphores per process)."""

    def start(self) -> None:
        super().start()  # type: ignore[misc]
        _HOARD.append(multiprocessing.get_context(self._start_method).Lock())


class HoardingBlocks:
    """start() creates a shared memory block named like the suite's own and never unlinks it
    (the way a leaked ShareableList looks to the leak check)."""

    def start(self) -> None:
        super().start()  # type: ignore[misc]
        from multiprocessing import shared_memory

        from mpconform import semaphores

        name = f"{semaphores.label()}-hoard{len(_HOARD)}"
        _HOARD.append(shared_memory.SharedMemory(name=name, create=True, size=8))


class CrashingParent:
    """is_alive() crashes the calling interpreter: the test runner itself dies."""

    def is_alive(self) -> bool:
        segfault()
        return False


hang = mutant("hang", HangingJoin, globals(), "join ignores its timeout; children never exit")
child_segfault = mutant("child-segfault", SegfaultingChild, globals(), "children segfault")
leak = mutant("leak", LeakingHelper, globals(), "start() leaks a helper process")
semaphore_leak = mutant("semaphore-leak", HoardingLocks, globals(), "start() leaks a Lock")
block_leak = mutant("block-leak", HoardingBlocks, globals(), "start() leaks a shared memory block")
parent_segfault = mutant("parent-segfault", CrashingParent, globals(), "is_alive() segfaults")
