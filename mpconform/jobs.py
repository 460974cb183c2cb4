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
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO

#: Where each job's recorder appends a line per finished test.
PROGRESS_ENV = "MPCONFORM_PROGRESS_FILE"
#: Set in every job: the CLI prints the verdict summary, so the job's pytest does not as well.
SUMMARY_BY_CLI_ENV = "MPCONFORM_SUMMARY_BY_CLI"
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
    number: int
    report_dir: str
    proc: subprocess.Popen
    log: IO[str] | None
    log_path: str | None

    @property
    def progress_path(self) -> str:
        return os.path.join(self.report_dir, "progress.tsv")


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
            try:
                with open(job.progress_path, encoding="utf-8") as fh:
                    lines = fh.read().splitlines()
            except OSError:
                continue
            for line in lines:
                parts = line.split("\t")
                if parts[0] == "collected" and len(parts) == 2:
                    found.collected += int(parts[1])
                elif parts[0] == "area" and len(parts) == 3:
                    found.totals[parts[1]] += int(parts[2])
                elif len(parts) == 3:
                    found.done += 1
                    found.by_area[parts[2]] += 1
                    if parts[1] != "1":
                        found.differ += 1
                        found.differ_by_area[parts[2]] += 1
        return found

    def line(self, elapsed: float, previous: Progress | None) -> str:
        """One line: the whole run, then each area that moved since ``previous``."""
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
        return (
            f"mpconform: [{elapsed:4.0f} s] {self.done}{total} tests done, "
            f"{self.differ} not conforming; running: {'; '.join(areas) or '-'}"
        )


_PR_SET_PDEATHSIG = 1


def _interrupt_when_orphaned() -> None:
    """Run in each job before it execs: if the ``mpconform`` process dies (SIGKILL, a CI
    runner cancelling it), the job gets SIGINT, so it stops, sweeps what its tests started and
    writes what it verified, instead of running on unobserved."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGINT, 0, 0, 0)


def start(
    commands: Sequence[list[str]], report_dirs: Sequence[str], env: dict[str, str], quiet: bool
) -> list[Job]:
    """Start one pytest process per command; with ``quiet`` their output goes to logs."""
    jobs = []
    for number, (cmd, report_dir) in enumerate(zip(commands, report_dirs), start=1):
        os.makedirs(report_dir, exist_ok=True)
        job_env = dict(env, **{SUMMARY_BY_CLI_ENV: "1"})
        if quiet:  # a job that prints to the terminal shows its own progress
            job_env[PROGRESS_ENV] = os.path.join(report_dir, "progress.tsv")
        log_path = os.path.join(report_dir, "pytest.log") if quiet else None
        log = open(log_path, "w", encoding="utf-8") if log_path else None  # noqa: SIM115
        proc = subprocess.Popen(
            cmd,
            env=job_env,
            stdout=log or None,
            stderr=subprocess.STDOUT if log else None,
            preexec_fn=_interrupt_when_orphaned if sys.platform.startswith("linux") else None,
        )
        jobs.append(Job(number, report_dir, proc, log, log_path))
    return jobs


def wait(jobs: Sequence[Job], t0: float, show: bool = True) -> list[int]:
    """Wait for every job, printing a progress line every PROGRESS_EVERY seconds."""
    previous: Progress | None = None
    next_line = time.monotonic() + PROGRESS_EVERY
    while any(job.proc.poll() is None for job in jobs):
        time.sleep(0.2)
        if show and time.monotonic() >= next_line:
            progress = Progress.read(jobs)
            print(progress.line(time.monotonic() - t0, previous), flush=True)
            previous = progress
            next_line = time.monotonic() + PROGRESS_EVERY
    for job in jobs:
        if job.log is not None:
            job.log.close()
    return [int(job.proc.returncode) for job in jobs]


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
