#!/usr/bin/env python3
"""mpconform repro: test_callbacks_are_called_once_with_the_outcome under billiard-forkserver (FAIL on py3.11).

callback gets the result (map_async: the whole list) once; error_callback the exception once

Recorded message:
    AssertionError: apply_async called error_callback with a billiard.einfo.ExceptionInfo: 'Traceback (most recent call last):\\n  File "/tmp/exclone/.nox/conformance-3-11/... (513 characters); CPython passes the task's exception, TaskError('task refused 0')
    assert [(<class 'bil...refused 0\\n')] == [(<class 'mpc...k refused 0')]
      
      At index 0 diff: (<class 'billiard.einfo.ExceptionInfo'>, 'Traceback (most recent call last):\\n  File "/tmp/exclone/.nox/conformance-3-11/lib/python3.11/site-packages/billiard/pool.py", line 369, in workloop\\n    result = (True, prepare_result(fun(*args, **kwargs)))\\n                                   ^^^^^^^^^^^^^^^^^^^^\\n  File "/tmp/exclone/.nox/conformance-3-11/lib/python3.11/site-packages/mpconform/conformance/children_pool.py", line 86, in square_unless\\n    raise TaskError(f"task refused {x}")\\nmpconform.conformance.children_pool.TaskError: task refused 0\\n') != ...
      
      ...Full output truncated, use '-vv' to show
    Failing test case: check(
        # The test always failed when commented parts were varied together.
        api='apply_async',  # or any other generated value
        items=[0],  # or any other generated value
        fails=True,
    )
    Explanation:
        These lines were always and only run by failing test cases:
            /tmp/exclone/.nox/conformance-3-11/lib/python3.11/site-packages/billiard/pool.py:1905

Recorded falsifying example:
    Failing test case: check(
        # The test always failed when commented parts were varied together.
        api='apply_async',  # or any other generated value
        items=[0],  # or any other generated value
        fails=True,
    )

Run it with the Python that ran the suite: python test_callbacks_are_called_once_with_the_outcome-billiard-forkserver_py3.11.py
Exit code 1: the difference reproduces; 0: the property passes now; 2: cannot run it here.
Needs: pip install 'mpconform==0.1.0' plus the backend (billiard).
"""

import importlib
import json
import os
import subprocess
import sys
import tempfile

MODULES = ['mpconform.conformance.test_pool']  # pytest names a test module after its path: try each
TEST = 'test_callbacks_are_called_once_with_the_outcome[billiard-forkserver]'
BACKEND = 'billiard'
START_METHOD = 'forkserver'
PROFILE = 'ci'
SEED = None
RECORDED = {'status': 'FAIL', 'message': 'AssertionError: apply_async called error_callback with a billiard.einfo.ExceptionInfo: \'Traceback (most recent call last):\\n  File "/tmp/exclone/.nox/conformance-3-11/... (513 characters); CPython passes the task\'s exception, TaskError(\'task refused 0\')\nassert [(<class \'bil...refused 0\\n\')] == [(<class \'mpc...k refused 0\')]\n  \n  At index 0 diff: (<class \'billiard.einfo.ExceptionInfo\'>, \'Traceback (most recent call last):\\n  File "/tmp/exclone/.nox/conformance-3-11/lib/python3.11/site-packages/billiard/pool.py", line 369, in workloop\\n    result = (True, prepare_result(fun(*args, **kwargs)))\\n                                   ^^^^^^^^^^^^^^^^^^^^\\n  File "/tmp/exclone/.nox/conformance-3-11/lib/python3.11/site-packages/mpconform/conformance/children_pool.py", line 86, in square_unless\\n    raise TaskError(f"task refused {x}")\\nmpconform.conformance.children_pool.TaskError: task refused 0\\n\') != ...\n  \n  ...Full output truncated, use \'-vv\' to show\nFailing test case: check(\n    # The test always failed when commented parts were varied together.\n    api=\'apply_async\',  # or any other generated value\n    items=[0],  # or any other generated value\n    fails=True,\n)\nExplanation:\n    These lines were always and only run by failing test cases:\n        /tmp/exclone/.nox/conformance-3-11/lib/python3.11/site-packages/billiard/pool.py:1905'}


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
