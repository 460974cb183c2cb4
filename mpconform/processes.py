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


@dataclass(frozen=True)
class Seen:
    """One process as a single read of the process table saw it."""

    pid: int
    ppid: int
    #: Never changes for a process (see :func:`_linux_table`): with the pid, its identity.
    start: float
    zombie: bool

    @property
    def identity(self) -> Identity:
        return (self.pid, self.start)


def _linux_table() -> dict[int, Seen]:
    """Every process, from one pass over /proc/<pid>/stat.

    The start is field 22 (clock ticks after boot), not psutil's create_time(): that adds
    the boot time, which psutil derives from the wall clock, so when the clock is adjusted the
    same process gets another create_time and a process of the baseline (the job's watchdog)
    looked new, a LEAK nobody caused (seen twice in three runs under load, 2026-12-05)."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            pid = int(name)
            table[pid] = Seen(pid, int(fields[1]), float(fields[19]), fields[0] == b"Z")
        except (OSError, IndexError, ValueError):
            continue  # it ended while we read
    return table


def _portable_table() -> dict[int, Seen]:
    table = {}
    for proc in psutil.process_iter(["ppid", "create_time", "status"]):
        info = proc.info
        if info["ppid"] is None or info["create_time"] is None:
            continue
        zombie = info["status"] == psutil.STATUS_ZOMBIE
        table[proc.pid] = Seen(proc.pid, info["ppid"], info["create_time"], zombie)
    return table


class ProcessTable:
    """The machine's processes as one read saw them, indexed by parent.

    Every check of a test (its baseline, its strays, the kept resources' subtrees) asks for
    several subtrees at once; walking psutil's tree once per subtree re-read every process of
    the machine each time, and was a fifth of a test process's CPU time (py-spy, 2026-12-06).
    One read answers them all."""

    def __init__(self) -> None:
        self.seen = _linux_table() if sys.platform.startswith("linux") else _portable_table()
        self._children: dict[int, list[int]] = {}
        for entry in self.seen.values():
            self._children.setdefault(entry.ppid, []).append(entry.pid)

    def below(self, root: int) -> list[Seen]:
        """Every descendant of ``root`` (not ``root`` itself), parents before children."""
        found, queue = [], list(self._children.get(root, ()))
        while queue:
            pid = queue.pop(0)
            if pid == root or pid not in self.seen:
                continue
            found.append(self.seen[pid])
            queue.extend(self._children.get(pid, ()))
        return found


def _is_helper(pid: int) -> bool:
    try:
        return bool(_HELPER.search(" ".join(psutil.Process(pid).cmdline())))
    except psutil.Error:
        return False


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def descendants() -> list[psutil.Process]:
    found = []
    for entry in ProcessTable().below(os.getpid()):
        with contextlib.suppress(psutil.Error):
            found.append(psutil.Process(entry.pid))
    return found


def snapshot() -> frozenset[Identity]:
    """Identities of every live descendant now: the baseline a test is compared with."""
    return frozenset(entry.identity for entry in ProcessTable().below(os.getpid()))


@dataclass(frozen=True)
class Stray:
    pid: int
    cmdline: str

    def __str__(self) -> str:
        return f"pid {self.pid} ({self.cmdline[:120]})"


def strays(baseline: frozenset[Identity], kept: Iterable[int] = ()) -> list[psutil.Process]:
    """Live descendants that are not in ``baseline``, not run-long helpers, and neither
    ``kept`` processes (warm resources, see :mod:`mpconform.warm`) nor below one."""
    table = ProcessTable()
    exempt = set(kept)
    for pid in kept:
        exempt.update(entry.pid for entry in table.below(pid))
    found = []
    for entry in table.below(os.getpid()):
        if entry.pid in exempt or entry.zombie or entry.identity in baseline:
            continue
        if _is_helper(entry.pid):
            continue
        with contextlib.suppress(psutil.Error):
            found.append(psutil.Process(entry.pid))
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
    me = os.getpid()
    for entry in ProcessTable().seen.values():
        if entry.ppid == me and entry.zombie and entry.pid not in keep:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(entry.pid, os.WNOHANG)


def is_gone(pid: int) -> bool:
    """True when ``pid`` is dead: exited, reaped, or a zombie nobody has reaped yet."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
