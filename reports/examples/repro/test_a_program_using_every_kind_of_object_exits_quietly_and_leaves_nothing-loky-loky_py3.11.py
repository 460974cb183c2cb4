#!/usr/bin/env python3
"""mpconform repro: test_a_program_using_every_kind_of_object_exits_quietly_and_leaves_nothing under loky-loky (FAIL on py3.11).

A program that used every kind of object exits with no warning and nothing left.

Recorded message:
    AssertionError: the program ended with exit code 1; stderr:
      Traceback (most recent call last):
        File "<string>", line 1, in <module>
        File "/work/main/.nox/conformance-3-11/lib/python3.11/site-packages/mpconform/conformance/children_exit_hygiene.py", line 88, in main
          objects[kind] = make(ctx)
                          ^^^^^^^^^
        File "/work/main/.nox/conformance-3-11/lib/python3.11/site-packages/mpconform/conformance/children_exit_hygiene.py", line 29, in <lambda>
          "BoundedSemaphore": lambda ctx: ctx.BoundedSemaphore(),
                                          ^^^^^^^^^^^^^^^^^^^^^^
      TypeError: LokyContext.BoundedSemaphore() missing 1 required positional argument: 'value'
      
    assert 1 == 0
     +  where 1 = CompletedProcess(args=['/work/main/.nox/conformance-3-11/bin/python', '-c', "import sys; sys.path[:] = ['/work/main/.n...^^^^^^^^^^^^^^^^^^^^^^\\nTypeError: LokyContext.BoundedSemaphore() missing 1 required positional argument: \\'value\\'\\n').returncode

Recorded falsifying example:
    (none)

Run it with the Python that ran the suite: python test_a_program_using_every_kind_of_object_exits_quietly_and_leaves_nothing-loky-loky_py3.11.py
Exit code 1: the difference reproduces; 0: the property passes now; 2: cannot run it here.
Needs: pip install 'mpconform==0.1.0' plus the backend (loky).
"""

import importlib
import json
import os
import subprocess
import sys
import tempfile

MODULES = ['mpconform.conformance.test_exit_hygiene']  # pytest names a test module after its path: try each
TEST = 'test_a_program_using_every_kind_of_object_exits_quietly_and_leaves_nothing[loky-loky]'
BACKEND = 'loky'
START_METHOD = 'loky'
PROFILE = 'ci'
SEED = None
RECORDED = {'status': 'FAIL', 'message': 'AssertionError: the program ended with exit code 1; stderr:\n  Traceback (most recent call last):\n    File "<string>", line 1, in <module>\n    File "/work/main/.nox/conformance-3-11/lib/python3.11/site-packages/mpconform/conformance/children_exit_hygiene.py", line 88, in main\n      objects[kind] = make(ctx)\n                      ^^^^^^^^^\n    File "/work/main/.nox/conformance-3-11/lib/python3.11/site-packages/mpconform/conformance/children_exit_hygiene.py", line 29, in <lambda>\n      "BoundedSemaphore": lambda ctx: ctx.BoundedSemaphore(),\n                                      ^^^^^^^^^^^^^^^^^^^^^^\n  TypeError: LokyContext.BoundedSemaphore() missing 1 required positional argument: \'value\'\n  \nassert 1 == 0\n +  where 1 = CompletedProcess(args=[\'/work/main/.nox/conformance-3-11/bin/python\', \'-c\', "import sys; sys.path[:] = [\'/work/main/.n...^^^^^^^^^^^^^^^^^^^^^^\\nTypeError: LokyContext.BoundedSemaphore() missing 1 required positional argument: \\\'value\\\'\\n\').returncode'}


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
