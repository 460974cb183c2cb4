"""Targets run in child processes by the Shared ctypes properties.

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

from typing import Any, Callable

from mpconform.agents import Reply, Session, outcome
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


def store_first(objects: dict, value: Any) -> None:
    """A child's whole life: store ``value`` first in every object (``.value`` of a Value)."""
    for obj in objects.values():
        if hasattr(obj, "value") and not hasattr(obj, "__len__"):
            obj.value = value
        else:
            obj[0] = value


def items(obj: Any) -> list:
    """What iterating over ``obj`` yields."""
    return [item for item in obj]


# -- the agent's commands (see mpconform.agents) ------------------------------------------------
#
# The agent starts with one object, the pool (a dict name -> shared object); each command names
# the pooled object it works on. Exceptions come back in the agent protocol's one Reply, by
# class name: the exception object may not pickle, and its type may be a backend class the test
# compares by name anyway.


def _read(session: Session, name: str, path: tuple) -> Any:
    return read(session.objects[0][name], path)


def _write(session: Session, name: str, path: tuple, value: Any) -> None:
    write(session.objects[0][name], path, value)


def _len(session: Session, name: str) -> int:
    return len(session.objects[0][name])


def _iter(session: Session, name: str) -> list:
    return items(session.objects[0][name])


def _increment(session: Session, name: str, path: tuple, times: int) -> None:
    increment(session.objects[0][name], path, times)


def _hold(session: Session, name: str) -> bool:
    """Acquire the named object's get_lock() and keep it until ``release`` or the reset."""
    lock = session.objects[0][name].get_lock()
    got = lock.acquire(timeout=PATIENCE)
    if got:
        session.state.setdefault("held", []).append(lock)
    return got


def _release(session: Session, name: str) -> None:
    session.state["held"].pop().release()


def _reset(session: Session) -> None:
    """Let go of every lock still held (RESET clears the state only after this ran)."""
    for lock in reversed(session.state.pop("held", [])):
        lock.release()


def _batch(session: Session, ops: list[tuple]) -> list[Reply]:
    """The outcome of each ``(command, name, *args)`` in order: an example, one round trip."""
    return [
        outcome(COMMANDS[command], session, name, *args)
        if command in COMMANDS
        else outcome(_unknown, command)
        for command, name, *args in ops
    ]


def _unknown(command: str) -> None:
    raise KeyError(f"no command {command!r}")


def increment(obj: Any, path: tuple, times: int) -> None:
    """Add one to the value at ``path`` ``times`` times, each read-modify-write under
    get_lock(), as the documentation's counter example does."""
    for _ in range(times):
        with obj.get_lock():
            write(obj, path, read(obj, path) + 1)


# -- short-lived children ----------------------------------------------------------------------


def write_all(pool: dict, writes: list) -> None:
    """Apply ``(name, path, value)`` writes, then end normally: the parent reads after join."""
    for name, path, value in writes:
        write(pool[name], path, value)


def report_all(conn: Any, pool: dict, reads: list) -> None:
    """Send the outcome of each ``(name, path)`` read, in order."""
    conn.send([outcome(read, pool[name], path) for name, path in reads])


COMMANDS: dict[str, Callable[..., Any]] = {
    "read": _read,
    "write": _write,
    "len": _len,
    "iter": _iter,
    "increment": _increment,
    "hold": _hold,
    "release": _release,
    "reset": _reset,
    "batch": _batch,
}
