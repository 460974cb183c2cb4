#!/usr/bin/env python3
"""mpconform repro: test_wrong_type_raises_type_error_and_keeps_value under billiard-spawn (FAIL on py3.11).

Storing a value of the wrong type raises TypeError and leaves the stored value unchanged

Recorded message:
    AssertionError: Value('q', ...) raised TypeError: this type has no size; Value('Q', ...) raised TypeError: this type has no size; Array('q', ...) raised TypeError: this type has no size; Array('Q', ...) raised TypeError: this type has no size; CPython accepts every array typecode and ctypes type
    assert not ["Value('q', ...) raised TypeError: this type has no size", "Value('Q', ...) raised TypeError: this type has no size", "Array('q', ...) raised TypeError: this type has no size", "Array('Q', ...) raised TypeError: this type has no size"]

Recorded falsifying example:
    (none)

Run it with the Python that ran the suite: python test_wrong_type_raises_type_error_and_keeps_value-billiard-spawn_py3.11.py
Exit code 1: the difference reproduces; 0: the property passes now; 2: cannot run it here.
Needs: pip install 'mpconform==0.1.0' plus the backend (billiard).
"""

import importlib
import json
import os
import subprocess
import sys
import tempfile

MODULES = ['mpconform.conformance.test_shared_memory']  # pytest names a test module after its path: try each
TEST = 'test_wrong_type_raises_type_error_and_keeps_value[billiard-spawn]'
BACKEND = 'billiard'
START_METHOD = 'spawn'
PROFILE = 'ci'
SEED = None
RECORDED = {'status': 'FAIL', 'message': 'AssertionError: Value(\'q\', ...) raised TypeError: this type has no size; Value(\'Q\', ...) raised TypeError: this type has no size; Array(\'q\', ...) raised TypeError: this type has no size; Array(\'Q\', ...) raised TypeError: this type has no size; CPython accepts every array typecode and ctypes type\nassert not ["Value(\'q\', ...) raised TypeError: this type has no size", "Value(\'Q\', ...) raised TypeError: this type has no size", "Array(\'q\', ...) raised TypeError: this type has no size", "Array(\'Q\', ...) raised TypeError: this type has no size"]'}


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
