"""Module-level functions and what a process knows about itself and its parent.

``current_process()`` and ``parent_process()`` are read *inside* children of every start
method, a grandchild and Pool workers, and compared with what the parent knows of them (the
Process object's attributes, ``os.getpid()``); ``active_children``, ``cpu_count``, the logging
functions and the start-method functions of a context are checked where they are called.

The test process of a run is a main process (pytest's, or an xdist worker that execnet
started, not multiprocessing), so its own ``parent_process()`` is None as for any main process.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mpconform import agents
from mpconform.conformance import children_module_functions as kids
from mpconform.conformance import children_programs as programs
from mpconform.limits import scaled
from mpconform.outcomes import Unsupported
from mpconform.profiles import budget
from mpconform.target import Target
from mpconform.waiting import finish, receive, wait_until

pytestmark = pytest.mark.mp_area("Module functions and process attributes")

# A program of its own (interpreter, fork server, one child) ends in well under a second on an
# idle machine; this is a liveness bound.
PROGRAM_BOUND = scaled(60.0)
# Names a user may give a Process: any printable text, including the empty string.
NAMES = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)


def check_identity(
    seen: dict[str, Any], proc: Any, parent: tuple[int, str], authkey: bytes
) -> None:
    """What a child said of itself against what its parent knows of it."""
    assert seen["pid"] == seen["os_pid"] == proc.pid, (
        f"current_process().pid is {seen['pid']} in the child, os.getpid() {seen['os_pid']}, "
        f"Process.pid {proc.pid} in the parent"
    )
    assert seen["ident"] == seen["pid"], f"ident {seen['ident']} differs from pid {seen['pid']}"
    assert seen["name"] == proc.name, f"the child calls itself {seen['name']!r}, not {proc.name!r}"
    assert seen["daemon"] == proc.daemon, (
        f"the child's daemon is {seen['daemon']}, the parent's Process.daemon {proc.daemon}"
    )
    assert seen["authkey"] == authkey, "the child's authkey is not its parent's"
    assert seen["exitcode"] is None, f"a running child's exitcode is {seen['exitcode']!r}"
    assert seen["parent"] == (*parent, True), (
        f"parent_process() in the child is {seen['parent']} (pid, name, is_alive), "
        f"the parent is {parent}"
    )


@pytest.mark.mp_catches("mutants.module_functions:child_renamed")
@pytest.mark.mp_api(
    "Process(daemon)",
    "Process(name)",
    "Process.authkey",
    "Process.daemon",
    "Process.exitcode",
    "Process.name",
    "Process.pid",
    "cpu_count",
    "current_process",
    "parent_process",
)
@given(name=NAMES, daemon=st.booleans())
@example(name="", daemon=True)
@budget("process")
def test_a_child_sees_itself_and_its_parent_as_the_parent_sees_them(
    mp: Target, name: str, daemon: bool
) -> None:
    """In a child, current_process() and parent_process() agree with the parent's view.

    The child's name, pid (= ident = os.getpid()), daemon flag and authkey are those of its
    Process object in the parent, its exitcode is None while it runs, and parent_process() is
    the parent (pid, name, alive); cpu_count() is the parent's. In the parent, which is a main
    process, parent_process() is None.
    """
    me = mp.current_process()
    assert mp.parent_process() is None, (
        f"a main process's parent_process() is {mp.parent_process()}"
    )
    ours, theirs = mp.Pipe(duplex=False)
    proc = mp.Process(target=kids.report_identity, args=(theirs, mp.ctx), name=name, daemon=daemon)
    proc.start()
    theirs.close()
    try:
        seen = receive(ours, proc, "the child's description of itself")
    finally:
        finish(proc, what="the child")
        ours.close()
    check_identity(seen, proc, (os.getpid(), me.name), bytes(me.authkey))
    assert seen["cpu_count"] == mp.cpu_count(), (
        f"cpu_count() is {seen['cpu_count']} in the child, {mp.cpu_count()} in the parent"
    )


@pytest.mark.mp_catches("mutants.module_functions:parent_is_grandparent")
@pytest.mark.mp_api("current_process", "parent_process")
@given(name=NAMES.filter(bool))
@budget("heavy")
def test_a_grandchild_sees_its_parent_child_as_its_parent(mp: Target, name: str) -> None:
    """A grandchild's parent_process() is the child that started it, not the main process."""
    mp.require("parent_process")
    ours, theirs = mp.Pipe(duplex=False)
    proc = mp.Process(target=kids.report_with_grandchild, args=(theirs, mp.ctx, name))
    proc.start()
    theirs.close()
    try:
        grandchild, pid, child = receive(ours, proc, "the grandchild's and the child's reports")
    finally:
        finish(proc, what="the child")
        ours.close()
    assert grandchild["pid"] == pid, f"the grandchild's pid is {grandchild['pid']}, not {pid}"
    assert grandchild["name"] == name, f"the grandchild calls itself {grandchild['name']!r}"
    assert grandchild["parent"] == (child["pid"], child["name"], True), (
        f"the grandchild's parent_process() is {grandchild['parent']}; its parent is "
        f"{(child['pid'], child['name'])}"
    )


@pytest.mark.mp_catches("mutants.module_functions:pool_workers_not_daemonic")
@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("current_process", "parent_process", "pool.Pool")
def test_pool_workers_are_daemonic_children_of_the_pool_owner(mp: Target) -> None:
    """Pool workers are daemonic children of the process that made the Pool.

    In each worker current_process() is the worker (its pid is os.getpid(), its authkey the
    owner's) and parent_process() the Pool's owner. The documentation does not say that
    workers are daemonic; CPython's are, so a worker cannot start processes of its own.
    """
    mp.require("Pool", "parent_process")
    me = mp.current_process()
    with mp.Pool(2) as pool:
        seen = pool.map(kids.identity, [mp.ctx] * 4, chunksize=1)
        workers = {getattr(p, "pid", None) for p in getattr(pool, "_pool", ())}
    for report in seen:
        assert report["pid"] == report["os_pid"], f"a worker's pid is {report['pid']}"
        assert report["daemon"] is True, f"a worker's daemon flag is {report['daemon']}"
        assert report["authkey"] == bytes(me.authkey), "a worker's authkey is not the owner's"
        assert report["parent"] == (os.getpid(), me.name, True), (
            f"a worker's parent_process() is {report['parent']}; the owner is "
            f"{(os.getpid(), me.name)}"
        )
    if workers - {None}:
        strangers = {r["pid"] for r in seen} - workers
        assert not strangers, f"tasks ran in {strangers}, not in the Pool's workers {workers}"


@pytest.mark.mp_catches("mutants.module_functions:active_children_empty")
@pytest.mark.mp_api("active_children")
def test_active_children_lists_live_children_and_reaps_finished_ones(mp: Target) -> None:
    """active_children() lists the live children and not those that have finished.

    A finished child leaves the list at the next call, which joins it: its exitcode is set.
    """
    with agents.held(mp, name="child 1") as first, agents.held(mp, name="child 2") as second:
        live = mp.active_children()
        assert first.proc in live and second.proc in live, (
            f"active_children() is {live}, without both children"
        )
        agents.release(first)
        wait_until(lambda _slice: not first.proc.is_alive(), "child 1 ending", None)
        after = mp.active_children()
        assert first.proc not in after, f"active_children() still lists the ended child: {after}"
        assert second.proc in after, f"active_children() lost the live child: {after}"
        assert first.proc.exitcode == 0, f"the ended child's exitcode is {first.proc.exitcode}"


@pytest.mark.mp_catches("mutants.module_functions:cpu_count_off_by_one")
@pytest.mark.mp_api("cpu_count")
def test_cpu_count_is_the_number_of_cpus_in_the_system(mp: Target) -> None:
    """cpu_count() is the number of CPUs in the system, as os.cpu_count() gives it."""
    got = agents.outcome(mp.cpu_count)
    expected = os.cpu_count()
    if expected is None:
        assert got.is_a("NotImplementedError"), f"cpu_count() {got.show()} where it is unknown"
    else:
        assert got.value == expected, f"cpu_count() {got.show()}; os.cpu_count() is {expected}"


@pytest.mark.mp_catches("mutants.module_functions:log_without_process")
@pytest.mark.mp_api("get_logger", "log_to_stderr", "log_to_stderr(level)")
def test_log_to_stderr_writes_records_of_its_level_and_above_in_the_documented_format(
    mp: Target,
) -> None:
    """log_to_stderr(level) writes records at that level and above to stderr, formatted.

    The format is '[%(levelname)s/%(processName)s] %(message)s'; the logger it returns is
    get_logger()'s, which a process that did not configure it finds at level NOTSET without
    handlers. Checked in a child, so the test process's own logging is left alone.
    """
    mp.require("get_logger", "log_to_stderr")
    messages = [(level, f"message at {logging.getLevelName(level)}") for level in kids.LEVELS]
    with agents.started(mp, kids.LOGGING, (mp.ctx,), name="the logging child") as child:
        _, level, handlers = child.run("logger_state")
        if mp.memory_model != "copied":  # a forked child inherits the parent's configuration
            assert (level, handlers) == (logging.NOTSET, 0), (
                f"a new process's logger has level {level} and {handlers} handlers"
            )
        got = child.run("log_lines", logging.INFO, messages)
    assert got["same_logger"], "log_to_stderr() returned another logger than get_logger()"
    assert got["level"] == logging.INFO, f"log_to_stderr(INFO) left the level at {got['level']}"
    expected = "".join(
        f"[{logging.getLevelName(at)}/{got['process_name']}] {text}\n"
        for at, text in messages
        if at >= logging.INFO
    )
    assert got["output"] == expected, f"stderr got {got['output']!r}, expected {expected!r}"


@pytest.mark.mp_catches("mutants.module_functions:logger_renamed")
@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("get_logger")
def test_get_logger_is_the_logger_named_multiprocessing(mp: Target) -> None:
    """get_logger() returns the standard library logger named 'multiprocessing'.

    The documentation says only "the logger used by multiprocessing"; CPython's is
    logging.getLogger('multiprocessing'), which is where an application that configures
    logging by name expects these records.
    """
    mp.require("get_logger")
    logger = mp.get_logger()
    assert logger.name == "multiprocessing", f"get_logger() is named {logger.name!r}"
    same = logging.getLogger("multiprocessing")
    assert logger is same, "get_logger() is not logging.getLogger('multiprocessing')"


@pytest.mark.mp_catches("mutants.module_functions:start_method_always_spawn")
@pytest.mark.mp_api(
    "get_context", "get_context(method)", "get_start_method", "get_start_method(allow_none)"
)
def test_a_context_names_its_start_method(mp: Target) -> None:
    """A context's get_start_method() is its start method, with or without allow_none.

    get_context(method) returns a context of that method, and an unknown method name raises
    ValueError.
    """
    mp.require("get_start_method", "get_context")
    method = mp.start_method
    for allow_none in (False, True):
        got = mp.get_start_method(allow_none=allow_none)
        assert got == method, f"get_start_method(allow_none={allow_none}) is {got!r}"
    for name in mp.adapter.start_methods:
        other = mp.get_context(name).get_start_method()
        assert other == name, f"get_context({name!r}).get_start_method() is {other!r}"
    unknown = agents.outcome(mp.get_context, "no-such-method")
    assert unknown.is_a("ValueError"), f"get_context('no-such-method') {unknown.show()}"


@pytest.mark.mp_api("get_all_start_methods")
def test_get_all_start_methods_lists_the_default_first(mp: Target) -> None:
    """get_all_start_methods() lists every start method, the default first.

    It is read from the backend's default context (CPython's contexts of one start method
    do not all have it): the method of this column is among those listed, and the first is
    the one the default context uses.
    """
    default = getattr(mp.adapter.get_context, "__self__", None)
    if default is None or not hasattr(default, "get_all_start_methods"):
        raise Unsupported(f"{mp.adapter.name} has no default context to list its start methods")
    every = default.get_all_start_methods()
    assert mp.start_method in every, (
        f"get_all_start_methods() is {every}, without {mp.start_method!r}"
    )
    first = default.get_context().get_start_method()
    assert every[0] == first, f"get_all_start_methods() is {every}; the default is {first!r}"


@pytest.mark.mp_catches("mutants.module_functions:set_start_method_accepted")
@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("set_start_method", "set_start_method(method)")
def test_a_context_of_one_start_method_refuses_set_start_method(mp: Target) -> None:
    """A context of one start method refuses set_start_method() with ValueError.

    Only the module-level default context's method can be set; CPython's concrete contexts
    raise ValueError, so a library holding one cannot change the program's start method.
    """
    got = agents.outcome(mp.set_start_method, mp.start_method)
    assert got.is_a("ValueError"), f"set_start_method({mp.start_method!r}) {got.show()}"
    assert mp.get_start_method() == mp.start_method, "the context's start method changed"


@pytest.mark.mp_catches("mutants.module_functions:set_executable_ignored")
@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("set_executable", "set_executable(executable)")
def test_set_executable_is_the_interpreter_spawn_children_run(mp: Target, tmp_path: Any) -> None:
    """Children started after set_executable(path) run that interpreter.

    Checked with a script that marks its children in their environment and runs the current
    interpreter. Only spawn starts an interpreter per child: fork copies the parent, and
    CPython's fork server forks from an interpreter it started before, so those read SKIP.
    """
    if mp.start_method != "spawn":
        pytest.skip(f"{mp.start_method} does not start an interpreter per child")
    mp.require("set_executable")
    mark = f"set-executable-{os.getpid()}"
    wrapper = tmp_path / "python-wrapper"
    wrapper.write_text(f'#!/bin/sh\nMPCONFORM_EXECUTABLE={mark} exec "{sys.executable}" "$@"\n')
    wrapper.chmod(0o755)
    mp.set_executable(str(wrapper))
    try:
        ours, theirs = mp.Pipe(duplex=False)
        proc = mp.Process(target=kids.report_executable, args=(theirs,))
        proc.start()
        theirs.close()
        try:
            seen = receive(ours, proc, "the child's mark")
        finally:
            finish(proc, what="the child")
            ours.close()
    finally:
        mp.set_executable(sys.executable)
    assert seen == mark, f"the child was not started by the executable set ({wrapper})"


@pytest.mark.mp_catches("mutants.module_functions:set_forkserver_preload_ignored")
@pytest.mark.mp_api("set_forkserver_preload", "set_forkserver_preload(module_names)")
def test_set_forkserver_preload_imports_the_modules_before_children_start(mp: Target) -> None:
    """Modules named to set_forkserver_preload() are imported in every fork server child.

    The fork server imports them once and its children inherit them; a name that does not
    import is silently ignored. Only the fork server preloads, so fork and spawn read SKIP;
    the program runs in an interpreter of its own, whose fork server starts after the call.
    """
    if mp.start_method != "forkserver":
        pytest.skip(f"{mp.start_method} has no fork server to preload")
    mp.require("set_forkserver_preload")
    # colorsys: a stdlib module nothing on the way to a child imports.
    args = [mp.spec, mp.start_method, "colorsys", "mpconform_no_such_module"]
    done = subprocess.run(
        programs.command("preloaded", *args), capture_output=True, text=True, timeout=PROGRAM_BOUND
    )
    assert done.returncode == 0, f"the program failed:\n{done.stderr[-3000:]}"
    answer = done.stdout.strip().splitlines()[-1:] or ["nothing"]
    assert answer == ["True"], (
        f"a fork server child has colorsys imported: {answer[0]} (expected True); "
        f"stderr: {done.stderr[-500:]}"
    )


@pytest.mark.mp_catches("mutants.module_functions:buffer_too_short_not_a_process_error")
@pytest.mark.mp_api("AuthenticationError", "BufferTooShort", "ProcessError", "TimeoutError")
def test_the_documented_exceptions_derive_from_process_error(mp: Target) -> None:
    """ProcessError is the base class of the documented exceptions, and an Exception.

    BufferTooShort, AuthenticationError and TimeoutError are its subclasses, so one except
    clause catches whatever a multiprocessing call raises of its own.
    """
    mp.require("ProcessError")
    assert issubclass(mp.ProcessError, Exception), "ProcessError is not an Exception"
    for name in ("BufferTooShort", "AuthenticationError", "TimeoutError"):
        mp.require(name)
        cls = getattr(mp, name)
        assert issubclass(cls, mp.ProcessError), f"{name} is not a subclass of ProcessError"
