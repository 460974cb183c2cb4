"""Targets run in child processes by the Process lifecycle properties.

Spawn and forkserver children import this module by name, so it imports only the stdlib and
does nothing at import time beyond defining names. The backend under test is never imported
here: a child that needs ``current_process``, a Process class or similar receives the
backend's own object as an argument, because under billiard or multiprocess the stdlib's
``multiprocessing.current_process()`` would describe the wrong process.

A child that has to stay alive blocks on a pipe until the test sends a release message. It
never waits for end-of-file: under fork every sibling inherits copies of both pipe ends, so
EOF may never come. After :data:`PATIENCE` seconds it gives up, so a test that died without
releasing it cannot leave it behind for long.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from typing import Any, Callable

from mpconform.conformance.children_common import describe
from mpconform.limits import PATIENCE

READY = "ready"
RELEASE = "release"
MISSING = "<missing>"

# Mutated by the start-method property to see what a child inherits of its parent's memory.
MARKER_AT_IMPORT = "import-time value"
MARKER = MARKER_AT_IMPORT


class ChildError(Exception):
    """An exception type of our own, so the exit-code rule is not tested on builtins only."""


# -- ending a child ----------------------------------------------------------------------------


def return_value(value: Any) -> Any:
    return value


def exit_with(code: Any) -> None:
    sys.exit(code)


def os_exit_with(code: int) -> None:
    os._exit(code)


def raise_error(exc_type: type[BaseException], message: str) -> None:
    raise exc_type(message)


def end(how: tuple) -> None:
    """End the way ``how`` says: ("return",), ("exit", code) or ("raise", type, message)."""
    if how[0] == "exit":
        exit_with(how[1])
    elif how[0] == "raise":
        raise_error(how[1], how[2])


# -- staying alive until the test says so ------------------------------------------------------


def wait_for_release(conn: Any) -> None:
    if conn.poll(PATIENCE):
        conn.recv()


def hold(conn: Any) -> None:
    """Report that the target runs, then block until released."""
    conn.send(READY)
    wait_for_release(conn)


def hold_with_default_signal(conn: Any, signum: int) -> None:
    """Like :func:`hold`, with ``signum`` at its default disposition.

    A fork child inherits the handlers of the test runner; resetting the one signal the test
    sends keeps the property about exit codes rather than about pytest's handlers.
    """
    if signum != signal.SIGKILL:
        signal.signal(signum, signal.SIG_DFL)
    hold(conn)


# -- reporting what the child sees -------------------------------------------------------------


def echo_arguments(conn: Any, /, *args: Any, **kwargs: Any) -> None:
    conn.send(describe((args, kwargs)))


def _attr(obj: Any, name: str) -> Any:
    try:
        return getattr(obj, name)
    except AttributeError:
        return MISSING


def report_identity(conn: Any, current_process: Callable[[], Any]) -> None:
    """Send what ``current_process()`` says about this child, next to the OS's view."""
    me = current_process()
    conn.send(
        {
            "os_pid": os.getpid(),
            "name": _attr(me, "name"),
            "daemon": _attr(me, "daemon"),
            "pid": _attr(me, "pid"),
            "ident": _attr(me, "ident"),
        }
    )


def report_parent(conn: Any, parent_process: Callable[[], Any]) -> None:
    parent = parent_process()
    if parent is None:
        conn.send(None)
        return
    conn.send({"pid": _attr(parent, "pid"), "name": _attr(parent, "name")})


def report_marker(conn: Any, replacement: str) -> None:
    """Send the MARKER this child sees, then overwrite it with ``replacement``."""
    global MARKER
    conn.send(MARKER)
    MARKER = replacement


def join_self(conn: Any, current_process: Callable[[], Any]) -> None:
    """Try to join the current process and send the name of what it raised (None if nothing).

    The timeout keeps a backend that does deadlock from hanging the child forever.
    """
    try:
        current_process().join(0.01)
    except BaseException as exc:
        conn.send(type(exc).__name__)
    else:
        conn.send(None)


def noop() -> None:
    pass


def try_start_child(conn: Any, process_cls: type) -> None:
    """Try to start a child of this child; send the name of what start() raised, or None."""
    proc = process_cls(target=noop)
    try:
        proc.start()
    except BaseException as exc:
        conn.send(type(exc).__name__)
    else:
        proc.join(PATIENCE)
        conn.send(None)


# -- daemonic grandchildren --------------------------------------------------------------------


def report_pid_and_hold(up: Any, release: Any) -> None:
    up.send(os.getpid())
    wait_for_release(release)


def start_daemon_grandchild(
    process_cls: type, report: Any, release: Any, up_r: Any, up_w: Any, how: tuple
) -> None:
    """Start a daemonic grandchild that blocks, pass its pid on once it runs, then end.

    The grandchild reports to this child rather than to the test, so this child ends only
    after the grandchild is known to run its target.
    """
    grandchild = process_cls(target=report_pid_and_hold, args=(up_w, release))
    grandchild.daemon = True
    grandchild.start()
    report.send(up_r.recv() if up_r.poll(PATIENCE) else None)
    end(how)


# -- a Process subclass overriding run() -------------------------------------------------------


class _RunOverride:
    """Mixin for :func:`run_override_class`; attributes are prefixed to stay clear of the base."""

    def __init__(
        self, conn: Any, payload: Any, current_process: Callable[[], Any], **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._mpc_conn = conn
        self._mpc_payload = payload
        self._mpc_current_process = current_process

    def run(self) -> None:
        me = self._mpc_current_process()
        self._mpc_conn.send(
            {
                "payload": describe(self._mpc_payload),
                "is_instance": isinstance(me, type(self)),
                "name": _attr(me, "name"),
            }
        )


_SUBCLASS_PREFIX = "RunOverride_"


def run_override_class(base: type) -> type:
    """A subclass of ``base`` whose run() reports to a pipe, importable from this module.

    The base is each backend's own Process class, unknown here until a test asks. Spawn
    children unpickle the class by qualified name, so the name encodes the base and the
    module ``__getattr__`` below rebuilds the same class in the child.
    """
    key = f"{base.__module__}:{base.__qualname__}".encode().hex()
    return getattr(sys.modules[__name__], _SUBCLASS_PREFIX + key)


def __getattr__(name: str) -> type:
    if not name.startswith(_SUBCLASS_PREFIX):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        spec = bytes.fromhex(name[len(_SUBCLASS_PREFIX) :]).decode()
    except ValueError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    module_name, _, qualname = spec.partition(":")
    base: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        base = getattr(base, part)
    cls = type("RunOverride", (_RunOverride, base), {"__module__": __name__, "__qualname__": name})
    globals()[name] = cls
    return cls
