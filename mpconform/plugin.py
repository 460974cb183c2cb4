"""The pytest plugin (entry point ``pytest11``): backends x start methods, verdicts, reports.

It is inert for tests that do not take the ``mp`` argument, so installing mpconform next to
another project's suite changes nothing there.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import threading
import time
from collections.abc import Generator, Iterator
from typing import Any, Callable

import pytest

from . import api, processes, semaphores, titles, warm
from .classify import falsifying_example, phase_message, phase_status
from .deadline import GRACE_SECONDS, deadline
from .errors import USAGE_EXIT_CODE, ConfigError
from .expectations import SKIP, XFAIL, Expectation, facts_of
from .jobs import JOB_GROUP_ENV, PROGRESS_ENV
from .options import Settings, add_options, resolve
from .outcomes import LeakDetected, Unsupported
from .recorder import Recorder, area_of
from .status import Status
from .stressing import StressRun
from .target import Target
from .watchdog import Watchdog

SETTINGS = pytest.StashKey[Settings]()
_BASELINE = pytest.StashKey[frozenset]()
_SEMS = pytest.StashKey[frozenset]()
_SESSION_BASELINE = pytest.StashKey[frozenset]()
_UNMATCHED = pytest.StashKey[list]()
_CALL_FAILED = pytest.StashKey[bool]()
_EXPECTATION = pytest.StashKey[Expectation]()
_STRESS = pytest.StashKey[StressRun]()
_NOTES = pytest.StashKey[list]()
_WATCHDOG = pytest.StashKey[Watchdog]()
_PEER = pytest.StashKey[str]()
LEAK_GRACE = 1.0  # seconds a just-stopped child may take to disappear before it counts


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "mp_requires(*capabilities): end as UNSUPPORTED unless the backend has them"
    )
    config.addinivalue_line("markers", "mp_area(name): the feature area this test reports under")
    config.addinivalue_line(
        "markers",
        "mp_basis(basis): 'docs' (documented behaviour) or 'cpython' (the docs are silent; "
        "CPython's behaviour is the spec)",
    )
    config.addinivalue_line(
        "markers",
        "mp_api(*elements): the documented API elements the property checks, as named in "
        "mpconform.api ('Queue.get', 'Queue.get(timeout)')",
    )
    config.addinivalue_line(
        "markers",
        "mp_outcome(*statuses, reason=...): a fault-behaviour test whose result is an outcome "
        "to report, not a verdict: these statuses (besides PASS) are accepted for every backend",
    )
    config.addinivalue_line(
        "markers",
        "mp_peer(role): an interop property: 'client' (the backend connects to a peer "
        "interpreter) or 'server' (the peer connects to the backend); see name_peer()",
    )
    config.addinivalue_line(
        "markers",
        "mp_catches(*mutants): the mutants (stdlib with one bug, 'mutants.<area>:<name>' under "
        "mpconform's tests/) that this property must fail; tests/test_meta.py runs each",
    )
    try:
        settings = resolve(config)
    except ConfigError as exc:
        pytest.exit(f"mpconform: {exc}", returncode=USAGE_EXIT_CODE)
    config.stash[SETTINGS] = settings
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(Recorder(config, settings), "mpconform-recorder")


def pytest_report_header(config: pytest.Config) -> list[str]:
    adapters = config.stash[SETTINGS].adapters
    if len(adapters) < 2:
        return []
    return [
        f"mpconform: {', '.join(a.name for a in adapters)} share this interpreter; a difference "
        "may come from their meeting ('mpconform run' gives each backend its own)"
    ]


def target_of(item: pytest.Item) -> Target | None:
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return None
    value = callspec.params.get("mp")
    return value if isinstance(value, Target) else None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "mp" not in metafunc.fixturenames:
        return
    targets = metafunc.config.stash[SETTINGS].targets
    metafunc.parametrize("mp", targets, ids=[t.id for t in targets])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    settings = config.stash[SETTINGS]
    if settings.shard is not None:
        _keep_shard(config, items, *settings.shard)
    for item in items:
        target = target_of(item)
        if target is None:
            continue
        api_elements(item)  # an unknown name stops the run here, not in the report
        if settings.expectations is not None:
            _apply_expectation(item, target, settings.expectations, settings.run_known_failures)
        if _EXPECTATION not in item.stash:
            _apply_outcome_marker(item)
    if settings.expectations is not None:
        config.stash[_UNMATCHED] = settings.expectations.unmatched()


def pytest_collection_finish(session: pytest.Session) -> None:
    """What import and collection made lives for the whole session: it moves out of every
    later garbage collection, so the leak check's collection after a test costs what the test
    made, not what pytest and Hypothesis keep."""
    if any(target_of(item) is not None for item in session.items):
        gc.collect()
        gc.freeze()


def api_elements(item: pytest.Item) -> list[str]:
    """The documented elements the item's ``mp_api`` markers name, checked against
    :mod:`mpconform.api` so that a typo cannot silently leave an element uncovered."""
    names = [name for marker in item.iter_markers("mp_api") for name in marker.args]
    unknown = sorted(set(names) - api.everything())
    if unknown:
        raise pytest.UsageError(
            f"{item.nodeid}: mp_api names {', '.join(unknown)}, which mpconform.api does not "
            "list; use a name from mpconform.api.SECTIONS"
        )
    return sorted(set(names))


def test_timeout(item: pytest.Item) -> float:
    """The profile's per-test deadline; a stress test also gets its time budget, with room."""
    settings = item.config.stash[SETTINGS]
    if "mp_stress" in getattr(item, "fixturenames", ()):
        return settings.timeout + 1.5 * settings.stress_seconds
    return settings.timeout


@pytest.fixture
def mp_stress(request: pytest.FixtureRequest) -> Iterator[StressRun]:
    """The running stress test's time budget and metrics (see mpconform.stressing)."""
    settings = request.config.stash[SETTINGS]
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")

    def progress(line: str) -> None:
        if reporter is not None and not hasattr(request.config, "workerinput"):
            reporter.write_line(line)

    run = StressRun(settings.stress_seconds, request.node.name, progress)
    request.node.stash[_STRESS] = run
    yield run
    if run.interrupted:
        request.session.shouldstop = "interrupted during a stress run"
        recorder = request.config.pluginmanager.get_plugin("mpconform-recorder")
        if recorder is not None:
            recorder.interrupted = True


def _keep_shard(config: pytest.Config, items: list[pytest.Item], index: int, count: int) -> None:
    """Keep every count-th test, by node id, starting at index: shards partition the tests
    exactly whatever order collection produced, and each gets a mix of every area."""
    ordered = sorted(range(len(items)), key=lambda i: items[i].nodeid)
    mine = {i for rank, i in enumerate(ordered) if rank % count == index - 1}
    dropped = [item for i, item in enumerate(items) if i not in mine]
    items[:] = [item for i, item in enumerate(items) if i in mine]
    if dropped:
        config.hook.pytest_deselected(items=dropped)


def _apply_outcome_marker(item: pytest.Item) -> None:
    """A fault-behaviour test reports what happened (CPython's Pool hangs on a killed worker);
    the statuses it names are accepted like an expectation file line, so the reference backend
    reads TIMEOUT without the run calling it non-conforming."""
    marker = item.get_closest_marker("mp_outcome")
    if marker is None:
        return
    statuses = "|".join(("PASS", *marker.args))
    reason = str(marker.kwargs.get("reason", "a fault-behaviour outcome"))
    item.stash[_EXPECTATION] = Expectation(item.nodeid, statuses, (), reason, "mp_outcome")


@pytest.fixture
def mp_note(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Call with text to report with a passing result: what a fault-behaviour test observed."""
    notes = request.node.stash.setdefault(_NOTES, [])
    return notes.append


def _apply_expectation(item: pytest.Item, target: Target, known: Any, run_known: bool) -> None:
    entry = known.find(item.nodeid, facts_of(target.adapter.name, target.start_method))
    if entry is None:
        return
    item.stash[_EXPECTATION] = entry
    if entry.outcome == SKIP:
        item.add_marker(pytest.mark.skip(reason=f"expectation file says {entry.describe()}"))
    elif entry.outcome == XFAIL and not run_known:
        item.add_marker(
            pytest.mark.skip(
                reason=f"known failure, not run: {entry.describe()} "
                "(--mp-run-known-failures runs it)"
            )
        )


def pytest_sessionstart(session: pytest.Session) -> None:
    if not _runs_tests(session.config):
        return
    processes.become_subreaper()
    # Started before the baseline, so it is never a test's stray; closed before the sweep.
    session.config.stash[_WATCHDOG] = Watchdog(
        os.environ.get(PROGRESS_ENV) or "", sweep_group=os.environ.get(JOB_GROUP_ENV) == "1"
    )
    session.config.stash[_SESSION_BASELINE] = processes.snapshot()
    _stop_on_interrupt(session)


def _stop_on_interrupt(session: pytest.Session) -> None:
    """Ctrl-C (or the SIGINT a job gets when ``mpconform run`` dies) stops the session even
    when its KeyboardInterrupt is swallowed: raised inside a garbage-collector callback
    (Hypothesis registers one) it becomes an "Exception ignored" warning and the tests went
    on running, unobserved. pytest checks ``shouldstop`` between tests."""
    if threading.current_thread() is not threading.main_thread():
        return

    def interrupted(signum: int, frame: Any) -> None:
        session.shouldstop = "interrupted (SIGINT)"
        signal.default_int_handler(signum, frame)

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, interrupted)


def _sweep_again_at_exit(baseline: Any) -> None:
    """One more sweep after multiprocessing's own exit handler has terminated the pools.

    A Pool a test left behind (an interrupted session) has a handler thread that replaces dead
    workers until the Pool's finalizer stops it at interpreter exit, after this session's
    sweep: a worker forked then, from a process with threads, can deadlock and outlive us.
    Finalizers with a negative exit priority run last, after the Pools' (priority 15).
    """
    import multiprocessing.util

    def sweep() -> None:
        strays = processes.strays(baseline, _LASTING)
        processes.kill_tree(strays)
        processes.reap_orphans()

    multiprocessing.util.Finalize(None, sweep, exitpriority=-100)


def name_peer(node: pytest.Item, name: str) -> None:
    """Record which peer an interop property talks to ("CPython 3.12.8 multiprocessing"):
    the report's interop table names it."""
    node.stash[_PEER] = name


def only_first_start_method(mp: Target, request: pytest.FixtureRequest, why: str) -> None:
    """Skip unless this is the first start method the run selected for this backend.

    For a check whose subject does not depend on the start method (``why`` says why) but whose
    cost does: the other columns read SKIP with the reason, not a result nobody ran.
    """
    targets = request.config.stash[SETTINGS].targets
    first = next((t for t in targets if t.adapter is mp.adapter), mp)
    if mp.start_method != first.start_method:
        pytest.skip(f"{why}: checked under one start method per backend ({first.start_method})")


def _runs_tests(config: pytest.Config) -> bool:
    """False in an xdist controller, which only distributes tests."""
    if hasattr(config, "workerinput"):
        return True
    return config.getoption("dist", "no") == "no" or not config.getoption("numprocesses", None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[Any]:
    """Arm the watchdog process over setup, call and teardown: the backstop for a test that
    never returns to the interpreter, so the SIGALRM deadline cannot end it."""
    watchdog = item.config.stash.get(_WATCHDOG, None)
    if watchdog is None or target_of(item) is None:
        return (yield)
    with watchdog.armed(test_timeout(item) + 3 * GRACE_SECONDS, item.nodeid):
        return (yield)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    target = target_of(item)
    if target is None:
        return
    semaphores.stamp_prefix()
    reason = target.adapter.outside(area_of(item))
    if reason is None and target.adapter.session_start is not None:
        _start_service(target.adapter)  # before the baseline: its processes are not the test's
    item.stash[_BASELINE] = processes.snapshot()
    item.stash[_SEMS] = semaphores.ours()
    if reason is not None:
        raise Unsupported(reason)
    for marker in item.iter_markers("mp_requires"):
        target.require(*marker.args)


# Processes of session services that end with the interpreter (see Adapter.session_end), and
# so are no strays of the session's final sweep.
_LASTING: set[int] = set()


def _start_service(adapter: Any) -> None:
    """The backend's session service, kept like a warm resource: its processes (and those
    below them: a cluster's workers) are exempt from every test's leak check, and it is
    stopped with the other kept resources."""

    def start() -> warm.Kept:
        before = {p.pid for p in processes.descendants()}
        adapter.session_start()
        started = [p.pid for p in processes.descendants() if p.pid not in before]
        if adapter.session_end is None:  # ends with the interpreter: not a stray at its end
            _LASTING.update(started)
        return warm.Kept(None, pids=lambda: started, close=adapter.session_end or (lambda: None))

    warm.keep(("service", adapter.name), start)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    if target_of(item) is None:
        return (yield)
    timeout = test_timeout(item)

    def kill_what_the_test_started() -> str:
        strays = processes.strays(item.stash.get(_BASELINE, frozenset()), warm.kept_pids())
        processes.kill_tree(strays)
        return f"killed {len(strays)} process(es) it started" if strays else ""

    with deadline(timeout, kill_what_the_test_started):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    target = target_of(item)
    try:
        result = yield
    finally:
        leaks = _collect_leaks(item, target) if target is not None else []
    if leaks:
        raise LeakDetected("left behind: " + "; ".join(leaks))
    return result


def _collect_leaks(item: pytest.Item, target: Target) -> list[str]:
    """What the test left running or allocated; kills the processes so the next test is clean."""
    baseline = item.stash.get(_BASELINE, None)
    if baseline is None:
        return []
    strays = processes.strays(baseline, warm.kept_pids())
    end = time.monotonic() + LEAK_GRACE
    while strays and time.monotonic() < end:
        time.sleep(0.02)
        strays = processes.strays(baseline, warm.kept_pids())
    found = [f"process {s}" for s in processes.describe(strays)]
    if strays:
        processes.kill_tree(strays)
    with contextlib.suppress(Exception):
        target.ctx.active_children()  # lets the backend reap what it started
    processes.reap_orphans()
    if not item.stash.get(_CALL_FAILED, False):
        # A failed test's exceptions (kept by Hypothesis, and AttributeError.obj) hold on to
        # the objects it made, semaphores included: that is not the backend leaking.
        leaked = semaphores.leaked_since(item.stash[_SEMS] | warm.kept_sems())
        found += [f"/dev/shm/{name}" for name in leaked]
    return found


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    target = target_of(item)
    if target is None:
        return report
    if call.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    longrepr = str(report.longrepr) if report.longrepr is not None else ""
    wasxfail = hasattr(report, "wasxfail")
    status = phase_status(call.when, report.outcome, call.excinfo, wasxfail, longrepr)
    message = phase_message(call.excinfo, report.outcome, longrepr)
    if wasxfail and not message:
        message = str(report.wasxfail)
    example = falsifying_example(call.excinfo.value) if call.excinfo is not None else None
    basis_marker = item.get_closest_marker("mp_basis")
    function = getattr(item, "function", None)
    module = getattr(getattr(item, "module", None), "__name__", "")
    feature = getattr(item, "originalname", item.name)
    info: dict[str, Any] = {
        "status": status.value,
        "message": message,
        "falsifying_example": example,
        "module": module,
        "line": getattr(getattr(function, "__code__", None), "co_firstlineno", 0),
        "area": area_of(item),
        "feature": feature,
        "title": titles.title(getattr(function, "__doc__", None), feature),
        "basis": basis_marker.args[0] if basis_marker else "docs",
        "api": api_elements(item),
        "backend": target.adapter.name,
        "start_method": target.start_method,
    }
    role = item.get_closest_marker("mp_peer")
    if role is not None:
        info["peer"] = {"role": role.args[0], "name": item.stash.get(_PEER, "")}
    stress = item.stash.get(_STRESS, None)
    if stress is not None and call.when == "call":
        info["metrics"] = dict(stress.metrics)
    notes = item.stash.get(_NOTES, None)
    if notes and call.when == "call" and not info["message"]:
        info["message"] = "; ".join(notes)
    # The recorder reads it back, and xdist carries it from a worker with the report's
    # attributes: a field pytest's TestReport does not declare.
    report.mpconform = info  # type: ignore[attr-defined]
    entry = item.stash.get(_EXPECTATION, None)
    if entry is not None and entry.outcome != SKIP and report.outcome != "skipped":
        _judge_by_expectation(report, entry, status)
    return report


def _judge_by_expectation(report: pytest.TestReport, entry: Expectation, status: Status) -> None:
    """Let pytest's own outcome follow the expectation; the mpconform status stays measured.

    An accepted failure becomes an xfail for pytest (so its exit code is 0), still recorded as
    the FAIL or TIMEOUT it was; a pass where the file expected something else is an XPASS,
    because an expectation that no longer holds must be noticed and removed.
    """
    info = report.mpconform
    info["expected"] = list(entry.allowed)
    info["expectation"] = entry.describe()
    if status.value in entry.allowed and not status.conforms:
        report.outcome = "skipped"
        report.wasxfail = f"expected {status.value}: {entry.describe()}"
    elif status is Status.PASS and report.when == "call" and "PASS" not in entry.allowed:
        info["status"] = Status.XPASS.value
        info["message"] = f"unexpected pass: the expectation file says {entry.describe()}"
        report.outcome = "failed"
        report.longrepr = f"[XPASS] {info['message']}"


_DISPLAY = {
    Status.UNSUPPORTED: ("unsupported", "U"),
    Status.TIMEOUT: ("failed", "T"),
    Status.CRASH: ("failed", "C"),
    Status.LEAK: ("error", "L"),
}


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> Any:
    info = getattr(report, "mpconform", None)
    if not info:
        return None
    status = Status(info["status"])
    if hasattr(report, "wasxfail") and status.value in (info.get("expected") or ()):
        return "xfailed", "x", f"{status.value} (expected)"
    if status in _DISPLAY:
        category, letter = _DISPLAY[status]
        return category, letter, status.value
    return None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if not _runs_tests(config) or _SESSION_BASELINE not in config.stash:
        return
    warm.close_all()
    watchdog = config.stash.get(_WATCHDOG, None)
    if watchdog is not None:
        watchdog.close()
    strays = processes.strays(config.stash[_SESSION_BASELINE], _LASTING)
    leftovers = [str(s) for s in processes.describe(strays)]
    processes.kill_tree(strays)
    # A Pool's handler thread, still alive in an interrupted session, replaces the workers
    # just killed: sweep until a look finds nothing new (seen leaking after a SIGINT).
    for _ in range(10):
        again = processes.strays(config.stash[_SESSION_BASELINE], _LASTING)
        if not again:
            break
        leftovers += [str(s) for s in processes.describe(again)]
        processes.kill_tree(again)
        time.sleep(0.05)
    processes.reap_orphans()
    _sweep_again_at_exit(config.stash[_SESSION_BASELINE])
    unmatched = config.stash.get(_UNMATCHED, None)
    if hasattr(config, "workeroutput"):
        config.workeroutput["mpconform_leftovers"] = leftovers
        config.workeroutput["mpconform_unmatched"] = unmatched
    else:
        recorder = config.pluginmanager.get_plugin("mpconform-recorder")
        if recorder is not None:
            recorder.leftovers.extend(leftovers)
            recorder.note_unmatched(unmatched)
