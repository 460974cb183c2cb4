"""Exit hygiene: a program that used every kind of object ends without noise or leftovers.

Leaks and teardown errors show where no property's assertions look: at interpreter exit,
in the resource tracker's "leaked semaphore/shared_memory objects" warnings, in "Exception
ignored" tracebacks of finalizers, and in files left in /dev/shm. So the property runs a whole
program (:mod:`children_exit_hygiene`) in an interpreter of its own, once per start method,
and judges what it wrote to stderr and left behind after it ended.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess

import pytest

from mpconform import semaphores
from mpconform.conformance import children_exit_hygiene as program
from mpconform.conformance import children_programs as programs
from mpconform.limits import scaled
from mpconform.outcomes import TestTimeout, Unsupported
from mpconform.target import Target

pytestmark = pytest.mark.mp_area("Exit hygiene")

# The whole program starts a child, a Pool and a Manager: seconds under spawn on a busy
# machine; this is a liveness bound, not a timing property.
PROGRAM_BOUND = scaled(60.0)
# What a clean exit does not print: the resource tracker's warnings, finalizers' errors,
# tracebacks, and any warning or error line (Python's "File:line: UserWarning: ..." included).
NOISE = re.compile(
    r"leaked|Exception ignored|Traceback \(most recent call last\)|\b\w+(Error|Warning):"
)


def leftovers(label: str) -> list[str]:
    """Files in /dev/shm named after the program's label: its semaphores and blocks."""
    try:
        names = os.listdir(semaphores.SHM_DIR)
    except OSError:
        return []
    return sorted(n for n in names if n.startswith((f"sem.mp-{label}-", f"{label}-")))


@pytest.mark.mp_catches(
    "mutants.exit_hygiene:lock_leaks_a_semaphore", "mutants.exit_hygiene:queue_finalizer_raises"
)
@pytest.mark.mp_api(
    "Process.join",
    "Process.start",
    "managers.BaseManager.shutdown",
    "pool.Pool.close",
    "pool.Pool.join",
    "shared_memory.SharedMemory.unlink",
)
def test_a_program_using_every_kind_of_object_exits_quietly_and_leaves_nothing(
    mp: Target,
) -> None:
    """A program that used every kind of object exits with no warning and nothing left.

    It makes each kind the backend has (queues, locks, semaphores, Condition, Event, Barrier,
    Value, Array, a Manager's list, a SharedMemory block and a ShareableList), lets a child
    use them all, runs a Pool, and ends normally. Its stderr must carry no resource-tracker
    "leaked" warning, no "Exception ignored" and no traceback, and /dev/shm nothing of its
    semaphores or blocks; the report shows the messages seen.
    """
    if mp.memory_model == "shared":
        raise Unsupported("children are threads: there is no process exit to judge")
    env = dict(os.environ, PYTHONWARNINGS="ignore::DeprecationWarning")
    try:
        done = subprocess.run(
            programs.command("main", mp.spec, mp.start_method, module=program.__name__),
            capture_output=True,
            text=True,
            timeout=PROGRAM_BOUND,
            env=env,
        )
    except subprocess.TimeoutExpired as exc:
        raise TestTimeout(f"the program did not end within {PROGRAM_BOUND:g} s") from exc
    lines = done.stdout.splitlines()
    label = lines[0] if lines else ""
    left = leftovers(label) if label else []
    for name in left:
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(semaphores.SHM_DIR, name))
    assert done.returncode == 0, (
        f"the program ended with exit code {done.returncode}; stderr:\n{done.stderr[-3000:]}"
    )
    used = [line.split()[1] for line in lines if line.startswith("used ")]
    assert set(used) >= {k for k in program.KINDS if not mp.missing(k)}, f"it used only {used}"
    noise = [line for line in done.stderr.splitlines() if NOISE.search(line)]
    assert not noise, "the program's exit wrote:\n" + "\n".join(noise[:20])
    assert not left, f"the program left in /dev/shm: {left}"
