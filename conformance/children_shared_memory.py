"""Targets run in child processes by the Shared memory properties.

Spawn and forkserver children import this module by name, so it imports only the stdlib and
does nothing at import time. Shared objects reach a child only as Process arguments at its
creation, so the agent receives the whole pool it will ever touch (a dict name -> object) when
it starts, and the test then names objects in its commands.

An access is described by a *path*: a tuple of steps applied to a pooled object, each
``("attr", name)``, ``("item", index_or_slice)`` or ``("call", method_name)``. Reading applies
every step; writing applies all but the last and assigns through the last. The same path
vocabulary is used by the test side, so "the parent writes, the child reads" and the reverse
run exactly the same accesses. Every wait is bounded by :data:`PATIENCE`.
"""

from __future__ import annotations

from typing import Any

from mpconform.agents import STOP
from mpconform.limits import PATIENCE


def resolve(obj: Any, steps: tuple) -> Any:
    for kind, arg in steps:
        if kind == "attr":
            obj = getattr(obj, arg)
        elif kind == "item":
            obj = obj[arg]
        else:
            obj = getattr(obj, arg)()
    return obj


def read(obj: Any, path: tuple) -> Any:
    return resolve(obj, path)


def write(obj: Any, path: tuple, value: Any) -> None:
    target = resolve(obj, path[:-1])
    kind, arg = path[-1]
    if kind == "attr":
        setattr(target, arg, value)
    elif kind == "item":
        target[arg] = value
    else:
        raise ValueError(f"cannot assign through a call step {path[-1]!r}")


def outcome(action: Any, *args: Any) -> tuple:
    """``("ok", action(*args))`` or ``("raised", exception type name, message)``: exceptions are
    reported by name because the exception object may not pickle, and its type may be a
    backend class the test compares by name anyway."""
    try:
        return ("ok", action(*args))
    except Exception as exc:
        return ("raised", type(exc).__name__, str(exc))


def items(obj: Any) -> list:
    """What iterating over ``obj`` yields."""
    return [item for item in obj]


def serve(conn: Any, pool: dict) -> None:
    """Answer ``(seq, command, name, *args)`` messages on ``conn`` until STOP or silence.

    Commands: ``read name path``, ``write name path value``, ``len name``, ``iter name``,
    ``hold name`` (acquire the object's get_lock() and keep it), ``release name``,
    ``increment name path times`` (read-modify-write under get_lock()), and
    ``batch None ops`` (a list of such commands, answered with the list of their outcomes, so
    an example costs one round trip). Each answer repeats ``seq`` so the test notices a reply
    to some other request.
    """
    held: list = []
    commands = {
        "read": read,
        "write": write,
        "len": len,
        "iter": items,
        "hold": lambda obj: hold(obj, held),
        "release": lambda obj: held.pop().release(),
        "increment": increment,
    }
    try:
        while conn.poll(PATIENCE):
            message = conn.recv()
            if message == STOP:
                return
            seq, command, name, *args = message
            if command == "batch":
                reply = ("ok", [run(commands, pool, *op) for op in args[0]])
            else:
                reply = run(commands, pool, command, name, *args)
            conn.send((seq, reply))
    finally:
        while held:
            held.pop().release()


def run(commands: dict, pool: dict, command: str, name: str, *args: Any) -> tuple:
    if command not in commands:
        return ("raised", "UnknownCommand", repr(command))
    return outcome(commands[command], pool[name], *args)


def increment(obj: Any, path: tuple, times: int) -> None:
    """Add one to the value at ``path`` ``times`` times, each read-modify-write under
    get_lock(), as the documentation's counter example does."""
    for _ in range(times):
        with obj.get_lock():
            write(obj, path, read(obj, path) + 1)


def hold(obj: Any, held: list) -> bool:
    lock = obj.get_lock()
    got = lock.acquire(timeout=PATIENCE)
    if got:
        held.append(lock)
    return got


# -- short-lived children ----------------------------------------------------------------------


def write_all(pool: dict, writes: list) -> None:
    """Apply ``(name, path, value)`` writes, then end normally: the parent reads after join."""
    for name, path, value in writes:
        write(pool[name], path, value)


def report_all(conn: Any, pool: dict, reads: list) -> None:
    """Send the outcome of each ``(name, path)`` read, in order."""
    conn.send([outcome(read, pool[name], path) for name, path in reads])
