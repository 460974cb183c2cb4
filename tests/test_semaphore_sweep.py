"""What a killed job left in /dev/shm (its exit handlers never ran) is removed by the run,
and only that: names of another process stay."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mpconform import semaphores

pytestmark = pytest.mark.skipif(not os.path.isdir(semaphores.SHM_DIR), reason="needs /dev/shm")


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_the_names_of_a_dead_job_are_removed_and_no_others() -> None:
    dead, other = _dead_pid(), os.getpid()
    left = [
        f"sem.loky-{dead}-abc",
        f"sem.mp-mpc{dead}-def",
        f"sem.mp-mpc{dead}xrun1-ghi",
        f"mpc{dead}-block",
    ]
    kept = [f"sem.loky-{other}-abc", f"sem.mp-mpc{dead}1-def", f"mpc{dead}0-block"]
    paths = [os.path.join(semaphores.SHM_DIR, n) for n in left + kept]
    for path in paths:
        with open(path, "w"):
            pass
    try:
        assert semaphores.left_by(dead) == sorted(left)
        assert sorted(semaphores.remove_left_by(dead)) == sorted(left)
        present = set(os.listdir(semaphores.SHM_DIR))
        assert not present & set(left) and set(kept) <= present
    finally:
        for path in paths:
            if os.path.exists(path):
                os.unlink(path)
