"""Parallel jobs of one ``mpconform run``: separate pytest processes, each a slice of the tests.

Why not pytest-xdist here: an xdist worker runs execnet's I/O thread for its whole life, so
every process a property starts under the fork start method would be forked from a
multi-threaded process, where the child can deadlock at random (Python 3.12+ warns at each
such fork). A job is a plain single-threaded pytest process, its slice is a shard of the tests
(``--mp-shard``, every N-th test by node id, so each job gets a mix of every area), and the
jobs' results are merged into one document afterwards, as CI merges shards.

While the jobs run, each appends a line per finished test to a progress file; this module
reads them and prints one progress line by area every few seconds instead of pytest's dots.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO

from . import semaphores
from .errors import PYTEST_NO_TESTS, PYTEST_USAGE
from .status import Status

#: Where each job's recorder appends a line per finished test.
PROGRESS_ENV = "MPCONFORM_PROGRESS_FILE"
#: Set in every job: the CLI prints the verdict summary, so the job's pytest does not as well.
SUMMARY_BY_CLI_ENV = "MPCONFORM_SUMMARY_BY_CLI"
#: Set in every job, which runs as the leader of a process group of its own (see watchdog).
JOB_GROUP_ENV = "MPCONFORM_JOB_GROUP"
#: Beside the progress file: one JSON result per finished test (see mpconform.recovery).
JOURNAL_NAME = "journal.jsonl"
PROGRESS_NAME = "progress.tsv"
#: Restarts of one job after its process was killed; each one consumes at least one test.
MAX_RESTARTS = 20
#: Seconds between two progress lines.
PROGRESS_EVERY = 10.0


#: Jobs per usable CPU under ``--jobs auto``. A job spends much of its time waiting for its
#: children (pipe round trips, joins, the timeouts that timed properties must let pass), so
#: one job per CPU leaves the CPUs idle about a third of the time; two fill them. Measured on
#: 2 CPUs: the default run took 42 s with 2 jobs, 37 s with 4, and its CPU time barely moved.
JOBS_PER_CPU = 2


def share_unicode_tables() -> None:
    """Compute Hypothesis's Unicode tables once, for all the jobs of a run.

    Hypothesis derives which characters a text strategy may draw (the general categories, and
    which code points UTF-8 encodes) on first use and caches the result in its storage
    directory, which the jobs share (their working directory's ``.hypothesis``). In a fresh
    directory every job would derive them at once: about 1.5 s of CPU each, a few seconds of
    wall time on a small machine. Computed here while the jobs collect their tests, they find
    the cache written. Internal API: if it moved, each job computes its own, as before.
    """
    with contextlib.suppress(Exception):
        from hypothesis.internal.charmap import charmap, intervals_from_codec

        charmap()
        intervals_from_codec("utf-8")


def usable_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def count(jobs: str) -> int:
    """``--jobs`` as a number of processes: 'auto' is JOBS_PER_CPU per usable CPU; 0 means one."""
    if jobs == "auto":
        return JOBS_PER_CPU * usable_cpus()
    return max(1, int(jobs))


def shard_of(job: int, jobs: int, shard: tuple[int, int] | None) -> str:
    """The ``--mp-shard`` of job ``job`` (1-based) of ``jobs``, within the CI shard ``shard``.

    Shard K/M keeps the tests whose rank r (by node id) has r % M == K-1; job j of N within
    it keeps r // M % N == j-1. Together: r % (M*N) == (K-1) + M*(j-1), itself a shard.
    """
    k, m = shard or (1, 1)
    return f"{(k - 1) + m * (job - 1) + 1}/{m * jobs}"


@dataclass
class Job:
    """One pytest process of the run, and the ones that took over its tests after it died."""

    number: int
    report_dir: str  # the current attempt's
    proc: subprocess.Popen
    log: IO[str] | None
    log_path: str | None
    cmd: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    # Every attempt's report directory, first to current: each ends with a results.json,
    # written by pytest or, for an attempt whose process was killed, by mpconform.recovery.
    attempts: list[str] = field(default_factory=list)

    @property
    def progress_path(self) -> str:
        return os.path.join(self.report_dir, PROGRESS_NAME)


@dataclass
class Progress:
    """What the jobs' progress files say so far: tests done and differing, by area."""

    collected: int = 0
    done: int = 0
    differ: int = 0
    by_area: Counter[str] = field(default_factory=Counter)
    totals: Counter[str] = field(default_factory=Counter)  # tests collected per area
    differ_by_area: Counter[str] = field(default_factory=Counter)

    @classmethod
    def read(cls, jobs: Sequence[Job]) -> Progress:
        found = cls()
        for job in jobs:
            for number, attempt in enumerate(job.attempts or [job.report_dir]):
                try:
                    with open(os.path.join(attempt, PROGRESS_NAME), encoding="utf-8") as fh:
                        lines = fh.read().splitlines()
                except OSError:
                    continue
                found._add(lines, totals=number == 0)  # a restart collects only the rest
        return found

    def _add(self, lines: list[str], totals: bool) -> None:
        for line in lines:
            parts = line.split("\t")
            if parts[0] == "collected" and len(parts) == 2:
                self.collected += int(parts[1]) if totals else 0
            elif parts[0] == "area" and len(parts) == 3:
                self.totals[parts[1]] += int(parts[2]) if totals else 0
            elif parts[0] in STATUS_WORDS and len(parts) >= 3:
                self.done += 1
                self.by_area[parts[2]] += 1
                if parts[1] != "1":
                    self.differ += 1
                    self.differ_by_area[parts[2]] += 1

    def line(self, elapsed: float, previous: Progress | None, label: str = "") -> str:
        """One line: the whole run (``label``: which part of it, e.g. the backend of this
        wave), then each area that moved since ``previous``."""
        moved = sorted(
            area
            for area, n in self.by_area.items()
            if previous is None or n != previous.by_area.get(area, 0)
        )
        areas = []
        for area in moved:
            total = f"/{self.totals[area]}" if self.totals.get(area) else ""
            differ = self.differ_by_area.get(area, 0)
            areas.append(
                f"{area} {self.by_area[area]}{total}" + (f" ({differ} differ)" if differ else "")
            )
        total = f" of {self.collected}" if self.collected else ""
        part = f"{label}: " if label else ""
        return (
            f"mpconform: [{elapsed:4.0f} s] {part}{self.done}{total} tests done, "
            f"{self.differ} not conforming; running: {'; '.join(areas) or '-'}"
        )


STATUS_WORDS = frozenset(s.value for s in Status)  # a progress line that reports a test
_PR_SET_PDEATHSIG = 1


def _interrupt_when_orphaned() -> None:
    """Run in each job before it execs. The job leads a process group of its own, so that its
    watchdog can end everything it started (the CLI forwards Ctrl-C to it). And if the
    ``mpconform`` process dies (SIGKILL, a CI runner cancelling it), the job gets SIGINT, so
    it stops, sweeps what its tests started and writes what it verified, instead of running
    on unobserved."""
    import ctypes

    os.setpgid(0, 0)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGINT, 0, 0, 0)


def start(
    commands: Sequence[list[str]], report_dirs: Sequence[str], env: dict[str, str], quiet: bool
) -> list[Job]:
    """Start one pytest process per command; with ``quiet`` their output goes to logs."""
    return [
        launch(number, cmd, report_dir, env, quiet)
        for number, (cmd, report_dir) in enumerate(zip(commands, report_dirs), start=1)
    ]


def launch(number: int, cmd: list[str], report_dir: str, env: dict[str, str], quiet: bool) -> Job:
    os.makedirs(report_dir, exist_ok=True)
    job_env = dict(env, **{SUMMARY_BY_CLI_ENV: "1", JOB_GROUP_ENV: "1"})
    # Also for a job that prints to the terminal: the recorder's journal and the watchdog's
    # note sit beside this file, and they are what lets a killed job be restarted.
    job_env[PROGRESS_ENV] = os.path.join(report_dir, PROGRESS_NAME)
    log_path = os.path.join(report_dir, "pytest.log") if quiet else None
    log = open(log_path, "w", encoding="utf-8") if log_path else None  # noqa: SIM115
    proc = subprocess.Popen(
        cmd,
        env=job_env,
        stdout=log or None,
        stderr=subprocess.STDOUT if log else None,
        preexec_fn=_interrupt_when_orphaned if sys.platform.startswith("linux") else None,
    )
    return Job(number, report_dir, proc, log, log_path, list(cmd), dict(env), [report_dir])


def wait(jobs: Sequence[Job], t0: float, show: bool = True, label: str = "") -> list[int]:
    """Wait for every job, printing a progress line every PROGRESS_EVERY seconds."""
    from . import recovery  # results and its readers: only once jobs run

    previous: Progress | None = None
    next_line = time.monotonic() + PROGRESS_EVERY
    restarts = Counter[int]()
    handled: set[int] = set()  # the processes already recovered from
    while True:
        running = False
        for job in jobs:
            code = job.proc.poll()
            if code is None:
                running = True
            elif job.proc.pid not in handled and died(job, code):
                # Killed by a signal (the watchdog's SIGKILL, a crash), or ended by a backend's
                # os._exit() in the middle of a test: record the test it was running and go on
                # with the ones after it.
                handled.add(job.proc.pid)
                if job.log is not None:
                    job.log.close()
                # Its exit handlers never ran: what they would have unlinked is ours to.
                semaphores.remove_left_by(job.proc.pid)
                restarts[job.number] += 1
                if recovery.recover(job, restart=restarts[job.number] <= MAX_RESTARTS):
                    running = True
        if not running:
            break
        time.sleep(0.2)
        if show and time.monotonic() >= next_line:
            progress = Progress.read(jobs)
            print(progress.line(time.monotonic() - t0, previous, label), flush=True)
            previous = progress
            next_line = time.monotonic() + PROGRESS_EVERY
    for job in jobs:
        if job.log is not None:
            job.log.close()
        # The job's group is killed once it has exited (its watchdog's sweep), which can
        # take a backend's resource tracker before it unlinked what the job left: loky's
        # semaphores stayed after every run. The job is gone, so nobody uses its names.
        semaphores.remove_left_by(job.proc.pid)
    # A killed attempt whose results were recovered ended like a run with a failure.
    return [1 if job.proc.pid in handled else int(job.proc.returncode) for job in jobs]


def died(job: Job, code: int) -> bool:
    """Whether the job's process ended without finishing its session: killed by a signal, or
    gone without writing its final results (pytest writes them even when interrupted or when
    tests failed; a usage error or an empty selection writes none and is no death)."""
    if code < 0:
        return True
    if code in (PYTEST_USAGE, PYTEST_NO_TESTS):
        return False
    from .results import NAME

    try:
        with open(os.path.join(job.report_dir, NAME), encoding="utf-8") as fh:
            return not json.load(fh)["run"].get("complete", True)  # a checkpoint at most
    except (OSError, ValueError, KeyError, TypeError):
        return True


def tidy(report_dir: str) -> None:
    """Remove what a single job leaves in the report directory for the run's own use."""
    for name in (PROGRESS_NAME, JOURNAL_NAME):
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(report_dir, name))


def show_log_tail(job: Job, lines: int = 60, out: IO[str] = sys.stderr) -> None:
    """The end of a job's pytest output, for a job that did not finish normally."""
    if job.log_path is None:
        return
    try:
        with open(job.log_path, encoding="utf-8", errors="replace") as fh:
            tail = fh.read().splitlines()[-lines:]
    except OSError:
        return
    print(f"--- job {job.number} ({job.log_path}), last {len(tail)} lines:", file=out)
    for line in tail:
        print(line, file=out)
