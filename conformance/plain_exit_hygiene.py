"""The exit-hygiene property as plain code, for standalone repro scripts.

The property runs a whole program in an interpreter of its own and judges what that
interpreter writes to stderr on its way out. A script's ``observe`` already runs in a fresh
interpreter, but it cannot watch its own exit, so it starts one more: the script itself, with
the same arguments (so the same backend and start method) and ``EXIT_HYGIENE_PROGRAM`` set,
where ``observe`` runs the program instead. The outer one returns that interpreter's exit
status and the kinds of noise on its stderr (lines differ in pids and names, kinds do not).

Left out: the property's look at /dev/shm for the program's semaphores and blocks. It finds
them by a label mpconform stamps on their names; a plain program's names are random, and
counting the whole directory would count every other process on the machine.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

from mpconform.plain import template
from mpconform.plain_driver import module

PATIENCE_S = 45.0  # the program starts a child, a Pool and a Manager: seconds under spawn
NOISE = ("leaked", "Exception ignored", "Traceback (most recent call last)", "Error:", "Warning:")
KINDS = (
    "Queue",
    "SimpleQueue",
    "JoinableQueue",
    "Lock",
    "RLock",
    "Semaphore",
    "BoundedSemaphore",
    "Condition",
    "Event",
    "Barrier",
    "Value",
    "Array",
)


def make(mp, kind):
    if kind == "Barrier":
        return mp.Barrier(1)
    if kind == "Value":
        return mp.Value("i", 0)
    if kind == "Array":
        return mp.Array("i", 4)
    return getattr(mp, kind)()


def use_all(objects, shared, memory):
    """The child: an ordinary use of every object, the proxy and the shared memory."""
    for kind, obj in objects.items():
        if kind.endswith("Queue"):
            obj.put(kind)
        elif kind == "Event":
            obj.set()
        elif kind == "Barrier":
            obj.wait(PATIENCE_S)
        elif kind == "Value":
            with obj.get_lock():
                obj.value += 1
        elif kind == "Array":
            obj[0] = 1
        else:
            with obj:
                pass
    shared.append("child")
    if memory is not None:
        shared_memory, shareable_list, names = memory
        block = shared_memory(name=names[0])
        block.buf[0] = 1
        block.close()
        items = shareable_list(name=names[1])
        items[0] = 2
        items.shm.close()


def square(x):
    return x * x


def run_program(mp):
    """The whole program: every kind of object, a child using them, a Pool, a Manager and
    shared memory, each closed, joined or shut down as the documentation asks."""
    objects = {kind: make(mp, kind) for kind in KINDS if hasattr(mp, kind)}
    manager = mp.Manager()
    shared = manager.list()
    try:
        sm = module("shared_memory")
        blocks = [sm.SharedMemory(create=True, size=8), sm.ShareableList([0]).shm]
        memory = (sm.SharedMemory, sm.ShareableList, [block.name for block in blocks])
    except ImportError:
        blocks, memory = [], None
    p = mp.Process(target=use_all, args=(objects, shared, memory))
    p.start()
    for kind in ("Queue", "SimpleQueue", "JoinableQueue"):
        if kind in objects:
            objects[kind].get()
    if "JoinableQueue" in objects:
        objects["JoinableQueue"].task_done()
    p.join(PATIENCE_S)
    with mp.Pool(2) as pool:
        pool.map(square, range(4))
        pool.close()
        pool.join()
    manager.shutdown()
    for block in blocks:
        block.close()
        block.unlink()
    return "ran"


def read_all(fd, chunks):
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)


def exit_status(pid, seconds):
    """The process's exit code (negative: killed by that signal), or "still running"."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return "still running"


@template(
    "test_a_program_using_every_kind_of_object_exits_quietly_and_leaves_nothing",
    make,
    use_all,
    square,
    run_program,
    read_all,
    exit_status,
)
def exit_hygiene(mp):
    if os.environ.get("EXIT_HYGIENE_PROGRAM"):  # the interpreter started below
        try:
            return run_program(mp)
        except Exception as exc:  # as an uncaught exception would: a message and exit code 1
            print(f"the program raised {type(exc).__name__}: {exc}", file=sys.stderr)
            sys.exit(1)
    env = dict(os.environ, EXIT_HYGIENE_PROGRAM="1", PYTHONWARNINGS="ignore::DeprecationWarning")
    read_end, write_end = os.pipe()
    quiet = os.open(os.devnull, os.O_WRONLY)
    pid = os.posix_spawn(
        sys.executable,
        [sys.executable, *sys.argv],  # this script, observing the same backend
        env,
        file_actions=[(os.POSIX_SPAWN_DUP2, quiet, 1), (os.POSIX_SPAWN_DUP2, write_end, 2)],
    )
    os.close(write_end)
    os.close(quiet)
    chunks: list = []
    reader = threading.Thread(target=read_all, args=(read_end, chunks), daemon=True)
    reader.start()
    status = exit_status(pid, PATIENCE_S)
    reader.join(PATIENCE_S)
    stderr = b"".join(chunks).decode(errors="replace")
    noise = sorted({word for line in stderr.splitlines() for word in NOISE if word in line})
    return {"exit status": status, "noise on stderr": noise}
