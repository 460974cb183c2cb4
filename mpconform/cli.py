"""The ``mpconform`` console script: run the suite, list backends, render reports.

``run`` validates everything it can before starting pytest, so bad input costs a second and
one line (exit 2), then runs pytest in a child interpreter: a backend that crashes the
interpreter, or a Ctrl-C, still leaves a results file and a report behind.

Exit codes: 0 every test that ran conforms; 1 non-conformance (FAIL, ERROR, TIMEOUT, CRASH,
LEAK or XPASS), or for ``diff`` a regression or a new failing test; 2 usage or configuration
error; 3 internal error (no results written); 130 interrupted (the partial report is still
written).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import shutil
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from . import __version__, expectations, jobs, options, registry, results
from .errors import PYTEST_NO_TESTS, PYTEST_USAGE, USAGE_EXIT_CODE, ConfigError
from .options import check_writable_dir, split_list
from .status import SEVERITY_ORDER, Status

DEFAULT_REPORT_DIR = os.path.join("reports", "out")
EXIT_OK, EXIT_NONCONFORMING, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 3, 130
# --suite name -> the package pytest collects it from
SUITES = {"conformance": "mpconform.conformance", "stress": "mpconform.stress"}


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in one line with exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ConfigError(f"{message} (see '{self.prog} --help')")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mpconform", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"mpconform {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    sub.required = True

    run = sub.add_parser("run", help="run the suite against a backend and write the reports")
    options.add_cli_options(run)  # the settings shared with the pytest plugin
    run.add_argument(
        "--suite",
        action="append",
        help=f"what to run: {', '.join(SUITES)} (repeatable or comma-separated; default: all)",
    )
    run.add_argument(
        "--report",
        default=DEFAULT_REPORT_DIR,
        metavar="DIR",
        help=f"report directory (default: {DEFAULT_REPORT_DIR})",
    )
    run.add_argument(
        "--jobs",
        "-n",
        default="auto",
        help="parallel test processes, each running a slice of the tests: a number, 'auto' "
        "(two per CPU: they mostly wait for their children), or 0 for one process",
    )
    run.add_argument("--seed", help="Hypothesis seed (turns off derandomization)")
    run.add_argument("-k", dest="keyword", help="only tests matching this pytest -k expression")
    run.add_argument("pytest_args", nargs="*", help="after --: extra arguments for pytest")

    sub.add_parser("backends", help="list known backends, installed or not")

    report = sub.add_parser("report", help="render (and merge) existing results files")
    report.add_argument(
        "results", nargs="+", metavar="RESULTS.json", help=".json, .json.gz or a .tar.xz of them"
    )
    report.add_argument("--out", default=DEFAULT_REPORT_DIR, metavar="DIR")
    report.add_argument(
        "--repro",
        choices=("all", "one-per-area"),
        default="all",
        help="repro scripts for every failing cell (default), or one per area (small examples)",
    )

    expectations = sub.add_parser(
        "expectations", help="expectation files for a backend's CI (see 'expectations update')"
    )
    actions = expectations.add_subparsers(dest="action", parser_class=_Parser)
    actions.required = True
    update = actions.add_parser(
        "update", help="write an expectation file listing every test that did not conform"
    )
    update.add_argument("results", nargs="+", metavar="RESULTS.json")
    update.add_argument("--out", "-o", required=True, metavar="FILE")
    update.add_argument(
        "--exact",
        action="store_true",
        help="accept exactly the observed status (the tests keep running) instead of xfail",
    )

    verdict = sub.add_parser(
        "verdict",
        help="exit 0 if every result in the files conforms or is accepted by its expectation, "
        "else 1 (for CI jobs that merge shards)",
    )
    verdict.add_argument("results", nargs="+", metavar="RESULTS.json")

    diff = sub.add_parser(
        "diff", help="what changed between two results files, regressions first (exit 1 if any)"
    )
    diff.add_argument("old", metavar="OLD.json")
    diff.add_argument("new", metavar="NEW.json")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        commands = {
            "run": _run,
            "backends": _backends,
            "report": _report,
            "diff": _diff,
            "expectations": _expectations,
            "verdict": _verdict_of_files,
        }
        return commands[args.command](args)
    except ConfigError as exc:
        print(f"mpconform: error: {exc}", file=sys.stderr)
        return USAGE_EXIT_CODE


def _validate_jobs(jobs: str) -> str:
    if jobs == "auto" or (jobs.isdigit() and int(jobs) >= 0):
        return jobs
    raise ConfigError(f"--jobs must be a number or 'auto', not {jobs!r}")


#: pytest, with the current directory moved to the end of ``sys.path``. The run puts the
#: directory it was started in on PYTHONPATH, so that a backend given as ``module:attr`` may
#: live there; first on the path, though, it would let a checkout of mpconform shadow the
#: installed package (``import mpconform`` finding the checkout's core folder, which lacks the
#: areas an install maps into it). Last, it still finds the user's module. Spawn children get
#: this path from the job.
INSTALLED_PYTEST = (
    "import os, sys; here = os.getcwd(); "
    "sys.path[:] = [p for p in sys.path if p not in ('', here)] + [here]; "
    "import pytest; sys.exit(pytest.main())"
)


def pytest_command(
    args: argparse.Namespace,
    report_dir: str,
    shard: str | None = None,
    backends: Sequence[str] | None = None,
    start_methods: Sequence[str] | None = None,
) -> list[str]:
    """The pytest command of one job; ``backends`` and ``start_methods`` narrow the run's to
    one wave's, and ``shard`` is the job's slice."""
    suites = [SUITES[name] for name in args.suite or SUITES]
    cmd = [sys.executable, "-c", INSTALLED_PYTEST, "-p", "no:cacheprovider", "--pyargs", *suites]
    values = dict(args.values)
    if backends is not None:
        values["backend"] = list(backends)
    if start_methods is not None:
        values["start-method"] = list(start_methods)
    if shard is not None:
        values["shard"] = [shard]
    if "expectations" in values:  # the jobs run in other folders
        values["expectations"] = [os.path.abspath(v) for v in values["expectations"]]
    values["report-dir"] = [report_dir]
    cmd += [*options.pytest_args(values), "-q", "-rN"]
    if args.seed is not None:
        cmd += ["--hypothesis-seed", args.seed]
    if args.keyword:
        cmd += ["-k", args.keyword]
    return cmd + list(args.pytest_args)


def _run(args: argparse.Namespace) -> int:
    # The plugin's own checks (options.settings), made here so that errors come before any
    # test starts.
    sys.path.append(os.getcwd())  # a module:attr backend may live here (see INSTALLED_PYTEST)
    args.values = options.from_namespace(args)
    checked = options.settings(args.values, seed=args.seed, activate=False)
    specs = {a.name: checked.specs[a.name] for a in checked.adapters}
    args.backend = [specs[a.name] for a in checked.adapters]
    adapters = list(checked.adapters)
    chosen = {
        specs[a.name]: [t.start_method for t in checked.targets if t.adapter is a] for a in adapters
    }
    _validate_jobs(args.jobs)
    ci_shard = checked.shard
    args.suite = list(dict.fromkeys(split_list(args.suite))) or None
    unknown = [name for name in args.suite or () if name not in SUITES]
    if unknown:
        raise ConfigError(
            f"unknown suite {', '.join(map(repr, unknown))}; choose from {', '.join(SUITES)}"
        )
    report_dir = check_writable_dir(args.report)
    results_path = os.path.join(report_dir, results.NAME)
    if os.path.exists(results_path):
        os.unlink(results_path)  # a stale file must never pass for this run's results

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.getcwd(), env.get("PYTHONPATH")]))
    count = jobs.count(args.jobs)
    # Each backend runs in interpreters of its own, one backend after the other: backends
    # share module state when they run in one (billiard's fork children run the stdlib's exit
    # function and join the stdlib's children they inherited, and exit 1; torch registers
    # reducers for everyone), and a difference that comes from their meeting is not the
    # backend's behaviour.
    alone = len(args.backend) == 1
    t0 = time.monotonic()
    started: list[jobs.Job] = []
    codes: list[int] = []
    interrupted = threading.Event()
    for backend, adapter in zip(args.backend, adapters):
        # A backend whose every process starts a service of its own (a Ray cluster) caps them.
        n = min(count, adapter.max_jobs or count)
        if n == 1 and alone:
            commands = [pytest_command(args, report_dir)]
            dirs = [report_dir]
        else:
            base = os.path.join(report_dir, ".jobs", "" if alone else backend.replace(":", "_"))
            dirs = [os.path.join(base, str(j)) for j in range(1, n + 1)]
            commands = [
                pytest_command(args, d, jobs.shard_of(j, n, ci_shard), [backend], chosen[backend])
                for j, d in enumerate(dirs, start=1)
            ]
        quiet = n > 1 or not alone
        label = "" if alone else backend
        wave, wave_codes = _run_wave(commands, dirs, env, t0, quiet, interrupted, label)
        started += wave
        codes += wave_codes
        if interrupted.is_set():
            break  # the report covers what ran
    if alone and started and started[0].attempts[0] == report_dir:  # one job, no merge
        jobs.tidy(report_dir)
        if len(started[0].attempts) == 1:
            return _verdict(codes[0], results_path)
    return _merge_jobs(started, codes, results_path, time.monotonic() - t0)


def _run_wave(
    commands: list[list[str]],
    dirs: list[str],
    env: dict[str, str],
    t0: float,
    quiet: bool,
    interrupted: threading.Event,
    label: str,
) -> tuple[list[jobs.Job], list[int]]:
    """Start one pytest process per command and wait for them all."""
    # pytest must react to SIGINT even when we were started with it ignored (a background job
    # of a non-interactive shell, as CI runners start commands): an ignored disposition is
    # inherited, and Python installs no KeyboardInterrupt handler over it.
    previous_int = signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        started = jobs.start(commands, dirs, env, quiet=quiet)
    finally:
        signal.signal(signal.SIGINT, previous_int)

    # Each job leads a process group of its own (so that its watchdog can end all it started),
    # out of the terminal's reach: Ctrl-C, and a SIGTERM aimed at us (a CI job being
    # cancelled), are passed on to the jobs as an interrupt; they stop and write what they
    # verified, and no later wave starts.
    def interrupt(*_: object) -> None:
        interrupted.set()
        for job in started:
            with contextlib.suppress(ProcessLookupError):
                job.proc.send_signal(signal.SIGINT)

    previous_int = signal.signal(signal.SIGINT, interrupt)
    previous_term = signal.signal(signal.SIGTERM, interrupt)
    try:
        if len(started) > 1:
            jobs.share_unicode_tables()
        codes = jobs.wait(started, t0, show=quiet, label=label)
    finally:
        signal.signal(signal.SIGINT, previous_int)
        signal.signal(signal.SIGTERM, previous_term)
    return started, codes


def _merge_jobs(started: list, codes: list[int], results_path: str, wall: float) -> int:
    """Merge the jobs' results into the report directory, then judge them as one run."""
    from mpconform.reports import render_all

    if all(code == PYTEST_NO_TESTS for code in codes):
        return _verdict(PYTEST_NO_TESTS, results_path)
    if PYTEST_USAGE in codes:
        for job, code in zip(started, codes):
            if code == PYTEST_USAGE:
                jobs.show_log_tail(job)
        return _verdict(PYTEST_USAGE, results_path)
    docs = []
    for job in started:
        for attempt in job.attempts:  # more than one when a killed job was taken over
            path = os.path.join(attempt, results.NAME)
            if os.path.exists(path):
                docs.append(results.load(path))
    if not docs:
        for job in started:
            jobs.show_log_tail(job)
        return _verdict(max(codes), results_path)
    doc = results.merge_jobs(docs, wall)
    results.write(results_path, doc)
    render_all([doc], os.path.dirname(results_path))
    abnormal = [
        job
        for job, code in zip(started, codes)
        if code not in (EXIT_OK, EXIT_NONCONFORMING, PYTEST_NO_TESTS)
    ]
    for job in abnormal:
        jobs.show_log_tail(job)
    for result in doc["results"]:
        if not results.accepted(result):
            first = (result.get("message") or "").strip().splitlines()[:1]
            print(f"  {result['status']}: {result['nodeid']}" + (f": {first[0]}" if first else ""))
    if not abnormal:
        report_dir = os.path.dirname(results_path)
        shutil.rmtree(os.path.join(report_dir, ".jobs"), ignore_errors=True)
        for retry in glob.glob(os.path.join(report_dir, ".retry-*")):
            shutil.rmtree(retry, ignore_errors=True)
    return _verdict(max(code for code in codes if code != PYTEST_NO_TESTS), results_path)


def _verdict(pytest_code: int, results_path: str) -> int:
    if pytest_code == PYTEST_NO_TESTS:
        raise ConfigError("no tests were selected; check -k and the pytest arguments")
    if pytest_code == PYTEST_USAGE:
        raise ConfigError("pytest rejected the arguments (see above)")
    if pytest_code == USAGE_EXIT_CODE and not os.path.exists(results_path):
        return USAGE_EXIT_CODE  # the plugin already printed the configuration error
    if not os.path.exists(results_path):
        print(
            f"mpconform: internal error: pytest exited {pytest_code} without results",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    doc = results.load(results_path)
    counts = Counter(Status(r["status"]) for r in doc["results"])
    taken = Counter(
        Status(r["status"])
        for r in doc["results"]
        if results.accepted(r) and not Status(r["status"]).conforms
    )
    summary = ", ".join(
        f"{counts[s]} {s.value}" + (f" ({taken[s]} accepted)" if taken[s] else "")
        for s in SEVERITY_ORDER
        if counts[s]
    )
    directory = os.path.dirname(results_path)
    print(f"mpconform: {summary or 'no results'}")
    for line in _headlines(doc):
        print(f"  {line}")
    from mpconform.reports import NAMES

    for name in (results.NAME, *NAMES):
        print(f"  {os.path.join(directory, name)}")
    if doc["run"].get("interrupted"):
        print("mpconform: interrupted; the report covers what ran", file=sys.stderr)
        return EXIT_INTERRUPTED
    if not doc["results"]:
        raise ConfigError("no tests ran")
    accepted = all(results.accepted(r) for r in doc["results"])
    return EXIT_OK if accepted else EXIT_NONCONFORMING


def _headlines(doc: dict[str, Any]) -> list[str]:
    """The report's one line per column, so the terminal ends on the same verdict it shows."""
    from .reports import matrix, wording

    built = matrix.build([doc])
    return [wording.headline(c.label, built.summaries[c]) for c in built.columns]


def _backends(args: argparse.Namespace) -> int:
    rows = registry.survey()
    width = max(len(r.name) for r in rows)
    for row in rows:
        if row.installed:
            line = (
                f"{row.name:<{width}}  {row.version or '?':<10} "
                f"{', '.join(row.start_methods):<26} {row.note}"
            )
        else:
            line = f"{row.name:<{width}}  {'-':<10} {'(not available)':<26} {row.note}"
        print(line.rstrip())
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from mpconform.reports import render_all

    loaded = [found for path in args.results for found in results.load_all(path)]
    docs = [doc for _, doc in loaded]
    out = check_writable_dir(args.out)
    sources = [name for name, _ in loaded]
    for path in render_all(docs, out, sources=sources, repro_scope=args.repro):
        print(path)
    return EXIT_OK


def _expectations(args: argparse.Namespace) -> int:
    docs = [results.load(path) for path in args.results]
    entries = expectations.from_results(docs, exact=args.exact)
    header = (
        f"Written by 'mpconform expectations update' from {', '.join(args.results)}.\n"
        "One test id (or id prefix) per line: ID OUTCOME [if CONDITION...] [# reason].\n"
        "Replace the generated reasons with your own: links to the issues that track them."
    )
    directory = os.path.dirname(os.path.abspath(args.out))
    check_writable_dir(directory)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(expectations.render(entries, header))
    print(f"{args.out}: {len(entries)} expectation(s)")
    return EXIT_OK


def _verdict_of_files(args: argparse.Namespace) -> int:
    docs = [results.load(path) for path in args.results]
    found = [r for doc in docs for r in doc["results"]]
    if not found:
        raise ConfigError("the results files hold no results")
    counts = Counter(Status(r["status"]) for r in found)
    refused = [r for r in found if not results.accepted(r)]
    print("mpconform: " + ", ".join(f"{counts[s]} {s.value}" for s in SEVERITY_ORDER if counts[s]))
    for result in refused:
        print(f"  {result['status']}: {result['nodeid']}")
    interrupted = any(doc["run"].get("interrupted") for doc in docs)
    if interrupted:
        print("mpconform: a run was interrupted; its results are partial", file=sys.stderr)
    return EXIT_NONCONFORMING if refused or interrupted else EXIT_OK


def _diff(args: argparse.Namespace) -> int:
    from mpconform.reports import changes

    found = changes.compare(results.load(args.old), results.load(args.new))
    sys.stdout.write(changes.render(found, args.old, args.new))
    alarming = any(c.kind in changes.ALARMING for c in found)
    return EXIT_NONCONFORMING if alarming else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
