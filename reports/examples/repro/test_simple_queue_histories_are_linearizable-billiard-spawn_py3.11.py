#!/usr/bin/env python3
"""mpconform repro: test_simple_queue_histories_are_linearizable under billiard-spawn (FAIL on py3.11).

SimpleQueue is a linearizable FIFO queue across processes, with workers paused or pinned

Recorded message:
    AssertionError: AttributeError: 'SimpleQueue' object has no attribute '_poll' in the parent while running this scenario on billiard (spawn); CPython runs it without error
    simple_queue scenario, 2 workers, no nemesis:
      w0: put(100), put(101), put(102)
      w1: put(200), put(201), put(202)
    Failing test case: test_simple_queue_histories_are_linearizable(
        mp=<mp billiard-spawn>,
        repro_dir=PosixPath('/tmp/exclone/.nox/conformance-3-11/tmp/pytest-of-root/pytest-0/popen-gw0/stress-repro0'),
        data=data(...),
    )
    Draw 1 (scenario): Scenario(kind='simple_queue',
     programs=((Step(op='put', arg=100, delay=0.0, hold=0.0),
       Step(op='put', arg=101, delay=0.0, hold=0.0),
       Step(op='put', arg=102, delay=0.0, hold=0.0)),
      (Step(op='put', arg=200, delay=0.0, hold=0.0),
       Step(op='put', arg=201, delay=0.0, hold=0.0),
       Step(op='put', arg=202, delay=0.0, hold=0.0))),
     nemesis=Nemesis(name='none', worker=0, after=0, seconds=0.0))

Recorded falsifying example:
    Failing test case: test_simple_queue_histories_are_linearizable(
        mp=<mp billiard-spawn>,
        repro_dir=PosixPath('/tmp/exclone/.nox/conformance-3-11/tmp/pytest-of-root/pytest-0/popen-gw0/stress-repro0'),
        data=data(...),
    )

Run it with the Python that ran the suite: python test_simple_queue_histories_are_linearizable-billiard-spawn_py3.11.py
Exit code 1: the difference reproduces; 0: the property passes now; 2: cannot run it here.
Needs: pip install 'mpconform==0.1.0' plus the backend (billiard).
"""

import importlib
import json
import os
import subprocess
import sys
import tempfile

MODULES = ['mpconform.stress.test_scenarios']  # pytest names a test module after its path: try each
TEST = 'test_simple_queue_histories_are_linearizable[billiard-spawn]'
BACKEND = 'billiard'
START_METHOD = 'spawn'
PROFILE = 'ci'
SEED = None
RECORDED = {'status': 'FAIL', 'message': "AssertionError: AttributeError: 'SimpleQueue' object has no attribute '_poll' in the parent while running this scenario on billiard (spawn); CPython runs it without error\nsimple_queue scenario, 2 workers, no nemesis:\n  w0: put(100), put(101), put(102)\n  w1: put(200), put(201), put(202)\nFailing test case: test_simple_queue_histories_are_linearizable(\n    mp=<mp billiard-spawn>,\n    repro_dir=PosixPath('/tmp/exclone/.nox/conformance-3-11/tmp/pytest-of-root/pytest-0/popen-gw0/stress-repro0'),\n    data=data(...),\n)\nDraw 1 (scenario): Scenario(kind='simple_queue',\n programs=((Step(op='put', arg=100, delay=0.0, hold=0.0),\n   Step(op='put', arg=101, delay=0.0, hold=0.0),\n   Step(op='put', arg=102, delay=0.0, hold=0.0)),\n  (Step(op='put', arg=200, delay=0.0, hold=0.0),\n   Step(op='put', arg=201, delay=0.0, hold=0.0),\n   Step(op='put', arg=202, delay=0.0, hold=0.0))),\n nemesis=Nemesis(name='none', worker=0, after=0, seconds=0.0))"}


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
