"""A job whose pytest process was killed: report the test it was running, go on with the rest.

The watchdog (:mod:`mpconform.watchdog`) kills a test process whose test never returned to
the interpreter, and a backend can crash the test process itself. xdist would replace the
worker; an ``mpconform run`` job is a plain pytest process, so without this the rest of its
slice would silently read "not run". Everything needed survives the process: its recorder
wrote the run order (``item`` lines) and one line per finished test to the progress file, and
each finished test's whole result to the journal; the watchdog noted the test it killed.

So the attempt's results are the journal's, plus one for the test that was running: TIMEOUT
when the watchdog noted it (it hung past its backstop), CRASH otherwise (the process died
from a signal while it ran). They are written as that attempt's results.json, replacing any
checkpoint, and a new pytest process takes over with every test already decided deselected.
Each restart decides at least one test, so the run always ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from typing import NamedTuple

from . import results
from .jobs import JOURNAL_NAME, PROGRESS_NAME, STATUS_WORDS, Job, launch
from .status import Status


class Item(NamedTuple):
    area: str
    backend: str
    start_method: str
    nodeid: str


class Trace(NamedTuple):
    """What an attempt's progress file says: run order, tests finished, tests killed."""

    order: list[Item]
    done: set[str]
    killed: set[str]


def trace(report_dir: str) -> Trace:
    order, done, killed = [], set(), set()
    with contextlib.suppress(OSError), open(os.path.join(report_dir, PROGRESS_NAME)) as fh:
        for line in fh.read().splitlines():
            parts = line.split("\t")
            if parts[0] == "item" and len(parts) == 5:
                order.append(Item(*parts[1:]))
            elif parts[0] == "watchdog" and len(parts) == 2:
                killed.add(parts[1])
            elif parts[0] in STATUS_WORDS and len(parts) == 4:
                done.add(parts[3])
    return Trace(order, done, killed)


def journal(report_dir: str) -> list[results.TestResult]:
    found = []
    with contextlib.suppress(OSError), open(os.path.join(report_dir, JOURNAL_NAME)) as fh:
        for line in fh:
            with contextlib.suppress(ValueError, TypeError):
                found.append(results.TestResult(**json.loads(line)))
    return found


def running_when_killed(found: Trace, code: int) -> results.TestResult | None:
    """The result for the test the process was running, or None if it was between tests."""
    pending = [item for item in found.order if item.nodeid not in found.done]
    if not pending:
        return None
    item = pending[0]  # one pytest process runs its items in the order it wrote them
    feature = item.nodeid.split("::")[-1].split("[", 1)[0]
    if item.nodeid in found.killed:
        status = Status.TIMEOUT
        message = (
            "the test never returned to the interpreter: still running past its backstop, "
            "the watchdog killed the test process and every process below it; the run went "
            "on with the remaining tests (the job's log has the stacks)"
        )
    else:
        status = Status.CRASH
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            how = f"died from {name}"
        else:  # a backend's os._exit() in a thread of the test process
            how = f"exited (code {code}) without finishing its session"
        message = (
            f"the test process {how} while running this test; the run went on with the "
            "remaining tests"
        )
    return results.TestResult(
        nodeid=item.nodeid,
        module="",
        line=0,
        area=item.area,
        feature=feature,
        title="",
        basis="docs",
        backend=item.backend,
        start_method=item.start_method,
        status=status.value,
        duration=0.0,
        message=message,
    )


def recover(job: Job, restart: bool = True) -> bool:
    """Write the killed attempt's results; start a process on its remaining tests (True)."""
    dead = job.report_dir
    found = trace(dead)
    decided = journal(dead)
    lost = running_when_killed(found, job.proc.returncode or -signal.SIGKILL)
    if lost is not None:
        decided.append(lost)
    _write(dead, decided)
    remaining = [i for i in found.order if i.nodeid not in {r.nodeid for r in decided}]
    if not remaining or not restart:
        return False
    retry = os.path.join(job.attempts[0], f".retry-{len(job.attempts)}")
    cmd = _with_report_dir(job.cmd, retry)
    for nodeid in sorted(r.nodeid for r in decided):
        cmd += ["--deselect", nodeid]
    taken_over = launch(job.number, cmd, retry, job.env, quiet=job.log_path is not None)
    job.report_dir, job.proc, job.log, job.log_path = (
        taken_over.report_dir,
        taken_over.proc,
        taken_over.log,
        taken_over.log_path,
    )
    job.attempts.append(retry)
    return True


def _write(report_dir: str, decided: list[results.TestResult]) -> None:
    """The attempt's results.json from its journal, keeping the run facts of its checkpoint."""
    path = os.path.join(report_dir, results.NAME)
    run = results.RunInfo(started=results.now())
    with contextlib.suppress(Exception):
        run = results.read(results.load(path)).run  # a checkpoint knows the backends
    run.complete, run.finished = True, results.now()
    results.write(path, results.document(run, decided))


def _with_report_dir(cmd: list[str], report_dir: str) -> list[str]:
    out = list(cmd)
    index = out.index("--mp-report-dir")
    out[index + 1] = report_dir
    return out
