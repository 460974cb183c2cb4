#!/usr/bin/env python3
"""mpconform repro: test_lock_follows_its_sequential_model under dummy-thread (FAIL on py3.11).

Lock: acquire(False) is True if free, False if held; releasing it unlocked raises ValueError

Recorded message:
    AssertionError: Lock: release() in the test process raised RuntimeError('release unlocked lock') while unlocked; CPython raises ValueError
    assert False
     +  where False = _matches(Reply(raised=True, value=('RuntimeError', 'Exception', 'BaseException', 'object'), message='release unlocked lock', t_invoke=12874181158259, t_return=12874181162906), (True, 'ValueError'))
    Failing test case: sequence(
        which=0,
        steps=[(0, 'release')],
    )
    Explanation:
        These lines were always and only run by failing test cases:
            /tmp/exclone/.nox/conformance-3-11/lib/python3.11/site-packages/mpconform/conformance/test_locks.py:60
            /tmp/exclone/.nox/conformance-3-11/lib/python3.11/site-packages/mpconform/conformance/test_locks.py:64
            /tmp/exclone/.nox/conformance-3-11/lib/python3.11/site-packages/mpconform/conformance/test_locks.py:265
            /tmp/exclone/.nox/conformance-3-11/lib/python3.11/site-packages/mpconform/conformance/test_locks.py:320
            /tmp/exclone/.nox/conformance-3-11/lib/python3.11/site-packages/mpconform/conformance/test_locks.py:362
            /tmp/exclone/.nox/conformance-3-11/lib/python3.11/site-packages/mpconform/conformance/test_locks.py:387

Recorded falsifying example:
    Failing test case: sequence(
        which=0,
        steps=[(0, 'release')],
    )

Run it with the Python that ran the suite: python test_lock_follows_its_sequential_model-dummy-thread_py3.11.py
Exit code 1: the difference reproduces; 0: the property passes now; 2: cannot run it here.
Needs: pip install 'mpconform==0.1.0' plus the backend (dummy).
"""

import importlib
import json
import os
import subprocess
import sys
import tempfile

MODULES = ['mpconform.conformance.test_locks']  # pytest names a test module after its path: try each
TEST = 'test_lock_follows_its_sequential_model[dummy-thread]'
BACKEND = 'dummy'
START_METHOD = 'thread'
PROFILE = 'ci'
SEED = None
RECORDED = {'status': 'FAIL', 'message': "AssertionError: Lock: release() in the test process raised RuntimeError('release unlocked lock') while unlocked; CPython raises ValueError\nassert False\n +  where False = _matches(Reply(raised=True, value=('RuntimeError', 'Exception', 'BaseException', 'object'), message='release unlocked lock', t_invoke=12874181158259, t_return=12874181162906), (True, 'ValueError'))\nFailing test case: sequence(\n    which=0,\n    steps=[(0, 'release')],\n)\nExplanation:\n    These lines were always and only run by failing test cases:\n        /tmp/exclone/.nox/conformance-3-11/lib/python3.11/site-packages/mpconform/conformance/test_locks.py:60\n        /tmp/exclone/.nox/conformance-3-11/lib/python3.11/site-packages/mpconform/conformance/test_locks.py:64\n        /tmp/exclone/.nox/conformance-3-11/lib/python3.11/site-packages/mpconform/conformance/test_locks.py:265\n        /tmp/exclone/.nox/conformance-3-11/lib/python3.11/site-packages/mpconform/conformance/test_locks.py:320\n        /tmp/exclone/.nox/conformance-3-11/lib/python3.11/site-packages/mpconform/conformance/test_locks.py:362\n        /tmp/exclone/.nox/conformance-3-11/lib/python3.11/site-packages/mpconform/conformance/test_locks.py:387"}


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
