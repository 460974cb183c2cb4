"""Process-tree bookkeeping: what a test started, what it left behind, and killing it.

The harness process makes itself a child subreaper (Linux) so that orphans (a grandchild
whose parent died) are re-parented to it instead of init: they stay visible to the leak check
and killable on timeout. Helper processes that backends keep for the whole run (forkserver,
resource tracker) are not leaks; their children are.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass

import psutil

_PR_SET_CHILD_SUBREAPER = 36
_HELPER = re.compile(r"\b(forkserver|resource_tracker|semaphore_tracker) import main\b")

Identity = tuple[int, float]  # (pid, create_time): pids are reused, this pair is not


def become_subreaper() -> bool:
    """Adopt orphaned descendants; returns whether the platform allowed it."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _identity(proc: psutil.Process) -> Identity | None:
    """(pid, start time) where the start time never changes for a process.

    psutil's create_time() adds the process's start (in clock ticks since boot) to the boot
    time, which it derives from the wall clock: when the clock is adjusted, the same process
    gets another create_time, and a process of the baseline (the job's watchdog) looked new,
    a LEAK nobody caused (seen twice in three runs under load, 2026-12-05). On Linux the
    start in clock ticks is read from /proc; elsewhere create_time() is what there is."""
    try:
        with open(f"/proc/{proc.pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return (proc.pid, float(fields[19]))  # field 22, starttime: ticks after boot
    except (OSError, IndexError, ValueError):
        pass
    try:
        return (proc.pid, proc.create_time())
    except psutil.Error:
        return None


def _is_helper(proc: psutil.Process) -> bool:
    try:
        return bool(_HELPER.search(" ".join(proc.cmdline())))
    except psutil.Error:
        return False


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def descendants() -> list[psutil.Process]:
    try:
        return psutil.Process().children(recursive=True)
    except psutil.Error:
        return []


def snapshot() -> frozenset[Identity]:
    """Identities of every live descendant now: the baseline a test is compared with."""
    return frozenset(i for p in descendants() if (i := _identity(p)) is not None)


@dataclass(frozen=True)
class Stray:
    pid: int
    cmdline: str

    def __str__(self) -> str:
        return f"pid {self.pid} ({self.cmdline[:120]})"


def strays(baseline: frozenset[Identity], kept: Iterable[int] = ()) -> list[psutil.Process]:
    """Live descendants that are not in ``baseline``, not run-long helpers, and neither
    ``kept`` processes (warm resources, see :mod:`mpconform.warm`) nor below one."""
    everything = descendants()
    exempt = set(kept)
    for proc in everything:
        if proc.pid in exempt:
            with contextlib.suppress(psutil.Error):
                exempt.update(p.pid for p in proc.children(recursive=True))
    found = []
    for proc in everything:
        if proc.pid in exempt:
            continue
        ident = _identity(proc)
        if ident is None or ident in baseline or not _alive(proc) or _is_helper(proc):
            continue
        found.append(proc)
    return found


def describe(procs: Iterable[psutil.Process]) -> list[Stray]:
    out = []
    for proc in procs:
        try:
            cmd = " ".join(proc.cmdline()) or proc.name()
        except psutil.Error:
            cmd = "?"
        out.append(Stray(proc.pid, cmd))
    return out


def kill_tree(procs: Iterable[psutil.Process], wait: float = 5.0) -> None:
    """SIGKILL each process, everything below it, and its process group if it leads one.

    Direct children are left as zombies rather than reaped here: reaping a child behind the
    backend's back would make its Process object believe the child runs forever.
    """
    own_group = os.getpgrp()
    victims: dict[int, psutil.Process] = {}
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            for p in [proc, *proc.children(recursive=True)]:
                victims[p.pid] = p
    for p in victims.values():
        with contextlib.suppress(psutil.Error, OSError):
            pgid = os.getpgid(p.pid)
            if pgid == p.pid and pgid != own_group:
                os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(psutil.Error):
            p.kill()
    deadline = time.monotonic() + wait
    pending = list(victims.values())
    while pending and time.monotonic() < deadline:
        pending = [p for p in pending if _alive(p)]
        if pending:
            time.sleep(0.01)


def reap_orphans(known_children: Iterable[int] = ()) -> None:
    """Collect zombies re-parented to us (we are a subreaper) that no backend will reap."""
    keep = set(known_children)
    for proc in psutil.Process().children(recursive=False):
        if proc.pid in keep:
            continue
        with contextlib.suppress(psutil.Error, ChildProcessError, OSError):
            if proc.status() == psutil.STATUS_ZOMBIE:
                os.waitpid(proc.pid, os.WNOHANG)


def is_gone(pid: int) -> bool:
    """True when ``pid`` is dead: exited, reaped, or a zombie nobody has reaped yet."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
