#!/usr/bin/env python3
"""mpconform repro: test_a_client_talks_to_a_listener_of_another_interpreter[across-3.12] under multiprocess-fork (FAIL on py3.11).

A Client of the backend connects to CPython's Listener in another interpreter, and every message comes back unchanged.

Recorded message:
    AssertionError: CPython 3.12.1 multiprocessing could not read the backend's message: ModuleNotFoundError: No module named 'dill'
    Failing explicit example: check(
        family='AF_INET',
        authkey=b'key',
        messages=[(1,
          -2.5,
          1j,
          'text',
          b'bytes',
          bytearray(b'ba'),
          None,
          True,
          [3, (4,)],
          {'k': (5,)}),
         ({6}, frozenset({7}), 1_180_591_620_717_411_303_424)],
    )

Recorded falsifying example:
    Failing explicit example: check(
        family='AF_INET',
        authkey=b'key',
        messages=[(1,
          -2.5,
          1j,
          'text',
          b'bytes',
          bytearray(b'ba'),
          None,
          True,
          [3, (4,)],
          {'k': (5,)}),
         ({6}, frozenset({7}), 1_180_591_620_717_411_303_424)],
    )

Run it with the Python that ran the suite: python test_a_client_talks_to_a_listener_of_another_interpreter_across-3.12_-multiprocess-fork_py3.11.py
Exit code 1: the difference reproduces; 0: the property passes now; 2: cannot run it here.
Needs: pip install 'mpconform==0.1.0' plus the backend (multiprocess).
"""

import importlib
import json
import os
import subprocess
import sys
import tempfile

MODULES = ['mpconform.conformance.test_interop']  # pytest names a test module after its path: try each
TEST = 'test_a_client_talks_to_a_listener_of_another_interpreter[across-3.12-multiprocess-fork]'
BACKEND = 'multiprocess'
START_METHOD = 'fork'
PROFILE = 'ci'
SEED = None
RECORDED = {'status': 'FAIL', 'message': "AssertionError: CPython 3.12.1 multiprocessing could not read the backend's message: ModuleNotFoundError: No module named 'dill'\nFailing explicit example: check(\n    family='AF_INET',\n    authkey=b'key',\n    messages=[(1,\n      -2.5,\n      1j,\n      'text',\n      b'bytes',\n      bytearray(b'ba'),\n      None,\n      True,\n      [3, (4,)],\n      {'k': (5,)}),\n     ({6}, frozenset({7}), 1_180_591_620_717_411_303_424)],\n)"}


def main():
    path = None
    for name in MODULES:
        try:
            path = importlib.import_module(name).__file__
            break
        except ImportError:
            continue
    if path is None:
        print(f"cannot import {MODULES[0]}; install mpconform 0.1.0", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="mpconform-repro-") as out:
        cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-p", "no:xdist"]
        cmd += [f"{path}::{TEST}", "--mp-backend", BACKEND, "--mp-start-method", START_METHOD]
        cmd += ["--mp-profile", PROFILE, "--mp-report-dir", out]
        if SEED is not None:
            cmd += ["--hypothesis-seed", SEED]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.getcwd(), *sys.path]))
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with open(os.path.join(out, "results.json"), encoding="utf-8") as fh:
                results = json.load(fh)["results"]
        except (OSError, ValueError, KeyError):
            print("the property did not run; rerun the command by hand:", file=sys.stderr)
            print(" ".join(cmd), file=sys.stderr)
            return 2
    if not results:
        print(f"no test {TEST} in {path}: not the run's mpconform?", file=sys.stderr)
        return 2
    now = results[0]
    print(f"{TEST}: recorded {RECORDED['status']}, now {now['status']}")
    if now["status"] in ("PASS", "UNSUPPORTED", "SKIP"):
        print("not reproduced: the property holds here now")
        return 0
    print("\nWhat differs from CPython's multiprocessing:")
    print(now["message"] or RECORDED["message"])
    example = now.get("falsifying_example")
    if example and example not in (now["message"] or ""):
        print("\n" + example)
    return 1


if __name__ == "__main__":
    sys.exit(main())
