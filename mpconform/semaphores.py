"""Leak check for named POSIX semaphores and shared memory blocks that a test left in /dev/shm.

Under spawn and forkserver, multiprocessing keeps each SemLock's name linked until the object
is finalized, so a leaked Lock or Queue shows up as a ``sem.mp-*`` file. To tell our files
from those of other processes (xdist workers share /dev/shm) each test process stamps its
own pid into the name prefix that backends mirroring CPython's layout use. The
``shared_memory`` properties name their blocks with the same label, so a block the backend did
not unlink is found the same way.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys

SHM_DIR = "/dev/shm"
_MIRRORS = ("multiprocessing", "billiard", "multiprocess")


RUN_LABEL_ENV = "MPCONFORM_RUN_LABEL"


def label() -> str:
    """Unique per process; ``$MPCONFORM_RUN_LABEL`` (letters and digits) tags a whole run."""
    run = "".join(c for c in os.environ.get(RUN_LABEL_ENV, "") if c.isalnum())
    return f"mpc{os.getpid()}{'x' + run if run else ''}"


def stamp_prefix() -> bool:
    """Make semaphores created from now on in this process carry :func:`label`.

    Returns whether the check is possible here (Linux /dev/shm and a known backend layout).
    """
    if not os.path.isdir(SHM_DIR):
        return False
    stamped = False
    for name in _MIRRORS:
        module = sys.modules.get(name)
        if module is None:
            continue
        with contextlib.suppress(AttributeError, TypeError):
            config = module.current_process()._config
            if "semprefix" in config:
                config["semprefix"] = f"/mp-{label()}"
                stamped = True
    return stamped


def ours() -> frozenset[str]:
    """Semaphore and shared memory files that this process created and that still exist."""
    prefixes = (f"sem.mp-{label()}-", f"{label()}-")
    try:
        return frozenset(n for n in os.listdir(SHM_DIR) if n.startswith(prefixes))
    except OSError:
        return frozenset()


def leaked_since(before: frozenset[str]) -> list[str]:
    """Files created since ``before`` that survive a garbage collection."""
    new = ours() - before
    # Youngest generation first: a full collection of a test process costs tens of
    # milliseconds (Hypothesis and pytest keep hundreds of thousands of objects), and the
    # garbage a test leaves is usually young.
    for generation in (0, 1, 2):
        if not new:
            break
        gc.collect(generation)
        new = ours() - before
    return sorted(new)


def left_by(pid: int) -> list[str]:
    """What a dead test process (an ``mpconform run`` job killed mid-test) left in /dev/shm:
    its stamped semaphores and blocks, and loky's, which carry the creating pid. Nobody else
    can be using them: their names belong to that process alone."""
    prefixes = (
        f"sem.mp-mpc{pid}-",
        f"sem.mp-mpc{pid}x",
        f"mpc{pid}-",
        f"mpc{pid}x",
        f"sem.loky-{pid}-",
    )
    try:
        return sorted(n for n in os.listdir(SHM_DIR) if n.startswith(prefixes))
    except OSError:
        return []


def remove_left_by(pid: int) -> list[str]:
    """Unlink :func:`left_by` ``pid``; returns the names removed."""
    removed = []
    for name in left_by(pid):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(SHM_DIR, name))
            removed.append(name)
    return removed
