"""Warm resources kept across tests: agents, Pools, managers that are not what a test is about.

Process start-up dominates a multiprocessing suite. A property about ``Pool.map``'s results,
a manager's list proxy or a Connection's payloads is not about start-up, so the worker keeps
one such resource per (start method, kind) and lends it to every test that needs it.

What keeps the lending honest:

- a resource is checked (``healthy``) before it is lent and reset after a test that passed;
- a test that *fails* while holding it (any exception, TIMEOUT included) gets it discarded:
  closed, its processes killed; the next test starts a fresh one, so one test's breakage
  never reaches another test's verdict;
- the processes and semaphores a kept resource owns are not leaks of the test that happened
  to start it: the plugin's leak check exempts them (:func:`kept_pids`, :func:`kept_sems`),
  and everything kept is closed at session end (:func:`close_all`), where the session's own
  leak check then sees whether closing it left anything behind.
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from typing import Any, Callable

from . import semaphores


@dataclass
class Kept:
    """One kept resource and how to look after it."""

    resource: Any
    pids: Callable[[], list[int]]  # the processes it owns now (workers may be replaced)
    close: Callable[[], Any]
    healthy: Callable[[], bool] = lambda: True
    sems: frozenset[str] = field(default_factory=frozenset)


_KEPT: dict[Hashable, Kept] = {}


def _discard(key: Hashable) -> None:
    kept = _KEPT.pop(key, None)
    if kept is None:
        return
    try:
        kept.close()
    except BaseException:
        # Closing failed (a hung resource): kill what it owns; the leak check sees the rest.
        from . import processes

        with contextlib.suppress(Exception):
            import psutil

            procs = []
            for pid in kept.pids():
                with contextlib.suppress(psutil.Error):
                    procs.append(psutil.Process(pid))
            processes.kill_tree(procs)


@contextlib.contextmanager
def borrowed(
    key: Hashable,
    make: Callable[[], Kept],
    *,
    reset: Callable[[Any], Any] | None = None,
) -> Iterator[Any]:
    """Lend the resource kept under ``key`` (made by ``make`` when missing or unhealthy)."""
    kept = _KEPT.get(key)
    if kept is not None:
        healthy = False
        with contextlib.suppress(Exception):
            healthy = bool(kept.healthy())
        if not healthy:
            _discard(key)
            kept = None
    if kept is None:
        before = semaphores.ours()
        kept = make()
        kept.sems = semaphores.ours() - before
        _KEPT[key] = kept
    try:
        yield kept.resource
    except BaseException:
        _discard(key)
        raise
    if reset is not None:
        try:
            reset(kept.resource)
        except BaseException:
            _discard(key)
            raise


def keep(key: Hashable, make: Callable[[], Kept]) -> None:
    """Make what is kept under ``key`` unless it is there: a resource nobody borrows (a
    backend's session service), kept only so that it is exempt and closed like the rest."""
    if key not in _KEPT:
        before = semaphores.ours()
        kept = make()
        kept.sems = semaphores.ours() - before
        _KEPT[key] = kept


def discard(key: Hashable) -> None:
    """Close what is kept under ``key`` now (a test that broke it on purpose)."""
    _discard(key)


def kept_pids() -> set[int]:
    """Processes owned by kept resources, which outlive the test that started them."""
    pids: set[int] = set()
    for kept in list(_KEPT.values()):
        with contextlib.suppress(Exception):
            pids.update(kept.pids())
    return pids


def kept_sems() -> frozenset[str]:
    """Semaphore files created while kept resources were made."""
    found: frozenset[str] = frozenset()
    for kept in _KEPT.values():
        found |= kept.sems
    return found


def close_all() -> None:
    """Close every kept resource (session end, or before a test that counts processes)."""
    for key in list(_KEPT):
        _discard(key)
