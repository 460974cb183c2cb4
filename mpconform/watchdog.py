"""The last-resort backstop behind the SIGALRM deadline, kept out of the test process.

The per-test deadline (:mod:`mpconform.deadline`) works whenever the interpreter gets to run
its signal handler. For code that never returns to the interpreter something outside must
end the test process. A watchdog *thread* (pytest-timeout's thread method, faulthandler's
``dump_traceback_later``) would do, but a thread alive during the test makes every fork
start method child the child of a multi-threaded process: a fork child of a threaded parent
can deadlock at random (Python 3.12+ warns at each such fork), which is a false failure
waiting to happen. So the watchdog is a separate process, started once per test process with
``subprocess`` (fork-and-exec, before any test runs) and armed and disarmed over its stdin.

On expiry it sends SIGUSR2, on which the test process dumps every thread's stack to stderr
(``faulthandler.register``: a signal handler, no thread), and SIGKILL a moment later, as
pytest-timeout does with ``os._exit``; xdist then reports the crashed test and goes on. The
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
pid, grace = int(sys.argv[1]), float(sys.argv[2])
deadline, label = None, ""
stdin = sys.stdin.buffer
while True:
    wait = None if deadline is None else max(0.0, deadline - time.monotonic())
    ready, _, _ = select.select([stdin], [], [], wait)
    if ready:
        line = stdin.readline()
        if not line:
            sys.exit(0)
        word, _, rest = line.decode().strip().partition(" ")
        if word == "arm":
            seconds, _, label = rest.partition(" ")
            deadline = time.monotonic() + float(seconds)
        else:
            deadline = None
        continue
    sys.stderr.write(f"mpconform watchdog: {label} still running past its backstop; "
                     f"killing pid {pid}\n")
    sys.stderr.flush()
    try:
        os.kill(pid, signal.SIGUSR2)
        time.sleep(grace)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    deadline = None
"""


class Watchdog:
    """A watchdog process for this test process."""

    def __init__(self) -> None:
        if hasattr(signal, "SIGUSR2"):
            faulthandler.register(signal.SIGUSR2, all_threads=True, chain=False)
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _PROGRAM, str(os.getpid()), str(DUMP_GRACE)],
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
        try:
            self._proc.wait(5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
