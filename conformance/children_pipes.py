"""The long-lived child the Pipes and connections properties talk to.

Spawn and forkserver children import this module by name, so it imports only the stdlib and
the agent protocol, and does nothing at import time. One agent serves a whole test: starting a
process per example would make the properties measure start-up instead of connections. The
backend is never imported here; what the child needs of it (``Client``,
``AuthenticationError``) arrives among the agent's objects, because under billiard or
multiprocess the stdlib's classes are the wrong ones.

Every wait here is bounded by :data:`PATIENCE`, so a test that died without stopping its
child cannot leave it behind for long.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any, Callable

from mpconform.agents import Session
from mpconform.conformance.children_common import describe
from mpconform.limits import PATIENCE


class Timeout(Exception):
    """Nothing arrived within PATIENCE: the parent is gone or out of step."""


def receive(conn: Any) -> Any:
    if not conn.poll(PATIENCE):
        raise Timeout(f"nothing received within {PATIENCE:g} s")
    return conn.recv()


def pattern(tag: Any, index: int, size: int) -> bytes:
    """Bytes that only message ``index`` of example ``tag`` carries, so a mix-up shows.

    Random rather than repeating: a repeating block would hide a shift by its period.
    """
    return random.Random(f"{tag!r}/{index}").randbytes(size)


# -- two-way traffic ---------------------------------------------------------------------------


def _drain(conn: Any, tag: Any, count: int, seen: list) -> None:
    """Receive ``count`` traffic messages and record, for each, whether it arrived intact."""
    try:
        for _ in range(count):
            got_tag, index, data = receive(conn)
            seen.append((got_tag == tag, index, len(data), data == pattern(tag, index, len(data))))
    except BaseException as exc:  # reported, not raised: the parent judges
        seen.append(("error", f"{type(exc).__name__}: {exc}"))


def traffic(inbound: Any, outbound: Any, tag: Any, sizes: list, incoming: int) -> list:
    """Send messages of ``sizes`` while a thread receives ``incoming`` messages.

    This is the mirror of the parent's schedule, and the thread is what makes any schedule
    deadlock-free: this side always drains what the parent sends, so the parent's sends
    finish whatever their size, and this side's sends only wait for the parent's receives,
    which come in order. Without the thread, both sides sending MiB at once could fill both
    pipe buffers and block forever, however correct the implementation.
    """
    seen: list = []
    reader = threading.Thread(target=_drain, args=(inbound, tag, incoming, seen), daemon=True)
    reader.start()
    for index, size in enumerate(sizes):
        outbound.send((tag, index, pattern(tag, index, size)))
    reader.join(PATIENCE)
    if reader.is_alive():
        seen.append(("error", "the receiving thread is still waiting"))
    return seen


# -- Listener and Client -----------------------------------------------------------------------


def connect(
    client: Callable[..., Any], address: Any, family: str, authkey: bytes, message: Any
) -> Any:
    """Connect with ``authkey``, send ``message`` and return what came back (a refused
    connection raises, and the agent's Reply names the exception)."""
    conn = client(address, family=family, authkey=authkey)
    try:
        conn.send(message)
        return receive(conn)
    finally:
        conn.close()


# -- the agent's commands (see mpconform.agents) -------------------------------------------------
#
# The agent starts with ``(down, up, client)``: its ends of two one-way pipes (test to agent,
# agent to test) for traffic over simplex connections, and the backend's Client.


def _echo(session: Session, tag: Any, payload: Any) -> tuple:
    return ("echo", tag, describe(payload), payload)


def _later(session: Session, tag: Any, delay: float) -> tuple:
    time.sleep(delay)
    return ("later", tag)


def _traffic(session: Session, tag: Any, duplex: bool, sizes: list, incoming: int) -> tuple:
    down, up = session.objects[:2]
    inbound, outbound = (session.conn, session.conn) if duplex else (down, up)
    return ("traffic", tag, traffic(inbound, outbound, tag, sizes, incoming))


def _connect(session: Session, *args: Any) -> Any:
    client = session.objects[2]
    if client is None:
        raise LookupError("the backend has no connection.Client")
    return connect(client, *args)


COMMANDS: dict[str, Callable[..., Any]] = {
    "echo": _echo,
    "later": _later,
    "traffic": _traffic,
    "connect": _connect,
}


# -- short-lived children ----------------------------------------------------------------------


def send_all(conn: Any, messages: list) -> None:
    """Send ``messages`` and end, leaving end-of-file to the process exit."""
    for message in messages:
        conn.send(message)
