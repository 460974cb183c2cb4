"""Process lifecycle properties as plain code, for standalone repro scripts.

Each ``observe`` does what its property does with the first argument, a context (``mp``), and
returns what the property compares; the helpers are the child-side functions. They are copied
verbatim into scripts that import only the backend and the standard library: no mpconform, no
names beyond :data:`mpconform.plain.IMPORTS` and the driver's (``attempt``, ``module``).
Every wait is bounded (``PATIENCE_S``) so an observation ends even on a backend that hangs.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from mpconform.plain import template

PATIENCE_S = 10.0


def exit_with(code):
    sys.exit(code)


def os_exit_with(code):
    os._exit(code)


def raise_error(exc_type, message):
    raise exc_type(message)


def wait_for_signal(conn, signum=signal.SIGTERM):
    signal.signal(signum, signal.SIG_DFL)  # Python's own handler (SIGINT) would exit 1
    conn.send("ready")
    time.sleep(PATIENCE_S)


def exit_code_of(mp, target, *args):
    p = mp.Process(target=target, args=args)
    p.start()
    p.join(PATIENCE_S)
    return "still running" if p.is_alive() else p.exitcode


@template("test_sys_exit_code_is_exitcode", exit_with, exit_code_of, sample={"code": 3})
def sys_exit_code(mp, code):
    return exit_code_of(mp, exit_with, code)


@template(
    "test_sys_exit_out_of_range_keeps_low_byte", exit_with, exit_code_of, sample={"code": 256}
)
def sys_exit_out_of_range(mp, code):
    return exit_code_of(mp, exit_with, code)


@template(
    "test_sys_exit_with_non_integer_gives_exitcode_one",
    exit_with,
    exit_code_of,
    sample={"code": "message"},
)
def sys_exit_non_integer(mp, code):
    return exit_code_of(mp, exit_with, code)


@template("test_os_exit_code_is_exitcode", os_exit_with, exit_code_of, sample={"code": 7})
def os_exit_code(mp, code):
    return exit_code_of(mp, os_exit_with, code)


@template(
    "test_uncaught_exception_gives_exitcode_one",
    raise_error,
    exit_code_of,
    sample={"exc_type": ValueError, "message": "boom"},
)
def uncaught_exception(mp, exc_type, message):
    return exit_code_of(mp, raise_error, exc_type, message)


@template("test_terminate_gives_minus_sigterm", wait_for_signal, sample={"wait_ready": True})
def terminate(mp, wait_ready):
    ours, theirs = mp.Pipe()
    p = mp.Process(target=wait_for_signal, args=(theirs,))
    p.start()
    if wait_ready:
        ours.poll(PATIENCE_S) and ours.recv()
    p.terminate()
    p.join(PATIENCE_S)
    return p.exitcode


@template(
    "test_signal_death_gives_negative_signal_number",
    wait_for_signal,
    sample={"signum": signal.SIGTERM},
)
def signal_death(mp, signum):
    ours, theirs = mp.Pipe()
    p = mp.Process(target=wait_for_signal, args=(theirs, signum))
    p.start()
    ours.poll(PATIENCE_S) and ours.recv()
    os.kill(p.pid, signum)
    p.join(PATIENCE_S)
    return p.exitcode
