#!/usr/bin/env python3
"""A value one process stores in a shared object reads back equal in the other, both running.

Property test_stores_are_read_back_by_the_other_process[Array] of mpconform, under billiard (fork).
Recorded: FAIL on py3.11.

What mpconform saw:
    AssertionError: Array('q', ...) raised TypeError: this type has no size; Array('Q', ...) raised TypeError: this type has no size; CPython accepts every array typecode and ctypes type
    assert not ["Array('q', ...) raised TypeError: this type has no size", "Array('Q', ...) raised TypeError: this type has no size"]

Run it with any Python that has the backend installed: python test_stores_are_read_back_by_the_other_process_Array_-billiard-fork_py3.11.py [MODULE]
It observes with CPython's multiprocessing and with MODULE (default billiard), each in a fresh
interpreter, prints both, and exits 1 when they differ, 0 when they agree, 2 when it cannot run.
`python test_stores_are_read_back_by_the_other_process_Array_-billiard-fork_py3.11.py multiprocessing` runs it against CPython alone (it then exits 0).
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
ARGS = dict(variant='Array')


# -- the property, in plain code ----------------------------------------------------------------

PATIENCE_S = 10.0
SIZE = 8
CHARS = 16
TYPECODES = "bBhHiIlLqQfdc"
ZERO = {"f": 0.0, "d": 0.0, "c": b"\x00"}
EXTREMES = {
    "b": (-128, 127),
    "B": (0, 255),
    "h": (-32768, 32767),
    "H": (0, 65535),
    "i": (-2147483648, 2147483647),
    "I": (0, 4294967295),
    "l": (-9223372036854775808, 9223372036854775807),
    "L": (0, 18446744073709551615),
    "q": (-9223372036854775808, 9223372036854775807),
    "Q": (0, 18446744073709551615),
    "f": (-3.4028234663852886e38, 3.4028234663852886e38),
    "d": (-1.7976931348623157e308, 2.2250738585072014e-308),
    "c": (b"\x00", b"\xff"),
}
PAST_BOUNDS = {
    "b": (-129, 128),
    "B": (-1, 256),
    "h": (-32769, 32768),
    "H": (-1, 65536),
    "i": (-2147483649, 2147483648),
    "I": (-1, 4294967296),
    "l": (-9223372036854775809, 9223372036854775808),
    "L": (-1, 18446744073709551616),
    "q": (-9223372036854775809, 9223372036854775808),
    "Q": (-1, 18446744073709551616),
    "f": (-3.402823669209385e38, 3.402823669209385e38),
}


def make(mp, factory, code, **kwargs):
    """A Value holding zero, or an array of SIZE zeros (the initializer form)."""
    zero = ZERO.get(code, 0)
    if factory.endswith("Value"):
        return getattr(mp, factory)(code, zero, **kwargs)
    return getattr(mp, factory)(code, [zero] * SIZE, **kwargs)


def store(obj, slot, value):
    if slot is None:
        obj.value = value
    else:
        obj[slot] = value


def outcome(function, *args):
    """What calling ``function`` gives: its value, or "raised <the exception's class>"."""
    try:
        return function(*args)
    except Exception as exc:
        return f"raised {type(exc).__name__}"


def load(obj, slot):
    return obj.value if slot is None else obj[slot]


def store_all(conn, objects, writes):
    """Child: store each (code, slot, value); send what each store gave."""
    conn.send([outcome(store, objects[code], slot, value) for code, slot, value in writes])


def load_all(conn, objects, reads):
    """Child: send what each (code, slot) reads."""
    conn.send([outcome(load, objects[code], slot) for code, slot in reads])


def in_child(mp, target, *args):
    """What a child running ``target(conn, *args)`` sends back, bounded."""
    ours, theirs = mp.Pipe()
    p = mp.Process(target=target, args=(theirs, *args))
    p.start()
    got = ours.recv() if ours.poll(PATIENCE_S) else "no answer from the child"
    p.join(PATIENCE_S)
    return got


def stores_across(mp, factory, writes, writer):
    """One object per typecode of ``writes`` (what creating it raised, if it did); the writes
    done by ``writer`` ("child" or "parent") and what the other process then reads."""
    objects, refused = {}, {}
    for code in dict.fromkeys(code for code, _, _ in writes):
        try:
            objects[code] = make(mp, factory, code)
        except Exception as exc:
            refused[code] = f"raised {type(exc).__name__}"
    if factory.endswith("Value"):
        writes = [(code, None, value) for code, _, value in writes]
    writes = [(code, slot, value) for code, slot, value in writes if code in objects]
    reads = list(dict.fromkeys((code, slot) for code, slot, _ in writes))
    if writer == "child":
        stored = in_child(mp, store_all, objects, writes)
        read = [outcome(load, objects[code], slot) for code, slot in reads]
    else:
        stored = [outcome(store, objects[code], slot, value) for code, slot, value in writes]
        read = in_child(mp, load_all, objects, reads)
    return {"refused": refused, "stored": stored, "read back": read}


def observe(mp, variant, writes=None, writer="child"):
    if writes is None:  # no example: each typecode's extremes, what the property writes first
        writes = [(code, slot, EXTREMES[code][slot]) for code in TYPECODES for slot in (0, 1)]
    return stores_across(mp, variant, writes, writer)


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
