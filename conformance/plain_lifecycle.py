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
from mpconform.plain_driver import Raised, attempt, module

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


def noop():
    pass


def outcome_of(call, *args):
    """'returned' or the Raised of calling ``call``: what a property about raising compares."""
    value = attempt(call, *args)
    return value if isinstance(value, Raised) else "returned"


def gone(pid):
    """Whether no live process has ``pid`` (a zombie is dead too)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def report_pid_and_hold(conn):
    conn.send(os.getpid())
    time.sleep(PATIENCE_S)


def start_daemon_grandchild(process_cls, report, up_r, up_w, how):
    grandchild = process_cls(target=report_pid_and_hold, args=(up_w,))
    grandchild.daemon = True
    grandchild.start()
    report.send(up_r.recv() if up_r.poll(PATIENCE_S) else None)  # it runs: now end
    if how[0] == "exit":
        sys.exit(how[1])
    if how[0] == "raise":
        raise RuntimeError("ended")


def try_start_child(conn, process_cls):
    child = process_cls(target=noop)
    try:
        child.start()
    except BaseException as exc:
        conn.send(type(exc).__name__)
    else:
        child.join(PATIENCE_S)
        conn.send(None)


def join_myself(conn, current_process):
    conn.send(outcome_of(current_process().join))


@template(
    "test_daemonic_children_end_with_their_parent",
    report_pid_and_hold,
    start_daemon_grandchild,
    gone,
    sample={"ending": (("return",), 0)},
)
def daemonic_grandchild(mp, ending):
    ours, theirs = mp.Pipe()
    up_r, up_w = mp.Pipe(duplex=False)
    args = (mp.Process, theirs, up_r, up_w, ending[0])
    child = mp.Process(target=start_daemon_grandchild, args=args)
    child.start()
    pid = ours.recv() if ours.poll(PATIENCE_S) else None
    deadline = time.monotonic() + PATIENCE_S
    while not gone(child.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    deadline = time.monotonic() + 2.0  # the grace CPython's exit handler needs
    while pid is not None and not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    survived = pid is not None and not gone(pid)
    if pid is not None and survived:
        os.kill(pid, signal.SIGKILL)
    child.join(PATIENCE_S)
    return {"grandchild ran": pid is not None, "grandchild outlived its parent": survived}


@template("test_daemonic_process_cannot_start_children", noop, try_start_child)
def daemon_starts_a_child(mp):
    ours, theirs = mp.Pipe()
    child = mp.Process(target=try_start_child, args=(theirs, mp.Process))
    child.daemon = True
    child.start()
    raised = ours.recv() if ours.poll(PATIENCE_S) else "no answer"
    child.join(PATIENCE_S)
    return {"start() in a daemonic child raised": raised}


def report_daemon(conn, current_process):
    conn.send(current_process().daemon)


@template(
    "test_daemon_flag_is_kept_and_seen_by_child",
    report_daemon,
    sample={"daemon": True, "via": "constructor"},
)
def daemon_flag(mp, daemon=True, via="constructor"):
    # Defaults: the property's explicit example, whose failure the report prints without it.
    ours, theirs = mp.Pipe()
    args = (theirs, mp.current_process)
    if via == "constructor":
        made = attempt(mp.Process, target=report_daemon, args=args, daemon=daemon)
    else:
        made = mp.Process(target=report_daemon, args=args)
        if daemon is not None:
            made.daemon = daemon
    if isinstance(made, Raised):
        return {"Process(daemon=...)": made}
    made.start()
    seen = ours.recv() if ours.poll(PATIENCE_S) else "no answer"
    made.join(PATIENCE_S)
    return {"daemon": made.daemon, "the child's current_process().daemon": seen}


def report_name(conn, current_process):
    conn.send(current_process().name)


@template("test_default_names_number_children_in_order", noop, report_name, sample={"count": 2})
def default_names(mp, count):
    ours, theirs = mp.Pipe()
    procs = [mp.Process(target=report_name, args=(theirs, mp.current_process))]
    procs += [mp.Process(target=noop) for _ in range(count - 1)]
    numbers = [p.name.rpartition("-")[2] for p in procs]
    numbered = all(n.isdigit() for n in numbers)
    in_order = numbered and [int(n) - int(numbers[0]) for n in numbers] == list(range(count))
    procs[0].start()
    seen = ours.recv() if ours.poll(PATIENCE_S) else "no answer"
    procs[0].join(PATIENCE_S)
    return {
        "names end in -N": numbered,
        "N counts up": in_order,
        "the child sees its name": seen == procs[0].name,
    }


@template("test_join_before_start_raises_assertion_error", noop, outcome_of)
def join_before_start(mp):
    return {"join() before start()": outcome_of(mp.Process(target=noop).join)}


@template("test_join_self_raises_assertion_error", outcome_of, join_myself)
def join_self(mp):
    ours, theirs = mp.Pipe()
    child = mp.Process(target=join_myself, args=(theirs, mp.current_process))
    child.start()
    answer = ours.recv() if ours.poll(PATIENCE_S) else "no answer"
    child.join(PATIENCE_S)
    return {"current_process().join() in the child": answer}


@template("test_start_twice_raises_assertion_error", noop, outcome_of, sample={"when": "running"})
def start_twice(mp, when):
    child = mp.Process(target=time.sleep, args=(0.5,))
    child.start()
    if when != "running":
        child.join(PATIENCE_S)
    second = outcome_of(child.start)
    child.join(PATIENCE_S)
    return {f"start() again while {when}": second}


@template("test_sentinel_stays_valid_after_join", noop)
def sentinel_after_join(mp):
    child = mp.Process(target=noop)
    child.start()
    sentinel = child.sentinel
    child.join(PATIENCE_S)
    ready = attempt(module("connection").wait, [sentinel], PATIENCE_S)
    return {"wait([sentinel]) after join()": ready if isinstance(ready, Raised) else len(ready)}
