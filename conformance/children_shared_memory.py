"""Commands of the agent that the ``multiprocessing.shared_memory`` properties drive.

A block or a ShareableList reaches another process by its name, not as a Process argument, so
the agent needs nothing at start: one warm agent per start method serves every property (see
:func:`mpconform.agents.warm`). It imports the backend's ``shared_memory`` module by name (a
module does not pickle) and keeps what it attached in its per-example state, keyed by the
block's name; the per-example reset closes them. Reads return copies (``bytes``, lists), never
a view, so nothing the agent answers pins a mapping open.

Spawn and forkserver children import this module by name, so it imports only the stdlib and
:mod:`mpconform.agents`.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

from mpconform.agents import Session


def _opened(session: Session) -> dict[str, Any]:
    return session.state.setdefault("opened", {})


def attach_block(session: Session, module: str, name: str) -> tuple[str, int]:
    """Attach to an existing block; its ``name`` and ``size`` as this process sees them."""
    block = importlib.import_module(module).SharedMemory(name=name)
    _opened(session)[name] = block
    return block.name, block.size


def read_block(session: Session, name: str, start: int, stop: int) -> bytes:
    return bytes(_opened(session)[name].buf[start:stop])


def write_block(session: Session, name: str, offset: int, data: bytes) -> None:
    _opened(session)[name].buf[offset : offset + len(data)] = data


def close(session: Session, name: str) -> None:
    """Close this process's instance (a block or a list), which stays open elsewhere."""
    opened = _opened(session)[name]
    (getattr(opened, "shm", None) or opened).close()


def buf_after_close(session: Session, name: str) -> str:
    """What ``buf`` is once this instance is closed: its type's name."""
    return type(_opened(session)[name].buf).__name__


def forget(session: Session, name: str) -> None:
    """Drop this process's instance without closing it (its finalizer closes it)."""
    _opened(session).pop(name, None)


def attach_list(session: Session, module: str, name: str) -> list[Any]:
    """Attach to an existing ShareableList; the values it holds, read here."""
    shared = importlib.import_module(module).ShareableList(name=name)
    _opened(session)[name] = shared
    return list(shared)


def read_list(session: Session, name: str) -> list[Any]:
    return list(_opened(session)[name])


def set_item(session: Session, name: str, index: int, value: Any) -> None:
    _opened(session)[name][index] = value


def describe_list(session: Session, name: str) -> tuple[Any, ...]:
    """``len``, ``format`` and ``shm.name`` of an attached list (no item is read)."""
    shared = _opened(session)[name]
    return len(shared), shared.format, shared.shm.name


def count(session: Session, name: str, probe: Any) -> int:
    return _opened(session)[name].count(probe)


def index(session: Session, name: str, probe: Any) -> int:
    return _opened(session)[name].index(probe)


COMMANDS: dict[str, Callable[..., Any]] = {
    "attach_block": attach_block,
    "read_block": read_block,
    "write_block": write_block,
    "close": close,
    "buf_after_close": buf_after_close,
    "forget": forget,
    "attach_list": attach_list,
    "read_list": read_list,
    "set_item": set_item,
    "describe_list": describe_list,
    "count": count,
    "index": index,
}
