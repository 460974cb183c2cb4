#!/usr/bin/env python3
"""mpconform repro: test_lock_contention under loky-loky (FAIL on py3.11).

Lock, RLock and Semaphore(1) stay exclusive under 2-4 x cpu_count contending processes.

Recorded message:
    TypeError: cannot pickle 'mmap.mmap' object

Recorded falsifying example:
    (none)

Run it with the Python that ran the suite: python test_lock_contention-loky-loky_py3.11.py
Exit code 1: the difference reproduces; 0: the property passes now; 2: cannot run it here.
Needs: pip install 'mpconform==0.1.0' plus the backend (loky).
"""

import importlib
import json
import os
import subprocess
import sys
import tempfile

MODULES = ['mpconform.stress.test_workloads']  # pytest names a test module after its path: try each
TEST = 'test_lock_contention[loky-loky]'
BACKEND = 'loky'
START_METHOD = 'loky'
PROFILE = 'ci'
SEED = None
RECORDED = {'status': 'FAIL', 'message': "TypeError: cannot pickle 'mmap.mmap' object"}


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
