"""Commands of the agent that the live-object properties drive (see :mod:`mpconform.agents`).

The agent is already running when the objects reach it: a Connection end arrives as an
argument of a command (pickled through the agent's own pipe) or from the Queue it was started
with, a manager proxy the same way. It keeps what it adopted in its per-example state. Spawn
and forkserver children import this module by name, so it imports only the stdlib and
mpconform's agents and limits.
"""

from __future__ import annotations

from typing import Any, Callable

from mpconform.agents import Session
from mpconform.limits import PATIENCE


def adopt(session: Session, conn: Any) -> bool:
    """Keep a Connection end that came with this command; whether it is open here."""
    session.state["conn"] = conn
    return not conn.closed


def adopt_from_queue(session: Session) -> bool:
    """Keep the Connection end the test put in the agent's Queue."""
    conn = session.objects[0].get(timeout=PATIENCE)
    session.state["conn"] = conn
    return not conn.closed


def relay(session: Session, count: int) -> int:
    """Answer ``count`` messages on the adopted Connection, each with ("echo", message)."""
    conn = session.state["conn"]
    for _ in range(count):
        if not conn.poll(PATIENCE):
            raise TimeoutError(f"{session.name}: nothing arrived within {PATIENCE:g} s")
        conn.send(("echo", conn.recv()))
    return count


def drop(session: Session) -> None:
    session.state.pop("conn").close()


def use_proxy(session: Session, proxy: Any, kind: str, values: list[Any]) -> Any:
    """Work with a proxy that came with this command: fill it with ``values``."""
    if kind == "Queue":
        for value in values:
            proxy.put(value)
    elif kind == "list":
        proxy.extend(values)
    else:
        proxy.update({i: v for i, v in enumerate(values)})
    return len(values)


def connect(session: Session, client: Any, address: Any, family: Any, message: Any) -> Any:
    """Connect to a Listener, send ``message`` and return the Listener's answer."""
    with client(address, family=family) as conn:
        conn.send(message)
        if not conn.poll(PATIENCE):
            raise TimeoutError(f"{session.name}: the listener did not answer")
        return conn.recv()


def answer(session: Session, answer_challenge: Any, authkey: bytes) -> None:
    """Answer the test's challenge on the adopted Connection (it blocks until one comes)."""
    answer_challenge(session.state["conn"], authkey)


def serve_counter_manager(managers: str, authkey: bytes, conn: Any) -> None:
    """A whole process: serve a Counter manager with ``get_server()``, say its address."""
    import importlib

    from mpconform.conformance.children_managers import counter_manager

    cls = counter_manager(importlib.import_module(managers))
    server = cls(address=("127.0.0.1", 0), authkey=authkey).get_server()
    conn.send(server.address)
    conn.close()
    server.serve_forever()


COMMANDS: dict[str, Callable[..., Any]] = {
    "adopt": adopt,
    "adopt_from_queue": adopt_from_queue,
    "relay": relay,
    "drop": drop,
    "use_proxy": use_proxy,
    "connect": connect,
    "answer": answer,
}


def hold_briefly(lock: Any) -> None:
    """A child's whole life: take the lock it was given and let it go."""
    with lock:
        pass
