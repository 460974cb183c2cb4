#!/usr/bin/env python3
"""Values put on a SimpleQueue come out equal and of the same type, nested ones included.

Property test_simple_queue_payloads_arrive_intact of mpconform, under billiard (fork).
Recorded: FAIL on py3.11.

What mpconform saw:
    hypothesis.errors.FlakyFailure: Inconsistent results from replaying a test case!
      last: INTERESTING from AttributeError at /work/main/.nox/conformance-3-11/lib/python3.11/site-packages/billiard/queues.py:350
      this: INTERESTING from AttributeError at /work/main/.nox/conformance-3-11/lib/python3.11/site-packages/billiard/queues.py:350
        context: AttributeError at /work/main/.nox/conformance-3-11/lib/python3.11/site-packages/billiard/queues.py:350 (3 sub-exceptions)
    first failure: AttributeError: 'SimpleQueue' object has no attribute '_poll'

Run it with any Python that has the backend installed: python test_simple_queue_payloads_arrive_intact-billiard-fork_py3.11.py [MODULE]
It observes with CPython's multiprocessing and with MODULE (default billiard), each in a fresh
interpreter, prints both, and exits 1 when they differ, 0 when they agree, 2 when it cannot run.
`python test_simple_queue_payloads_arrive_intact-billiard-fork_py3.11.py multiprocessing` runs it against CPython alone (it then exits 0).
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
ARGS = dict()


# -- the property, in plain code ----------------------------------------------------------------

PATIENCE_S = 10.0
POLL_S = 0.01


def take(q, seconds=PATIENCE_S):
    """The next item of a SimpleQueue, or "nothing" after ``seconds``."""
    end = time.monotonic() + seconds
    while q.empty():
        if time.monotonic() >= end:
            return "nothing"
        time.sleep(POLL_S)
    return q.get()


def echo(inbox, outbox, count):
    for _ in range(count):
        outbox.put(take(inbox))


def observe(mp):
    payloads = [None, 0, -1.5, "text", b"\x00\xff", (1, "a"), [1, [2]], {"k": {3}}]
    inbox, outbox = mp.SimpleQueue(), mp.SimpleQueue()
    p = mp.Process(target=echo, args=(inbox, outbox, len(payloads)))
    p.start()
    for item in payloads:
        inbox.put(item)
    got = [attempt(take, outbox) for _ in payloads]
    p.join(PATIENCE_S)
    return got


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
