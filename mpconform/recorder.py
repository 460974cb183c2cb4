"""Collects verdicts where reports arrive (serial run or xdist controller) and writes results.

Works from the report objects only, which xdist ships from workers, so a distributed run and
a serial run produce the same results. A test whose worker crashed arrives as a bare report
with no mpconform data: it becomes CRASH, its backend and start method read off its id.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections import Counter, defaultdict
from dataclasses import asdict
from typing import Any

import hypothesis
import pytest

from . import results
from .classify import MAX_MESSAGE, combine
from .jobs import JOURNAL_NAME, PROGRESS_ENV, SUMMARY_BY_CLI_ENV
from .options import Settings
from .status import SEVERITY_ORDER, Status

CHECKPOINT_EVERY = float(os.environ.get("MPCONFORM_CHECKPOINT_SECONDS") or 60.0)
_PARAM_ID = re.compile(r"\[(?P<id>[^\[\]]+)\]$")


def area_of(item: pytest.Item) -> str:
    """The report area of a test: its ``mp_area`` marker, else its module's name."""
    marker = item.get_closest_marker("mp_area")
    if marker is not None:
        return str(marker.args[0])
    module = getattr(getattr(item, "module", None), "__name__", "")
    return module.rsplit(".", 1)[-1]


def report_names() -> tuple[str, ...]:
    from mpconform.reports import NAMES  # the reports package loads only when reporting

    return NAMES


class Recorder:
    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.phases: dict[str, dict[str, tuple[Status, str]]] = {}
        self.static: dict[str, dict[str, Any]] = {}
        self.durations: dict[str, float] = defaultdict(float)
        self.details: dict[str, str] = {}
        self.leftovers: list[str] = []
        self.started = results.now()
        self.t0 = time.monotonic()
        self.written: str | None = None
        self.targets = {t.id: t for t in settings.targets}
        self.unmatched: list[str] | None = None
        self.interrupted = False  # a stress test stopped early on Ctrl-C
        self.last_checkpoint = time.monotonic()
        self.progress_path = os.environ.get(PROGRESS_ENV) or None

    def _progress(self, line: str) -> None:
        """Append one line for the CLI, which shows a whole run's progress by area."""
        if self.progress_path is None:
            return
        try:
            with open(self.progress_path, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        except OSError:
            self.progress_path = None

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._progress(f"collected\t{len(session.items)}")
        per_area = Counter(area_of(item) for item in session.items)
        for area, count in sorted(per_area.items()):
            self._progress(f"area\t{area}\t{count}")
        # The run order, so that the CLI can tell which test a killed job was running and
        # restart it on the ones after (jobs.recover).
        for item in session.items:
            target = getattr(getattr(item, "callspec", None), "params", {}).get("mp")
            backend = target.adapter.name if target is not None else ""
            method = target.start_method if target is not None else ""
            self._progress(f"item\t{area_of(item)}\t{backend}\t{method}\t{item.nodeid}")

    # -- collecting ------------------------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        info = getattr(report, "mpconform", None)
        if info is None:
            info = self._crash_info(report)
            if info is None:
                return
        nodeid = report.nodeid
        self.static.setdefault(nodeid, {k: v for k, v in info.items() if k not in _PHASE_KEYS})
        status = Status(info["status"])
        self.phases.setdefault(nodeid, {})[report.when] = (status, info["message"])
        if info.get("falsifying_example"):
            self.static[nodeid]["falsifying_example"] = info["falsifying_example"]
        if info.get("metrics"):
            self.static[nodeid]["metrics"] = info["metrics"]
        if info.get("peer", {}).get("name") or "peer" not in self.static[nodeid]:
            self.static[nodeid]["peer"] = info.get("peer")  # named once the peer answered
        self.durations[nodeid] += float(getattr(report, "duration", 0.0) or 0.0)
        if report.failed and report.longrepr is not None:
            self.details[nodeid] = str(report.longrepr)[: results.MAX_DETAILS]
        if report.when == "teardown":
            status, _ = combine(self.phases[nodeid])
            static = self.static[nodeid]
            accepted = status.conforms or status.value in (static.get("expected") or ())
            self._journal(self._result(nodeid, {}))
            self._progress(f"{status.value}\t{int(accepted)}\t{static.get('area', '')}\t{nodeid}")
            self._checkpoint()

    def _journal(self, result: results.TestResult) -> None:
        """Append the finished test's result beside the progress file: if this process is
        killed (a hung test's backstop), the CLI still has every result it reached."""
        if self.progress_path is None:
            return
        path = os.path.join(os.path.dirname(self.progress_path), JOURNAL_NAME)
        with contextlib.suppress(OSError), open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(asdict(result)) + "\n")

    def _checkpoint(self) -> None:
        """Every CHECKPOINT_EVERY seconds, write what is known so far (``complete: false``):
        a long run killed outright, not just interrupted, still leaves its verified results."""
        report_dir = self.settings.report_dir
        if report_dir is None or time.monotonic() - self.last_checkpoint < CHECKPOINT_EVERY:
            return
        self.last_checkpoint = time.monotonic()
        run = self.run_info(int(pytest.ExitCode.OK))
        run.complete = False
        results.write(
            os.path.join(report_dir, results.NAME), results.document(run, self.test_results())
        )

    def _crash_info(self, report: pytest.TestReport) -> dict[str, Any] | None:
        """xdist's synthetic report for a test whose worker died."""
        if report.when != "???" or not report.failed:
            return None
        match = _PARAM_ID.search(report.nodeid)
        target = self.targets.get(match.group("id")) if match else None
        if target is None:
            return None
        name = report.nodeid.split("::")[-1]
        feature = name.split("[", 1)[0]
        return {
            "status": Status.CRASH.value,
            "message": "the pytest worker running this test crashed (see details)",
            "falsifying_example": None,
            "module": "",
            "line": 0,
            "area": "",
            "feature": feature,
            "title": feature,
            "basis": "docs",
            "backend": target.adapter.name,
            "start_method": target.start_method,
        }

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        output = getattr(node, "workeroutput", None) or {}
        self.leftovers.extend(output.get("mpconform_leftovers", []))
        self.note_unmatched(output.get("mpconform_unmatched"))

    def note_unmatched(self, unmatched: list[str] | None) -> None:
        """Every worker collects the same tests, so any one worker's list is the answer."""
        if unmatched is not None and self.unmatched is None:
            self.unmatched = list(unmatched)

    # -- results ---------------------------------------------------------------------------
    def test_results(self) -> list[results.TestResult]:
        known_area = {
            s["feature"]: (s["area"], s["module"], s["line"], s["title"])
            for s in self.static.values()
            if s["area"]
        }
        return [self._result(nodeid, known_area) for nodeid in self.phases]

    def _result(
        self, nodeid: str, known_area: dict[str, tuple[str, str, int, str]]
    ) -> results.TestResult:
        static = dict(self.static[nodeid])
        if not static["area"] and static["feature"] in known_area:
            area, module, line, title = known_area[static["feature"]]
            static.update(area=area, module=module, line=line, title=title)
        status, message = combine(self.phases[nodeid])
        return results.TestResult(
            nodeid=nodeid,
            module=static["module"],
            line=static["line"],
            area=static["area"] or "unknown",
            feature=static["feature"],
            title=static["title"],
            basis=static["basis"],
            backend=static["backend"],
            start_method=static["start_method"],
            status=status.value,
            duration=round(self.durations[nodeid], 4),
            message=message[:MAX_MESSAGE],
            falsifying_example=static.get("falsifying_example"),
            details=self.details.get(nodeid, "") if status is not Status.PASS else "",
            expected=static.get("expected"),
            metrics=static.get("metrics"),
            peer=static.get("peer"),
            expectation=static.get("expectation", ""),
            api=static.get("api", []),
        )

    def run_info(self, exitstatus: int) -> results.RunInfo:
        python, plat = results.environment()
        settings = self.settings
        backends = []
        for adapter in settings.adapters:
            methods = [t.start_method for t in settings.targets if t.adapter is adapter]
            missing: dict[str, dict[str, str]] = {}
            modules: dict[str, str] = {}  # what a plain repro script imports, per start method
            for target in settings.targets:
                if target.adapter is adapter:
                    caps = adapter.capabilities(target.ctx)
                    missing[target.start_method] = {k: v for k, v in caps.items() if v}
                    modules[target.start_method] = target.module
            backends.append(
                results.BackendInfo(
                    name=adapter.name,
                    spec=settings.specs.get(adapter.name, adapter.name),
                    version=adapter.version,
                    description=adapter.description,
                    start_methods=methods,
                    missing_capabilities=missing,
                    modules=modules,
                    areas=list(adapter.areas or ()),
                )
            )
        seed = settings.seed
        return results.RunInfo(
            started=self.started,
            finished=results.now(),
            duration=round(time.monotonic() - self.t0, 3),
            python=python,
            platform=plat,
            hypothesis={
                "version": hypothesis.__version__,
                "profile": settings.profile.name,
                "seed": None if seed is None else str(seed),
                "derandomize": settings.profile.derandomize and seed is None,
            },
            backends=backends,
            pytest_args=[str(a) for a in self.config.invocation_params.args],
            workers=int(self.config.getoption("numprocesses", 0) or 0)
            if self.config.getoption("dist", "no") != "no"
            else 0,
            interrupted=self.interrupted or exitstatus == pytest.ExitCode.INTERRUPTED,
            exitstatus=int(exitstatus),
            leftovers=list(self.leftovers),
            expectations=self._expectations_info(),
            shared_interpreter=[a.name for a in settings.adapters]
            if len(settings.adapters) > 1
            else [],
        )

    def _expectations_info(self) -> dict[str, Any] | None:
        known = self.settings.expectations
        if known is None:
            return None
        return {
            "file": known.path,
            "run_known_failures": self.settings.run_known_failures,
            "unmatched": list(self.unmatched or []),
        }

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        report_dir = self.settings.report_dir
        if report_dir is None or not self.phases:
            return
        doc = results.document(self.run_info(exitstatus), self.test_results())
        path = os.path.join(report_dir, results.NAME)
        results.write(path, doc)
        from mpconform.reports import render_all

        render_all([doc], report_dir)
        self.written = path

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.phases:
            return
        lines = []
        if os.environ.get(SUMMARY_BY_CLI_ENV) != "1":  # else the CLI prints the verdicts once
            counts = Counter(combine(p)[0] for p in self.phases.values())
            lines.append(", ".join(f"{counts[s]} {s.value}" for s in SEVERITY_ORDER if counts[s]))
            expected = sum(
                1
                for nodeid, p in self.phases.items()
                if not combine(p)[0].conforms
                and combine(p)[0].value in (self.static[nodeid].get("expected") or ())
            )
            if expected:
                lines.append(
                    f"{expected} of these accepted (by the expectation file or an outcome marker)"
                )
            if self.written:
                lines.append(f"results: {self.written}")
                directory = os.path.dirname(self.written)
                lines += [f"report:  {os.path.join(directory, name)}" for name in report_names()]
        lines += [f"expectation matched no test: {entry}" for entry in self.unmatched or []]
        if self.leftovers:
            lines.append("left behind at session end (killed): " + "; ".join(self.leftovers))
        if lines:
            terminalreporter.write_sep("=", "mpconform verdicts")
            for line in lines:
                terminalreporter.write_line(line)


_PHASE_KEYS = {"status", "message", "falsifying_example"}
