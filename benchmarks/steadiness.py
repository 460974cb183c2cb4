"""Zero false failures, measured: N consecutive default runs, optionally with every core busy.

The reference backend must pass every run, on an idle machine and on a CI runner whose cores
are all taken by someone else. ``--hog`` starts one plain busy-loop process per core (started
and killed by this script) for the whole measurement. After each run the script looks for
what a run must never leave behind: interpreters of the run still alive, and POSIX
semaphores or shared memory in /dev/shm that were not there before.

    python benchmarks/steadiness.py --runs 10
    python benchmarks/steadiness.py --runs 10 --hog

Prints each run's exit code, wall time and statuses, then the false failures (runs whose
verdict was not a clean pass, with the tests that did not conform) and the leftovers. Exit 0
only when every run passed and nothing was left behind.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mainjob

HOG = "while True:\n    pass\n"
SHM = Path("/dev/shm")


def shm_entries() -> set[str]:
    try:
        return set(os.listdir(SHM))
    except OSError:
        return set()


def run_interpreters(tag: str) -> list[str]:
    """Processes still alive that carry this run's tag in their environment."""
    import psutil

    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            if proc.environ().get("MPCONFORM_STEADINESS_TAG") == tag:
                found.append(f"pid {proc.pid}: {' '.join(proc.info['cmdline'] or [])[:100]}")
        except psutil.Error:
            continue
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--hog", action="store_true", help="keep every core busy meanwhile")
    parser.add_argument("--backend", default="stdlib")
    parser.add_argument("extra", nargs="*", help="after --: more `mpconform run` arguments")
    args = parser.parse_args()

    hogs = []
    if args.hog:
        hogs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(os.cpu_count() or 1)]
        print(f"{len(hogs)} busy-loop processes keep every core busy", flush=True)
    walls: list[float] = []
    false_failures: list[str] = []
    leftovers: list[str] = []
    try:
        for i in range(args.runs):
            shm_before = shm_entries()
            tag = f"{os.getpid()}-{i}"
            env = {**os.environ, "MPCONFORM_STEADINESS_TAG": tag}
            with tempfile.TemporaryDirectory() as report:
                done = mainjob.run(report, "--backend", args.backend, *args.extra, env=env)
                refused = [
                    f"{r['status']} {r['nodeid']}: {(r.get('message') or '')[:200]}"
                    for r in done.results
                    if r["status"] not in ("PASS", "UNSUPPORTED", "SKIP")
                    and r["status"] not in (r.get("expected") or ())
                ]
                kept = None
                if done.returncode != 0 or refused:
                    # A false failure under load may not come again: keep all it said (the
                    # full details, the falsifying example, the repro scripts).
                    kept = tempfile.mkdtemp(prefix=f"mpconform-steadiness-run{i + 1}-")
                    shutil.copytree(report, kept, dirs_exist_ok=True)
            walls.append(done.wall)
            print(
                f"run {i + 1}: exit {done.returncode}, {done.wall:.1f} s, {done.describe()}",
                flush=True,
            )
            if done.returncode != 0 or refused:
                false_failures.append(f"run {i + 1}: exit {done.returncode}")
                false_failures.extend(f"  {line}" for line in refused)
                if not refused:
                    false_failures.append("  " + done.stderr[-1500:].replace("\n", "\n  "))
                false_failures.append(f"  the run's report is kept in {kept}")
            time.sleep(1.0)  # let the run's last children be reaped before looking
            left = run_interpreters(tag)
            new_shm = sorted(shm_entries() - shm_before)
            leftovers.extend(f"run {i + 1}: process {p}" for p in left)
            leftovers.extend(f"run {i + 1}: /dev/shm/{n}" for n in new_shm)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    print(
        f"\n{args.runs} runs{' with every core busy' if args.hog else ''}: "
        f"{args.runs - len([f for f in false_failures if f.startswith('run')])} passed"
    )
    print(f"wall time: median {statistics.median(walls):.1f} s, max {max(walls):.1f} s")
    print(f"false failures: {len([f for f in false_failures if f.startswith('run')])}")
    for line in false_failures:
        print(line)
    print(f"leftovers: {len(leftovers)}")
    for line in leftovers:
        print("  " + line)
    return 1 if false_failures or leftovers else 0


if __name__ == "__main__":
    sys.exit(main())
