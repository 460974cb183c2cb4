"""Parallel jobs of one run: slices that partition the tests, and results merged as one run."""

from __future__ import annotations

import itertools

import pytest

from mpconform import jobs, results
from mpconform.options import parse_shard


def _kept(shard: str, ranks: range) -> set[int]:
    index, count = parse_shard(shard)
    return {r for r in ranks if r % count == index - 1}


@pytest.mark.parametrize(("n", "ci"), [(1, None), (2, None), (3, None), (2, (2, 3)), (4, (1, 2))])
def test_job_slices_partition_their_ci_shard(n: int, ci: tuple[int, int] | None) -> None:
    ranks = range(500)
    wanted = _kept(f"{ci[0]}/{ci[1]}", ranks) if ci else set(ranks)
    slices = [_kept(jobs.shard_of(j, n, ci), ranks) for j in range(1, n + 1)]
    assert set().union(*slices) == wanted
    for a, b in itertools.combinations(slices, 2):
        assert a.isdisjoint(b)
    assert max(map(len, slices)) - min(map(len, slices)) <= 1, "every job gets a fair share"


def test_auto_is_jobs_per_cpu_times_usable_cpus_and_zero_is_one() -> None:
    assert jobs.count("auto") == jobs.JOBS_PER_CPU * jobs.usable_cpus() >= 2
    assert jobs.count("0") == jobs.count("1") == 1
    assert jobs.count("3") == 3


def _doc(nodeids: list[str], **run: object) -> dict:
    info = results.RunInfo(started="2026-01-01T00:00:0" + str(len(nodeids)), **run)  # type: ignore[arg-type]
    rows = [
        results.TestResult(
            nodeid=n,
            module="m",
            line=1,
            area="A",
            feature=n,
            title=n,
            basis="docs",
            backend="stdlib",
            start_method="fork",
            status="PASS",
            duration=0.1,
        )
        for n in nodeids
    ]
    return results.document(info, rows)


def test_merged_jobs_read_as_one_run() -> None:
    one = _doc(["t1", "t2"], expectations={"file": "x", "unmatched": ["a", "b"]}, exitstatus=0)
    two = _doc(["t3"], expectations={"file": "x", "unmatched": ["b", "c"]}, exitstatus=1)
    two["run"]["interrupted"] = True
    merged = results.merge_jobs([one, two], duration=12.5)
    results.validate(merged)
    assert sorted(r["nodeid"] for r in merged["results"]) == ["t1", "t2", "t3"]
    run = merged["run"]
    assert run["duration"] == 12.5 and run["workers"] == 2
    assert run["interrupted"] and run["exitstatus"] == 1
    assert run["expectations"]["unmatched"] == ["b"], "unmatched only if no job matched it"
    assert run["started"] == min(one["run"]["started"], two["run"]["started"])


def test_progress_is_read_by_area_and_counts_accepted_outcomes_as_conforming(tmp_path) -> None:
    job = jobs.Job(1, str(tmp_path), None, None, None)  # type: ignore[arg-type]
    (tmp_path / "progress.tsv").write_text(
        "collected\t5\narea\tPool\t2\narea\tQueues\t3\n"
        "PASS\t1\tPool\nTIMEOUT\t1\tPool\nFAIL\t0\tQueues\n"
    )
    found = jobs.Progress.read([job])
    assert (found.collected, found.done, found.differ) == (5, 3, 1)
    line = found.line(12.0, None)
    assert "3 of 5 tests done, 1 not conforming" in line
    assert line.endswith("running: Pool 2/2; Queues 1/3 (1 differ)")
    (tmp_path / "progress.tsv").write_text(
        (tmp_path / "progress.tsv").read_text() + "PASS\t1\tQueues\n"
    )
    later = jobs.Progress.read([job]).line(22.0, found)
    assert later.endswith("running: Queues 2/3 (1 differ)")  # only the areas that moved


def test_jobs_of_a_killed_run_stop_and_leave_nothing(tmp_path) -> None:
    """SIGKILL of ``mpconform run`` (a cancelled CI job) must not leave its jobs running."""
    import os
    import signal
    import subprocess
    import sys
    import time
    import uuid

    from childrun import REPO, TAG, tagged_processes

    tag = uuid.uuid4().hex
    env = {**os.environ, TAG: tag}
    env.pop("PYTEST_XDIST_WORKER", None)
    cli = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mpconform.cli",
            "run",
            "--jobs",
            "2",
            "--start-method",
            "fork",
            "-k",
            "test_pool",
            "--report",
            str(tmp_path / "out"),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    # cli, 2 jobs, their 2 watchdogs, and at least one process a test started
    seen = 0
    while time.monotonic() < deadline:
        seen = len(tagged_processes(tag))  # judged on this count: a test's child may end
        if seen >= 6:  # before a second look, which flaked (5 >= 6) on a busy machine
            break
        time.sleep(0.05)
    assert seen >= 6, "the jobs' tests never started"
    cli.send_signal(signal.SIGKILL)
    cli.wait()
    deadline = time.monotonic() + 8  # an interrupted job winds down within seconds
    while tagged_processes(tag) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = tagged_processes(tag)
    for proc in left:
        proc.kill()
    assert not left, f"still running after the run was killed: {[p.pid for p in left]}"
