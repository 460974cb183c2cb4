"""Peers for the interop properties: CPython's multiprocessing in another interpreter.

A backend that speaks CPython's wire protocols (the connection handshake, the pickled
messages, the manager protocol) can talk to a CPython program it did not start: a billiard
client to a stdlib listener, a 3.11 manager client to a 3.12 server. The peer is
``conformance/children_interop.py`` run as a script by some Python, so that Python needs
nothing installed. One peer per interpreter is kept warm for the whole session (its start is
not what the properties are about).

Python 3.12 changed the authentication handshake (it negotiates the digest; earlier versions
send HMAC-MD5 only) and promised to interoperate with older versions: the second peer is a
Python on the other side of that change, found on PATH or among pyenv's versions, or named
with ``--peer-python`` (``MPCONFORM_PEER_PYTHON``).
"""

from __future__ import annotations

import contextlib
import functools
import glob
import itertools
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from . import warm
from .conformance import children_interop
from .errors import ConfigError
from .limits import LIVENESS
from .outcomes import TestTimeout

#: The Python version whose handshake differs from every earlier one.
HANDSHAKE_CHANGE = (3, 12)
PROTOCOL = 4  # every Python from 3.8 on reads it
#: Run by path, so the peer's Python needs nothing installed.
SCRIPT = children_interop.__file__


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: tuple[int, int]

    @property
    def label(self) -> str:
        return f"Python {self.version[0]}.{self.version[1]}"


def _version_of(path: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [path, "-I", "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout.split()
        return (int(out[0]), int(out[1]))
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def _candidates() -> Iterator[tuple[tuple[int, int], str]]:
    """(version its name claims, path): pyenv's versions and python3.X on PATH."""
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    for path in glob.glob(os.path.join(root, "versions", "3.*", "bin", "python3")):
        parts = os.path.basename(os.path.dirname(os.path.dirname(path))).split(".")
        if parts[1].isdigit():
            yield (3, int(parts[1])), path
    for minor in range(9, 20):
        found = shutil.which(f"python3.{minor}")
        if found:
            yield (3, minor), found


def named(path: str) -> Interpreter:
    """The peer the user named (``--peer-python``), once it has said which Python it is.

    A Python on this side of the change would run the "across" cells against a handshake they
    do not cross, so it is refused like any bad option."""
    version = _version_of(path)
    if version is None:
        raise ConfigError(
            f"--peer-python {path!r} does not run as a Python; name an interpreter, "
            "e.g. /usr/bin/python3.12"
        )
    here = sys.version_info[:2]
    if (version >= HANDSHAKE_CHANGE) == (here >= HANDSHAKE_CHANGE):
        wanted = "3.11 or older" if here >= HANDSHAKE_CHANGE else "3.12 or newer"
        raise ConfigError(
            f"--peer-python {path!r} is Python {version[0]}.{version[1]}, on the same side of "
            f"3.12's handshake change as this Python {here[0]}.{here[1]}; name a Python {wanted}"
        )
    return Interpreter(path, version)


@functools.cache
def across_handshake_change() -> Interpreter | None:
    """The Python nearest to this one on the other side of :data:`HANDSHAKE_CHANGE`; names are
    trusted only once the interpreter confirms them (a pyenv shim of a version that is not
    installed names one and fails)."""
    here = sys.version_info[:2] >= HANDSHAKE_CHANGE
    other_side = [
        (version, path)
        for version, path in _candidates()
        if version >= (3, 9) and (version >= HANDSHAKE_CHANGE) != here
    ]
    # Nearest version first: 3.12 for an older Python, 3.11 for a newer one; of one version,
    # pyenv's own binary before PATH's (a pyenv shim runs a dozen shell scripts to answer).
    for claimed, path in sorted(other_side, key=lambda found: found[0], reverse=here):
        if _version_of(path) == claimed:
            return Interpreter(path, claimed)
    return None


def this_interpreter() -> Interpreter:
    return Interpreter(sys.executable, (sys.version_info[0], sys.version_info[1]))


class PeerError(AssertionError):
    """A command the peer could not carry out (the exception it raised, by name)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"the peer raised {name}: {message}")
        self.name = name


class Peer:
    """One running peer; :meth:`call` sends a command and waits for its answer.

    It looks like a Process to the waits of :mod:`mpconform.waiting` (``pid``, ``name``,
    ``is_alive()``, ``exitcode``), so a wait for its message fails at once if it ended."""

    def __init__(self, interpreter: Interpreter) -> None:
        self.interpreter = interpreter
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self.proc = subprocess.Popen(
            [interpreter.path, "-I", SCRIPT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
        )
        self._numbers = itertools.count()
        self._answers: dict[int, tuple[bool, Any]] = {}
        self._arrived = threading.Condition()
        threading.Thread(target=self._read, daemon=True, name="mpconform: peer").start()
        self.name = "{} {} multiprocessing".format(*self.call("version"))

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            number, ok, value = pickle.loads(bytes.fromhex(line.strip()))
            with self._arrived:
                self._answers[number] = (ok, value)
                self._arrived.notify_all()
        with self._arrived:
            self._arrived.notify_all()

    def send(self, op: str, *args: Any) -> int:
        """Send a command without waiting; :meth:`answer` collects its answer."""
        number = next(self._numbers)
        assert self.proc.stdin is not None
        self.proc.stdin.write(pickle.dumps((number, op, args), PROTOCOL).hex() + "\n")
        self.proc.stdin.flush()
        return number

    def answer(self, number: int, what: str, timeout: float = LIVENESS) -> Any:
        """The answer to command ``number``: its value, or :class:`PeerError`. A peer that
        ended fails at once; one that stays silent ends the test as TIMEOUT."""
        with self._arrived:
            done = self._arrived.wait_for(
                lambda: number in self._answers or self.proc.poll() is not None, timeout
            )
            if number in self._answers:
                ok, value = self._answers.pop(number)
                if not ok:
                    raise PeerError(*value)
                return value
        if done:
            raise AssertionError(f"the peer ended (exit code {self.proc.poll()}) {self._said()}")
        raise TestTimeout(f"the peer's {what} did not come within {timeout:g} s")

    def call(self, op: str, *args: Any) -> Any:
        return self.answer(self.send(op, *args), op)

    def _said(self) -> str:
        self.stderr.seek(0)
        text = self.stderr.read().decode(errors="replace").strip()
        return f"and said: {text[-2000:]}" if text else "without a word"

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def exitcode(self) -> int | None:
        return self.proc.poll()

    def is_alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        """``exit`` ends the peer (not the end of stdin: a fork child of the test process may
        hold that pipe open); one that does not end is killed."""
        try:
            if self.proc.stdin is not None:
                with contextlib.suppress(OSError):
                    self.send("exit")
                self.proc.stdin.close()
            self.proc.wait(LIVENESS)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            self.stderr.close()


@contextmanager
def borrowed(interpreter: Interpreter) -> Iterator[Peer]:
    """The session's peer on ``interpreter`` (started on first use, discarded after a test
    that failed with it, like every warm resource)."""

    def make() -> warm.Kept:
        peer = Peer(interpreter)
        return warm.Kept(
            peer, pids=lambda: [peer.proc.pid], close=peer.close, healthy=peer.is_alive
        )

    with warm.borrowed(("interop peer", interpreter.path), make) as peer:
        yield peer
