"""The speed bound, measured side by side: mpconform's default run vs CPython's own suite.

The rule this project keeps: ``mpconform run --backend stdlib`` (the main job) takes at most
0.4x the wall time of CPython's own multiprocessing tests for the same start methods, on the
same interpreter and machine. This script runs both, alternately (``--runs`` rounds, so a
slow moment of the machine hits both alike), and prints each wall time, the medians and
their ratio. Only rounds where a suite passed count (a CPython run that failed or stalled on a
test's timeout is no reference time). Exit 0 when the median ratio is within ``--bound``, 1
when not, 2 when CPython's tests cannot run here or no round passed on both sides.

    python benchmarks/ratio.py --runs 3

CPython's side is ``python -m test -j2 test_multiprocessing_{fork,spawn,forkserver}``. Some
builds ship ``test/_test_multiprocessing.py`` without those wrapper modules (pyenv's 3.11.7
does); the script then writes them into a temporary test directory, split by test type
(processes, threads, manager, misc) where the interpreter's regrtest splits them, exactly as
CPython's own tree does, and names the split modules explicitly.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import mainjob

METHODS = ("fork", "spawn", "forkserver")
TYPES = ("processes", "threads", "manager")
HEADER = "import unittest\nfrom test._test_multiprocessing import install_tests_in_module_dict\n"


def cpython_suite(methods: list[str], workdir: Path, jobs: int) -> list[str] | None:
    """The ``python -m test`` command for ``methods``, writing wrappers if needed; None if
    this interpreter has no ``test._test_multiprocessing``."""
    if importlib.util.find_spec("test._test_multiprocessing") is None:
        return None
    stdlib_tests = Path(sysconfig.get_paths()["stdlib"]) / "test"
    names = [f"test_multiprocessing_{m}" for m in methods]
    # --slowest: the round's printout names the test files that took the time, so a round
    # slowed by one stalled file shows as such instead of as a faster mpconform.
    base = [sys.executable, "-m", "test", f"-j{jobs}", "--slowest"]
    if all((stdlib_tests / n).exists() or (stdlib_tests / f"{n}.py").exists() for n in names):
        return [*base, *names]
    try:
        from test.libregrtest.findtests import SPLITTESTDIRS  # type: ignore[import-not-found]
    except ImportError:
        SPLITTESTDIRS = set()
    split = any(n in SPLITTESTDIRS for n in names)
    selected = []
    for method, name in zip(methods, names):
        if split:
            package = workdir / name
            package.mkdir()
            (package / "__init__.py").write_text(
                "import os.path\nfrom test import support\n\n\ndef load_tests(*args):\n"
                "    return support.load_package_tests(os.path.dirname(__file__), *args)\n"
            )
            for kind in TYPES:
                (package / f"test_{kind}.py").write_text(
                    HEADER + f"install_tests_in_module_dict(globals(), {method!r}, "
                    f"only_type={kind!r})\n"
                )
                selected.append(f"{name}.test_{kind}")
            (package / "test_misc.py").write_text(
                HEADER + f"install_tests_in_module_dict(globals(), {method!r}, "
                "exclude_types=True)\n"
            )
            selected.append(f"{name}.test_misc")
        else:
            (workdir / f"{name}.py").write_text(
                HEADER + f"install_tests_in_module_dict(globals(), {method!r})\n"
            )
            selected.append(name)
    return [*base, "--testdir", str(workdir), *selected]


def timed(cmd: list[str], cwd: str | None = None) -> tuple[float, int, str]:
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, preexec_fn=_default_sigint)
    return time.monotonic() - t0, proc.returncode, proc.stdout + proc.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="alternating rounds (median kept)")
    parser.add_argument("--start-methods", default=",".join(METHODS))
    parser.add_argument("--jobs", type=int, default=2, help="-j for CPython's regrtest")
    parser.add_argument("--bound", type=float, default=0.4)
    parser.add_argument("--log", help="directory to keep each round's CPython output in")
    parser.add_argument("extra", nargs="*", help="after --: more `mpconform run` arguments")
    args = parser.parse_args()
    methods = [m for m in args.start_methods.split(",") if m]

    ours: list[float] = []
    theirs: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        suite = cpython_suite(methods, Path(tmp), args.jobs)
        if suite is None:
            print(
                f"{sys.executable} has no test._test_multiprocessing (CPython's test package "
                "is not installed); install it (e.g. Debian's libpython3-testsuite) to compare",
                file=sys.stderr,
            )
            return 2
        print("CPython's suite:", " ".join(suite[1:]), flush=True)
        for i in range(args.runs):
            report = os.path.join(tmp, f"report-{i}")
            done = mainjob.run(
                report, "--backend", "stdlib", "--start-method", ",".join(methods), *args.extra
            )
            kept = done.returncode == 0
            print(
                f"round {i + 1}: mpconform {done.wall:6.1f} s "
                f"(exit {done.returncode}, {done.describe()})"
                + ("" if kept else "; not counted: the run did not pass"),
                flush=True,
            )
            if kept:
                ours.append(done.wall)
            wall, code, out = timed(suite, cwd=tmp)
            if args.log:
                os.makedirs(args.log, exist_ok=True)
                Path(args.log, f"cpython-{i + 1}.log").write_text(out)
            kept = "Result: SUCCESS" in out
            print(
                f"round {i + 1}: CPython   {wall:6.1f} s "
                + ("(SUCCESS)" if kept else f"(exit {code}; not counted: {_failures(out)})"),
                flush=True,
            )
            for line in _slowest(out):
                print(f"    {line}", flush=True)
            if kept:
                theirs.append(wall)
    if not ours or not theirs:
        print("no round where both suites passed: no ratio", file=sys.stderr)
        return 2
    a, b = statistics.median(ours), statistics.median(theirs)
    ratio = a / b
    print(f"\nmedian wall time: mpconform {a:.1f} s, CPython's suite {b:.1f} s")
    print(f"ratio {ratio:.2f} (bound {args.bound}): {'within' if ratio <= args.bound else 'OVER'}")
    return 0 if ratio <= args.bound else 1


def _default_sigint() -> None:
    """CPython's suite sends itself SIGINT (test_wait_result and others expect a
    KeyboardInterrupt); started from a background shell job it would inherit SIGINT ignored
    and fail those tests, which would discard the round."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _slowest(out: str, shown: int = 4) -> list[str]:
    """The first lines of regrtest's "slowest tests" list (file and its wall time)."""
    lines = out.splitlines()
    for n, line in enumerate(lines):
        if "slowest test" in line:
            return [x.strip() for x in lines[n + 1 : n + 1 + shown] if x.strip()]
    return []


def _failures(out: str) -> str:
    """What regrtest said went wrong (a run that timed out or failed is no reference time)."""
    lines = [line.strip() for line in out.splitlines() if "failed" in line or "timed out" in line]
    return "; ".join(lines[-3:]) or "no SUCCESS line"


if __name__ == "__main__":
    sys.exit(main())
