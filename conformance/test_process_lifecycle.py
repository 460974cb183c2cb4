"""Process lifecycle: starting, ending, exit codes, attributes and who sees what.

Each property is the sentence of the ``multiprocessing.Process`` documentation it checks;
tests marked ``mp_basis("cpython")`` check what CPython does where the documentation is silent.
Every wait is bounded: children that must stay alive block on a pipe until the test releases
them, and :func:`receive` fails at once when a child ends without reporting.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from typing import Any, Callable

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from mpconform.agents import held, outcome, release
from mpconform.conformance import children_lifecycle as kids
from mpconform.conformance.strategies import payloads
from mpconform.limits import scaled
from mpconform.outcomes import TestTimeout, Unsupported
from mpconform.processes import is_gone
from mpconform.profiles import budget
from mpconform.target import Target
from mpconform.waiting import LIVENESS, finish, join, receive

pytestmark = pytest.mark.mp_area("Process lifecycle")

# Timeouts are lower bounds, but a backend that rounds its poll timeout to whole milliseconds
# would return up to 1 ms "early"; that is clock granularity, not a conformance failure.
CLOCK_SLACK = 0.001
# How long a daemonic child may take to die once its parent exited. CPython terminates and
# joins daemonic children before the parent exits, so they are gone already; the grace only
# leaves room for a backend that signals them without waiting. Not LIVENESS: a backend that
# leaves them running would pay it for every example Hypothesis replays while shrinking.
TERMINATION_GRACE = scaled(2.0)

# -- strategies --------------------------------------------------------------------------------

# Exception types a target may leak; KeyboardInterrupt is there because "an exception not
# caught within run()" includes the ones outside the Exception hierarchy.
EXCEPTION_TYPES = st.sampled_from(
    [ValueError, RuntimeError, KeyError, ZeroDivisionError, kids.ChildError, KeyboardInterrupt]
)

PAYLOAD = payloads(max_leaves=10)

# Signals whose default action terminates the process without a core dump.
TERMINATING_SIGNALS = st.sampled_from(
    [
        getattr(signal, name)
        for name in (
            "SIGTERM",
            "SIGKILL",
            "SIGHUP",
            "SIGINT",
            "SIGUSR1",
            "SIGUSR2",
            "SIGPIPE",
            "SIGALRM",
            "SIGVTALRM",
            "SIGPROF",
        )
        if hasattr(signal, name)
    ]
)

# How a child ends, and the exitcode that gives. Few and fixed: the property is about what
# happens after the end, and a failing example costs TERMINATION_GRACE at every replay.
ENDINGS = st.sampled_from(
    [(("return",), 0), (("exit", 3), 3), (("raise", kids.ChildError, "ended"), 1)]
)


# -- helpers -----------------------------------------------------------------------------------


def run_to_end(mp: Target, target: Any, *args: Any) -> Any:
    """Start ``target(*args)`` in a child and return its exitcode (bounded join)."""
    proc = mp.Process(target=target, args=args)
    proc.start()
    return join(proc)


def ask_child(mp: Target, target: Any, *args: Any, kwargs: dict | None = None) -> tuple[Any, Any]:
    """Run ``target(conn, *args, **kwargs)`` in a child; return (its one message, the process)."""
    ours, theirs = mp.Pipe()
    proc = mp.Process(target=target, args=(theirs, *args), kwargs=kwargs or {})
    proc.start()
    message = receive(ours, proc)
    finish(proc)
    return message, proc


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    """Poll ``condition`` until it holds (True) or ``timeout`` passed (False)."""
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= end:
            return False
        time.sleep(0.01)
    return True


def require_real_processes(mp: Target, why: str) -> None:
    if mp.memory_model not in ("copied", "fresh"):
        raise Unsupported(
            f"children under {mp.start_method!r} are not known to be processes: {why}"
        )


def require_asserts() -> None:
    """CPython implements these checks with assert statements, which -O removes."""
    if sys.flags.optimize:
        raise Unsupported("the reference behaviour is an assert statement, disabled by -O")


# -- exit codes --------------------------------------------------------------------------------


@pytest.mark.mp_api("Process.exitcode", "Process.is_alive")
@budget("process")
@given(value=st.none() | st.booleans() | st.integers(-300, 300) | st.text(max_size=10))
def test_normal_return_gives_exitcode_zero(mp, value):
    """A target that returns normally gives exitcode 0, whatever it returns."""
    proc = mp.Process(target=kids.return_value, args=(value,))
    assert proc.exitcode is None
    assert not proc.is_alive()
    proc.start()
    assert finish(proc) == 0
    assert not proc.is_alive()
    assert join(proc) == 0, "joining an ended process again changed its exitcode"


@pytest.mark.mp_api("Process.exitcode")
@budget("process")
@given(exc_type=EXCEPTION_TYPES, message=st.text(max_size=20))
def test_uncaught_exception_gives_exitcode_one(mp, exc_type, message):
    """An exception not caught within run() gives exitcode 1."""
    assert run_to_end(mp, kids.raise_error, exc_type, message) == 1


@pytest.mark.mp_api("Process.exitcode")
@budget("process")
@given(code=st.none() | st.integers(0, 255))
def test_sys_exit_code_is_exitcode(mp, code):
    """sys.exit(n) in the child gives exitcode n (0 for sys.exit(None))."""
    assert run_to_end(mp, kids.exit_with, code) == (0 if code is None else code)


@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("Process.exitcode")
@budget("process")
@given(code=st.integers(256, 2**31 - 1) | st.integers(-(2**31), -1))
def test_sys_exit_out_of_range_keeps_low_byte(mp, code):
    """sys.exit(n) outside 0..255 gives exitcode n & 0xff, never a negative (signal) code.

    Limited to C int values: beyond them CPython's fork child raises OverflowError from
    os._exit() and goes on running the parent's code, while spawn and forkserver exit with
    unrelated codes.
    """
    assert run_to_end(mp, kids.exit_with, code) == code & 0xFF


@pytest.mark.mp_catches("mutants.lifecycle:exit_text_is_zero")
@pytest.mark.mp_api("Process.exitcode")
@budget("process")
@given(
    code=st.text(max_size=20) | st.floats() | st.lists(st.integers(0, 3), min_size=1, max_size=3)
)
def test_sys_exit_with_non_integer_gives_exitcode_one(mp, code):
    """sys.exit("message") (or any non-integer object) gives exitcode 1."""
    assert run_to_end(mp, kids.exit_with, code) == 1


@pytest.mark.mp_api("Process.exitcode")
@budget("process")
@given(code=st.integers(0, 255))
def test_os_exit_code_is_exitcode(mp, code):
    """os._exit(n) in the child gives exitcode n."""
    require_real_processes(mp, "os._exit() would end the test runner")
    assert run_to_end(mp, kids.os_exit_with, code) == code


def _signal_with(mp: Target, method: str, wait_ready: bool) -> Any:
    with held(mp, wait_ready=wait_ready) as child:
        getattr(child.proc, method)()
        return join(child.proc)


@pytest.mark.mp_catches("mutants.lifecycle:exitcode_sign_lost")
@pytest.mark.mp_requires("Process.terminate")
@pytest.mark.mp_api("Process.exitcode", "Process.terminate")
@budget("process")
@given(wait_ready=st.booleans())
def test_terminate_gives_minus_sigterm(mp, wait_ready):
    """terminate() ends the child with exitcode -SIGTERM, even right after start()."""
    assert _signal_with(mp, "terminate", wait_ready) == -signal.SIGTERM


@pytest.mark.mp_catches("mutants.lifecycle:exitcode_sign_lost")
@pytest.mark.mp_requires("Process.kill")
@pytest.mark.mp_api("Process.exitcode", "Process.kill")
@budget("process")
@given(wait_ready=st.booleans())
def test_kill_gives_minus_sigkill(mp, wait_ready):
    """kill() ends the child with exitcode -SIGKILL, even right after start()."""
    assert _signal_with(mp, "kill", wait_ready) == -signal.SIGKILL


@pytest.mark.mp_catches("mutants.lifecycle:exitcode_sign_lost")
@pytest.mark.mp_requires("Process.pid")
@pytest.mark.mp_api("Process.exitcode")
@budget("process")
@given(signum=TERMINATING_SIGNALS)
def test_signal_death_gives_negative_signal_number(mp, signum):
    """A child killed by signal N (sent with os.kill) has exitcode -N."""
    require_real_processes(mp, "a signal would hit the test runner")
    ours, theirs = mp.Pipe()
    proc = mp.Process(target=kids.hold_with_default_signal, args=(theirs, signum))
    proc.start()
    try:
        assert receive(ours, proc, "ready") == kids.READY
        os.kill(proc.pid, signum)
        assert join(proc) == -signum
    finally:
        ours.send(kids.RELEASE)
        join(proc)


# -- states and waiting ------------------------------------------------------------------------


@pytest.mark.mp_api("Process.exitcode", "Process.is_alive")
def test_running_child_is_alive_without_exitcode(mp):
    """While the target runs, is_alive() is True and exitcode is None."""
    with held(mp) as child:
        assert child.proc.is_alive()
        assert child.proc.exitcode is None
    assert not child.proc.is_alive()
    assert child.proc.exitcode == 0


@pytest.mark.mp_catches("mutants.lifecycle:join_timeout_truncated")
@pytest.mark.mp_api("Process.exitcode", "Process.is_alive", "Process.join", "Process.join(timeout)")
@budget("process")
@given(timeouts=st.lists(st.floats(min_value=0.0, max_value=0.05), min_size=1, max_size=3))
def test_join_timeout_waits_at_least_timeout(mp, timeouts):
    """join(timeout) on a running child returns None after at least timeout, child still alive."""
    with held(mp) as child:
        for timeout in timeouts:
            t0 = time.monotonic()
            result = child.proc.join(timeout)
            elapsed = time.monotonic() - t0
            assert result is None
            assert elapsed >= timeout - CLOCK_SLACK, f"join({timeout}) returned after {elapsed}"
            assert child.proc.is_alive()
            assert child.proc.exitcode is None


@pytest.mark.mp_requires("Process.sentinel", "connection.wait")
@pytest.mark.mp_api(
    "Process.sentinel",
    "connection.wait",
    "connection.wait(object_list)",
    "connection.wait(timeout)",
)
@budget("process")
@given(timeout=st.floats(min_value=0.0, max_value=0.05))
def test_sentinel_becomes_ready_when_child_ends(mp, timeout):
    """sentinel works with connection.wait(): not ready while the child runs, ready once it
    ended."""
    with held(mp) as child:
        sentinel = child.proc.sentinel
        t0 = time.monotonic()
        ready = mp.connection.wait([sentinel], timeout)
        elapsed = time.monotonic() - t0
        assert ready == []
        assert elapsed >= timeout - CLOCK_SLACK, f"wait(timeout={timeout}) returned after {elapsed}"
        release(child)
        assert mp.connection.wait([sentinel], LIVENESS) == [sentinel]


@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_requires("Process.sentinel", "connection.wait")
@pytest.mark.mp_api("Process.sentinel")
def test_sentinel_stays_valid_after_join(mp):
    """The sentinel stays valid and ready after join(), until close()."""
    proc = mp.Process(target=kids.noop)
    proc.start()
    sentinel = proc.sentinel
    assert finish(proc) == 0
    # Ready again eventually rather than at once: under forkserver the sentinel carries the
    # exit status, which join() consumes, and it turns ready again at end-of-file.
    assert mp.connection.wait([sentinel], LIVENESS) == [sentinel]
    assert proc.sentinel == sentinel


@pytest.mark.mp_api("active_children")
@budget("heavy")
@given(data=st.data(), count=st.integers(1, 3))
def test_active_children_lists_running_children(mp, data, count):
    """active_children() includes every running child and no joined one."""
    with contextlib.ExitStack() as stack:
        children = [stack.enter_context(held(mp)) for _ in range(count)]
        ended = data.draw(st.sets(st.sampled_from(range(count))), label="joined")
        for index in sorted(ended):
            release(children[index])
            assert join(children[index].proc) == 0
        active = mp.active_children()
        for index, child in enumerate(children):
            if index in ended:
                assert child.proc not in active
            else:
                assert child.proc in active
    for child in children:
        assert child.proc not in mp.active_children()


# -- arguments and attributes ------------------------------------------------------------------


@pytest.mark.mp_catches("mutants.lifecycle:kwargs_dropped")
@pytest.mark.mp_api("Process(args)", "Process(kwargs)", "Process(target)")
@budget("process")
@given(
    args=st.lists(PAYLOAD, max_size=4).map(tuple),
    kwargs=st.dictionaries(st.text(max_size=8), PAYLOAD, max_size=3),
)
def test_args_and_kwargs_reach_target_intact(mp, args, kwargs):
    """args and kwargs reach the target intact: same values, same types, same order."""
    report, _ = ask_child(mp, kids.echo_arguments, *args, kwargs=kwargs)
    assert report == kids.describe((args, kwargs))


@pytest.mark.mp_catches("mutants.lifecycle:child_renamed")
@pytest.mark.mp_api("Process(name)", "Process.name", "current_process")
@budget("process")
@given(name=st.text(max_size=20), via=st.sampled_from(["constructor", "attribute"]))
def test_name_is_kept_and_seen_by_child(mp, name, via):
    """A name set by constructor or attribute is kept and is current_process().name in the child."""
    assume(via == "attribute" or name)  # the constructor reads name="" as "no name given"
    ours, theirs = mp.Pipe()
    if via == "constructor":
        proc = mp.Process(target=kids.report_identity, args=(theirs, mp.current_process), name=name)
    else:
        proc = mp.Process(target=kids.report_identity, args=(theirs, mp.current_process))
        proc.name = name
    assert proc.name == name
    proc.start()
    report = receive(ours, proc)
    assert finish(proc) == 0
    assert report["name"] == name
    assert proc.name == name


@pytest.mark.mp_catches("mutants.lifecycle:child_renamed")
@pytest.mark.mp_api("Process(name)", "Process.name", "current_process")
@budget("process")
@given(count=st.integers(1, 4))
def test_default_names_number_children_in_order(mp, count):
    """Default names end in "-N", N counting the parent's children; the child sees the same name.

    The documentation spells them "Process-N"; CPython starts them with the class name
    ("SpawnProcess-N"), so only the numbering is checked.
    """
    ours, theirs = mp.Pipe()
    procs = [mp.Process(target=kids.report_identity, args=(theirs, mp.current_process))]
    procs += [mp.Process(target=kids.noop) for _ in range(count - 1)]
    numbers = []
    for proc in procs:
        head, sep, number = proc.name.rpartition("-")
        assert head and sep and number.isdigit(), proc.name
        numbers.append(int(number))
    assert numbers == list(range(numbers[0], numbers[0] + count))
    procs[0].start()
    report = receive(ours, procs[0])
    assert finish(procs[0]) == 0
    assert report["name"] == procs[0].name


@pytest.mark.mp_catches("mutants.lifecycle:daemon_ignored")
@pytest.mark.mp_api("Process(daemon)", "Process.daemon", "current_process")
@budget("process")
@example(daemon=True, via="constructor")  # the value a backend that ignores the flag gets wrong
@example(daemon=True, via="attribute")
@given(
    daemon=st.sampled_from([None, False, True]), via=st.sampled_from(["constructor", "attribute"])
)
def test_daemon_flag_is_kept_and_seen_by_child(mp, daemon, via):
    """The daemon flag (default: inherited from the creator) is kept and seen by the child."""
    ours, theirs = mp.Pipe()
    args = (theirs, mp.current_process)
    if via == "constructor":
        proc = mp.Process(target=kids.report_identity, args=args, daemon=daemon)
    else:
        proc = mp.Process(target=kids.report_identity, args=args)
        if daemon is not None:
            proc.daemon = daemon
    expected = bool(mp.current_process().daemon) if daemon is None else daemon
    assert proc.daemon == expected
    proc.start()
    report = receive(ours, proc)
    assert finish(proc) == 0
    assert report["daemon"] == expected
    assert proc.daemon == expected


@pytest.mark.mp_requires("Process.pid", "Process.ident")
@pytest.mark.mp_api("Process.pid", "current_process")
def test_pid_is_the_childs_os_pid(mp):
    """pid and ident are None before start(), then the child's os.getpid(), also after it ended."""
    ours, theirs = mp.Pipe()
    proc = mp.Process(target=kids.report_identity, args=(theirs, mp.current_process))
    assert proc.pid is None
    assert proc.ident is None
    proc.start()
    report = receive(ours, proc)
    assert finish(proc) == 0
    assert proc.pid == report["os_pid"]
    assert proc.ident == proc.pid
    assert report["pid"] == report["ident"] == report["os_pid"]


# -- close() -----------------------------------------------------------------------------------

CLOSED_ACCESSORS = {
    "start": lambda p: p.start(),
    "join": lambda p: p.join(0),
    "is_alive": lambda p: p.is_alive(),
    "terminate": lambda p: p.terminate(),
    "kill": lambda p: p.kill(),
    "exitcode": lambda p: p.exitcode,
    "pid": lambda p: p.pid,
    "ident": lambda p: p.ident,
    "sentinel": lambda p: p.sentinel,
}


@pytest.mark.mp_catches("mutants.lifecycle:close_leaves_attributes")
@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_requires("Process.close")
@pytest.mark.mp_api("Process.close")
@budget("process")
@given(order=st.permutations(sorted(CLOSED_ACCESSORS)))
def test_closed_process_raises_value_error(mp, order):
    """After close(), the methods and attributes of a Process raise ValueError.

    The documentation says "most other methods and attributes"; CPython's list is start, join,
    is_alive, terminate, kill, exitcode, pid, ident and sentinel.
    Closing again is harmless.
    """
    proc = mp.Process(target=kids.noop)
    proc.start()
    assert finish(proc) == 0
    proc.close()
    for name in order:
        if mp.missing(f"Process.{name}") is None:
            with pytest.raises(ValueError):
                CLOSED_ACCESSORS[name](proc)
    proc.close()


@pytest.mark.mp_requires("Process.close")
@pytest.mark.mp_api("Process.close", "Process.is_alive")
def test_close_while_running_raises_value_error(mp):
    """close() on a running child raises ValueError and leaves the child running."""
    with held(mp) as child:
        with pytest.raises(ValueError):
            child.proc.close()
        assert child.proc.is_alive()
    assert child.proc.exitcode == 0
    child.proc.close()


# -- misuse (CPython raises AssertionError; the documentation names no exception) --------------


@pytest.mark.mp_catches("mutants.lifecycle:start_twice_ignored")
@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("Process.start")
@budget("process")
@given(when=st.sampled_from(["running", "ended"]))
def test_start_twice_raises_assertion_error(mp, when):
    """Starting a process object twice raises AssertionError, running or ended."""
    require_asserts()
    with held(mp) as child:
        if when == "ended":
            release(child)
            assert join(child.proc) == 0
        with pytest.raises(AssertionError):
            child.proc.start()
    assert child.proc.exitcode == 0


@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("Process.join")
def test_join_before_start_raises_assertion_error(mp):
    """join() before start() raises AssertionError."""
    require_asserts()
    proc = mp.Process(target=kids.noop)
    with pytest.raises(AssertionError):
        proc.join(0)


@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("Process.join")
def test_join_self_raises_assertion_error(mp):
    """A process cannot join itself: join() on current_process() raises AssertionError."""
    require_asserts()
    raised, _ = ask_child(mp, kids.join_self, mp.current_process)
    assert raised == "AssertionError"


@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("Process.daemon")
def test_daemonic_process_cannot_start_children(mp):
    """A daemonic process is not allowed to create child processes: start() raises
    AssertionError."""
    require_asserts()
    ours, theirs = mp.Pipe()
    proc = mp.Process(target=kids.try_start_child, args=(theirs, mp.Process))
    proc.daemon = True
    proc.start()
    raised = receive(ours, proc)
    assert finish(proc) == 0
    assert raised == "AssertionError"


# -- family ------------------------------------------------------------------------------------


@pytest.mark.mp_requires("parent_process")
@pytest.mark.mp_api("parent_process")
def test_parent_process_in_child_is_the_parent(mp):
    """parent_process() in the child describes the parent: its pid and name."""
    report, _ = ask_child(mp, kids.report_parent, mp.parent_process)
    assert report == {"pid": os.getpid(), "name": mp.current_process().name}


@pytest.mark.mp_requires("parent_process")
@pytest.mark.mp_api("parent_process")
def test_parent_process_is_none_in_main_process(mp):
    """parent_process() is None in the main process."""
    assert mp.parent_process() is None


@pytest.mark.mp_requires("Process.terminate", "Process.pid")
@pytest.mark.mp_api("Process.daemon")
@budget("heavy")
@given(ending=ENDINGS)
def test_daemonic_children_end_with_their_parent(mp, ending):
    """When a process exits, its daemonic children are terminated."""
    require_real_processes(mp, "only processes can be checked for being gone")
    how, expected = ending
    report_r, report_w = mp.Pipe(duplex=False)
    release_r, release_w = mp.Pipe(duplex=False)
    up_r, up_w = mp.Pipe(duplex=False)
    args = (mp.Process, report_w, release_r, up_r, up_w, how)
    proc = mp.Process(target=kids.start_daemon_grandchild, args=args)
    proc.start()
    try:
        grandchild = receive(report_r, proc, "its daemonic child's pid")
        assert grandchild is not None, "the daemonic grandchild never ran"
        # Watch the child's pid rather than join(): a surviving grandchild may hold the write
        # end of the child's sentinel pipe (fork), so join() would wait for it, not the child.
        if not wait_until(lambda: is_gone(proc.pid), LIVENESS):
            raise TestTimeout(f"{proc.name} still running {LIVENESS:g} s after its target ended")
        assert wait_until(lambda: is_gone(grandchild), TERMINATION_GRACE), (
            f"daemonic grandchild {grandchild} outlived its parent"
        )
    finally:
        release_w.send(kids.RELEASE)  # frees a grandchild that survived, so it can exit
        code = join(proc)
    assert code == expected


@pytest.mark.mp_catches("mutants.lifecycle:child_renamed")
@pytest.mark.mp_api("Process", "Process.run", "current_process")
@budget("process")
@given(payload=PAYLOAD, name=st.none() | st.text(min_size=1, max_size=10))
def test_subclass_run_override_runs_in_child(mp, payload, name):
    """A Process subclass's own run() runs in the child, where current_process() is an instance."""
    cls = kids.run_override_class(mp.Process)
    ours, theirs = mp.Pipe()
    extra = {} if name is None else {"name": name}
    proc = cls(theirs, payload, mp.current_process, **extra)
    proc.start()
    report = receive(ours, proc)
    assert finish(proc) == 0
    assert report == {"payload": kids.describe(payload), "is_instance": True, "name": proc.name}
    if name is not None:
        assert proc.name == name


@pytest.mark.mp_catches("mutants.lifecycle:spawn_fallback")
@pytest.mark.mp_api("Process.start")
@budget("process")
@given(value=st.text(max_size=10))
def test_child_memory_follows_start_method(mp, value):
    """Module globals are fresh in spawn/forkserver children, copied by fork, shared by threads."""
    model = mp.memory_model
    if model is None:
        raise Unsupported(f"no reference semantics for start method {mp.start_method!r}")
    assume(value != kids.MARKER_AT_IMPORT)
    childs_value = f"{value} (set by the child)"
    kids.MARKER = value
    try:
        seen, _ = ask_child(mp, kids.report_marker, childs_value)
        after = kids.MARKER
    finally:
        kids.MARKER = kids.MARKER_AT_IMPORT
    assert seen == (kids.MARKER_AT_IMPORT if model == "fresh" else value)
    assert after == (childs_value if model == "shared" else value)


@pytest.mark.mp_catches("mutants.lifecycle:group_ignored")
@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("Process(group)")
def test_group_other_than_none_is_refused(mp):
    """Process(group=...) accepts only None, which the documentation says it should always be.

    It exists for compatibility with threading.Thread; CPython (like threading) refuses any
    other value when the Process is made, with the exception checked here against CPython's.
    """
    import multiprocessing

    assert mp.Process(group=None, target=kids.exit_with, args=(0,)).name, "Process(group=None)"
    got = outcome(mp.Process, group=object(), target=kids.exit_with, args=(0,))
    expected = outcome(multiprocessing.Process, group=object())
    assert got.raised[:1] == expected.raised[:1], (
        f"Process(group=object()) {got.show()}; CPython {expected.show()}"
    )
