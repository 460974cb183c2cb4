"""Measures the suite's wall time and stability: N consecutive ``mpconform run`` invocations.

Speed is a feature of a conformance suite, but a timed test would flake on a loaded machine;
this script reports the figures instead. It also counts runs whose verdict was not a clean
pass, which is how "stdlib passes N consecutive runs" is measured.

    python benchmarks/wall_time.py --runs 10 --backend stdlib -- --jobs auto
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections import defaultdict

import mainjob


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", default="stdlib")
    parser.add_argument("--profile", default="ci")
    parser.add_argument("extra", nargs="*", help="after --: more `mpconform run` arguments")
    args = parser.parse_args()

    walls: list[float] = []
    per_method: dict[str, list[float]] = defaultdict(list)
    per_area: dict[str, list[float]] = defaultdict(list)
    unclean = 0
    for i in range(args.runs):
        with tempfile.TemporaryDirectory() as report:
            done = mainjob.run(
                report, "--backend", args.backend, "--profile", args.profile, *args.extra
            )
        for result in done.results:
            per_method[result["start_method"]].append(result["duration"])
            per_area[result["area"]].append(result["duration"])
        walls.append(done.wall)
        if done.returncode != 0:
            unclean += 1
        print(
            f"run {i + 1}: exit {done.returncode}, {done.wall:.1f} s, {done.describe()}", flush=True
        )
    print(f"\n{args.runs} runs, {unclean} not exit 0")
    print(f"wall time: median {statistics.median(walls):.1f} s, max {max(walls):.1f} s")
    for method, durations in sorted(per_method.items()):
        print(f"  test time under {method}: {sum(durations) / args.runs:.1f} s per run")
    for area, durations in sorted(per_area.items()):
        print(f"  test time of {area}: {sum(durations) / args.runs:.1f} s per run")
    return 1 if unclean else 0


if __name__ == "__main__":
    sys.exit(main())
