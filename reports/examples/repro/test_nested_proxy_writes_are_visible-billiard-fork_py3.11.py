#!/usr/bin/env python3
"""A dict proxy stored in a list proxy can be changed through the list, from another process.

Property test_nested_proxy_writes_are_visible of mpconform, under billiard (fork).
Recorded: FAIL on py3.11.

What mpconform saw:
    AssertionError: outer[0] returned a plain dict copy {}, not a proxy: nested proxies (CPython 3.6+) are not supported, so writes through it are lost
    assert ({} is <DictProxy object, typeid 'dict' at 0x7fe4cd113a90> or not True)
     +  where True = isinstance({}, dict)
    Failing test case: visible(
        items=[('a', 0)],
        extra=0,
    )

Shrunk example:
    Failing test case: visible(
        items=[('a', 0)],
        extra=0,
    )

Run it with any Python that has the backend installed: python test_nested_proxy_writes_are_visible-billiard-fork_py3.11.py [MODULE]
It observes with CPython's multiprocessing and with MODULE (default billiard), each in a fresh
interpreter, prints both, and exits 1 when they differ, 0 when they agree, 2 when it cannot run.
`python test_nested_proxy_writes_are_visible-billiard-fork_py3.11.py multiprocessing` runs it against CPython alone (it then exits 0).
"""

import contextlib
import importlib
import os
import signal
import subprocess
import sys
import threading
import time

BACKEND = 'billiard'
START_METHOD = 'fork'
ARGS = dict(items=[('a', 0)], extra=0)


# -- the property, in plain code ----------------------------------------------------------------

PATIENCE_S = 10.0


def write_through_outer(outer, items):
    inner = outer[0]  # a proxy to the dict stored in the list, since Python 3.6
    for key, value in items:
        inner[key] = value


def observe(mp, items, extra):
    with mp.Manager() as manager:
        inner = manager.dict()
        outer = manager.list([inner])
        p = mp.Process(target=write_through_outer, args=(outer, items))
        p.start()
        p.join(PATIENCE_S)
        fetched = outer[0]
        written_by_child = inner.copy()
        outer[0]["extra"] = extra
        return [type(fetched).__name__, written_by_child, inner.get("extra")]


# -- the driver (observes each side in a fresh interpreter and compares) -----------------------

RESULT_PREFIX = "OBSERVED: "
REFERENCE = "multiprocessing"
#: Seconds one side may take before it is called hanging (a liveness bound, not a timing).
PATIENCE = float(os.environ.get("REPRO_PATIENCE") or 60)
_root = REFERENCE  # the package whose objects the running side uses


class Raised:
    """An exception as an observation: its class name, which both sides can compare."""

    def __init__(self, exc: BaseException) -> None:
        self.name = type(exc).__name__

    def __repr__(self) -> str:
        return f"raised {self.name}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Raised) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


def attempt(function, *args, **kwargs):
    """What calling ``function`` gives: its value, or Raised(the exception)."""
    try:
        return function(*args, **kwargs)
    except Exception as exc:
        return Raised(exc)


def module(name: str):
    """A submodule of the package under observation: module("pool").ThreadPool."""
    return importlib.import_module(f"{_root}.{name}")


def context(package: str, start_method: str):
    """What the property calls ``mp``: a context of ``package`` for ``start_method``."""
    global _root
    _root = package
    found = importlib.import_module(package)
    if start_method == "thread" or not hasattr(found, "get_context"):
        return found  # multiprocessing.dummy: the module itself is the API
    return found.get_context(start_method)


def observe_here(package: str, start_method: str, observe, args) -> None:
    """Run in the side's own interpreter: observe and print the observation on one line."""
    mp = context(package, start_method)
    value = attempt(observe, mp, **args)
    print(RESULT_PREFIX + repr(value), flush=True)


def observe_in_child(script: str, package: str, start_method: str) -> str:
    """One side, in a fresh interpreter: the observation's repr, or what went wrong instead."""
    cmd = [sys.executable, script, "--observe", package, start_method]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=PATIENCE)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the side and every process it started
        proc.communicate()
        return f"hung: no observation within {PATIENCE:g} s"
    for line in reversed(out.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return line[len(RESULT_PREFIX) :]
    last = (err.strip().splitlines() or ["(no output)"])[-1]
    if proc.returncode < 0:
        return f"crashed: died from {signal.Signals(-proc.returncode).name} ({last})"
    return f"crashed: exit code {proc.returncode} before observing ({last})"


def main(script: str, backend: str, start_method: str, observe, args) -> int:
    """Compare CPython with ``backend`` (argv[1] overrides it); exit 1 when they differ."""
    argv = sys.argv[1:]
    if argv[:1] == ["--observe"]:
        observe_here(argv[1], argv[2], observe, args)
        return 0
    if argv:
        backend = argv[0]
    try:
        importlib.import_module(backend)
    except ImportError as exc:
        print(f"cannot run: {backend} is not importable here ({exc})", file=sys.stderr)
        return 2
    reference_method = start_method
    if start_method == "thread":  # a thread backend is compared with CPython's default
        reference_method = importlib.import_module(REFERENCE).get_start_method()
    expected = observe_in_child(script, REFERENCE, reference_method)
    if expected.startswith(("hung:", "crashed:")):
        print(f"cannot run: CPython's {REFERENCE} itself {expected}", file=sys.stderr)
        return 2
    observed = observe_in_child(script, backend, start_method)
    print(f"CPython {REFERENCE} ({reference_method}): {expected}")
    print(f"{backend} ({start_method}): {observed}")
    if observed == expected:
        print("same: the difference does not reproduce here")
        return 0
    print("DIFFERENT: the difference reproduces")
    return 1

if __name__ == "__main__":
    sys.exit(main(os.path.abspath(__file__), BACKEND, START_METHOD, observe, ARGS))
