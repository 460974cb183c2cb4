"""The last-resort backstop behind the SIGALRM deadline, kept out of the test process.

The per-test deadline (:mod:`mpconform.deadline`) works whenever the interpreter gets to run
its signal handler. For code that never returns to the interpreter something outside must
end the test process. A watchdog *thread* (pytest-timeout's thread method, faulthandler's
``dump_traceback_later``) would do, but a thread alive during the test makes every fork
start method child the child of a multi-threaded process: a fork child of a threaded parent
can deadlock at random (Python 3.12+ warns at each such fork), which is a false failure
waiting to happen. So the watchdog is a separate process, started once per test process with
``subprocess`` (fork-and-exec, before any test runs) and armed and disarmed over its stdin.

In an ``mpconform run`` job, which leads a process group of its own, the watchdog also
outlives the test process by a moment: once that has exited it kills the group, so nothing
the job started survives it, whatever way it ended.

On expiry it notes the test in the CLI's progress file, sends SIGUSR2, on which the test
process dumps every thread's stack to stderr (``faulthandler.register``: a signal handler,
no thread), and SIGKILL a moment later to the test process and every process below it (the
hung test's children would otherwise outlive it). xdist then reports the crashed test and
goes on; an ``mpconform run`` job is restarted on the tests it had left (see jobs.recover). The
watchdog ends when its stdin closes, i.e. when the test process ends for whatever reason.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import IO

#: Seconds between the stack dump and the SIGKILL.
DUMP_GRACE = 2.0

_PROGRAM = r"""
import os, select, signal, sys, time
pid, grace, note_path = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
sweep_group = sys.argv[4] == "1"
deadline, label = None, ""
stdin = sys.stdin.buffer


def descendants(root):
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child != os.getpid():
                found.append(child)
                stack.append(child)
    return found


while True:
    wait = 1.0 if deadline is None else min(1.0, max(0.0, deadline - time.monotonic()))
    ready, _, _ = select.select([stdin], [], [], wait)
    # The test process gone is an end too: a fork child holding our stdin pipe (a backend's
    # forkserver, a worker) keeps the EOF from ever coming.
    orphaned = os.getppid() != pid
    if ready or orphaned:
        line = b"" if orphaned else stdin.readline()
        if not line:
            if sweep_group:  # an mpconform run job, leader of its own process group
                while os.getppid() == pid:  # until the test process has exited
                    time.sleep(0.05)
                os.killpg(os.getpgid(0), signal.SIGKILL)  # what it left behind, and us
            sys.exit(0)
        word, _, rest = line.decode().strip().partition(" ")
        if word == "arm":
            seconds, _, label = rest.partition(" ")
            deadline = time.monotonic() + float(seconds)
        else:
            deadline = None
        continue
    if deadline is None or time.monotonic() < deadline:
        continue
    sys.stderr.write(f"mpconform watchdog: {label} still running past its backstop; "
                     f"killing pid {pid} and its children\n")
    sys.stderr.flush()
    if note_path:  # the evidence the CLI reads to report this test as TIMEOUT and go on
        try:
            with open(note_path, "a", encoding="utf-8") as fh:
                fh.write(f"watchdog\t{label}\n")
        except OSError:
            pass
    try:
        os.kill(pid, signal.SIGUSR2)
        time.sleep(grace)
        tree = descendants(pid)
        os.kill(pid, signal.SIGKILL)
        for child in tree:  # the hung test's processes would outlive it, orphaned
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass
    except ProcessLookupError:
        pass
    deadline = None
"""


class Watchdog:
    """A watchdog process for this test process."""

    def __init__(self, note_path: str = "", sweep_group: bool = False) -> None:
        """``note_path``: a file to append ``watchdog<TAB>label`` to before a kill (the CLI
        jobs' progress file), so that the run can report the test and go on.
        ``sweep_group``: this test process leads a process group of its own (an ``mpconform
        run`` job): once it has exited, for whatever reason, kill whatever is left in the
        group. A Pool's worker forked during interpreter shutdown, after every sweep, would
        otherwise outlive the job (seen after a SIGINT, deadlocked on a lock)."""
        self._sweep_group = sweep_group
        if hasattr(signal, "SIGUSR2"):
            faulthandler.register(signal.SIGUSR2, all_threads=True, chain=False)
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _PROGRAM,
                str(os.getpid()),
                str(DUMP_GRACE),
                note_path,
                "1" if sweep_group else "0",
            ],
            stdin=subprocess.PIPE,
            close_fds=True,
        )
        assert self._proc.stdin is not None
        self._stdin: IO[bytes] = self._proc.stdin

    @property
    def pid(self) -> int:
        return self._proc.pid

    def _say(self, line: str) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._stdin.write(line.encode() + b"\n")
            self._stdin.flush()

    @contextlib.contextmanager
    def armed(self, seconds: float, label: str) -> Iterator[None]:
        """Kill this process if the body is still running after ``seconds``."""
        self._say(f"arm {seconds:.3f} {label}")
        try:
            yield
        finally:
            self._say("disarm")

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._stdin.close()
        if self._sweep_group:
            return  # it waits for this process to exit, then ends with the group
        try:
            self._proc.wait(5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
