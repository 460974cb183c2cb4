"""Targets run in child processes by the module-function and process-attribute properties.

A child describes itself with the backend's own functions, reached through the context it was
given (contexts pickle by reference to their class): what ``current_process()`` and
``parent_process()`` say there, next to what the operating system says (``os.getpid``,
``os.getppid``). The test compares both with what the parent knows. Spawn and forkserver
children import this module by name, so it imports only the stdlib and mpconform's agents.
"""

from __future__ import annotations

import io
import logging
import os
import sys
from typing import Any, Callable

from mpconform.agents import Session


def identity(ctx: Any) -> dict[str, Any]:
    """How this process sees itself and its parent, through the backend's functions."""
    me = ctx.current_process()
    parent = ctx.parent_process()
    return {
        "os_pid": os.getpid(),
        "os_ppid": os.getppid(),
        "name": me.name,
        "pid": me.pid,
        "ident": me.ident,
        "daemon": me.daemon,
        "authkey": bytes(me.authkey),
        "exitcode": me.exitcode,
        "parent": None if parent is None else (parent.pid, parent.name, parent.is_alive()),
        "cpu_count": ctx.cpu_count(),
    }


def report_identity(conn: Any, ctx: Any) -> None:
    """A child's whole life: say who it is, then end."""
    conn.send(identity(ctx))
    conn.close()


def report_with_grandchild(conn: Any, ctx: Any, name: str) -> None:
    """Start a grandchild named ``name`` that reports too; send both reports, the grandchild's
    first, then end after it."""
    ours, theirs = ctx.Pipe(duplex=False)
    grandchild = ctx.Process(target=report_identity, args=(theirs, ctx), name=name)
    grandchild.start()
    theirs.close()
    if not ours.poll(60):
        grandchild.kill()
        raise TimeoutError("the grandchild sent nothing within 60 s")
    conn.send((ours.recv(), grandchild.pid, identity(ctx)))
    grandchild.join(60)
    conn.close()


def report_executable(conn: Any) -> None:
    """Send the mark the executable set with set_executable() put in the environment."""
    conn.send(os.environ.get("MPCONFORM_EXECUTABLE"))
    conn.close()


# -- the logging agent's commands (see mpconform.agents) ---------------------------------------


def logger_state(session: Session) -> tuple[str, int, int]:
    """``get_logger()``'s name, level and handler count, before anything configured it here."""
    logger = session.objects[0].get_logger()
    return logger.name, logger.level, len(logger.handlers)


def log_lines(session: Session, level: int, messages: list[tuple[int, str]]) -> dict[str, Any]:
    """Call ``log_to_stderr(level)`` and log ``messages`` with it; what reached stderr."""
    ctx = session.objects[0]
    captured = io.StringIO()
    real, sys.stderr = sys.stderr, captured
    try:
        logger = ctx.log_to_stderr(level)
        for at, text in messages:
            logger.log(at, text)
        same = logger is ctx.get_logger()
        return {
            "output": captured.getvalue(),
            "same_logger": same,
            "level": logger.level,
            "process_name": ctx.current_process().name,
        }
    finally:
        sys.stderr = real


LOGGING: dict[str, Callable[..., Any]] = {"logger_state": logger_state, "log_lines": log_lines}
LEVELS = (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR)
