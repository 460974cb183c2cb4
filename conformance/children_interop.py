"""The peer of the interop properties: CPython's multiprocessing in an interpreter of its own.

Run as a script (``python children_interop.py``) by any Python from 3.9 on, which need not
have mpconform installed: it imports the standard library only. Until ``exit`` (or the test
process's end) it reads commands from stdin and answers on stdout, one line each, a
hex-encoded pickle (protocol 4, which every such Python reads): ``(number, op, args)`` in,
``(number, ok, value)`` out. Commands that wait for the other side (a connection's
handshake) answer from a thread when it is done, so the test process can do its part
meanwhile; the numbers pair answers with commands.

Imported (as ``mpconform.conformance.children_interop``), it gives the backend's own
manager server the :class:`Box` the peer's manager client asks for.
"""

from __future__ import annotations

import os
import pickle
import socket
import sys
import threading
import time
from typing import Any

PROTOCOL = 4


class Box:
    """One value behind a manager: what both sides register as ``Box``."""

    def __init__(self) -> None:
        self.value: Any = None

    def set(self, value: Any) -> None:
        self.value = value

    def get(self) -> Any:
        return self.value


def _name(exc: BaseException) -> str:
    return type(exc).__name__


class Peer:
    """The commands, and the listeners and manager servers they keep."""

    def __init__(self, out: Any) -> None:
        import multiprocessing.connection
        import multiprocessing.managers

        self.connection = multiprocessing.connection
        self.managers = multiprocessing.managers
        self.out = out
        self.lock = threading.Lock()
        self.listeners: dict[Any, tuple[Any, list[str], threading.Event]] = {}
        self.servers: dict[bytes, Any] = {}
        self.unreadable: list[str] = []  # why an echo ended early, for the test's message

    def answer(self, number: int, ok: bool, value: Any) -> None:
        line = pickle.dumps((number, ok, value), PROTOCOL).hex()
        with self.lock:
            self.out.write(line + "\n")
            self.out.flush()

    # -- commands ------------------------------------------------------------------------------

    def version(self) -> tuple[str, str]:
        import platform

        return platform.python_implementation(), platform.python_version()

    def listen(self, family: str, authkey: bytes) -> Any:
        """A Listener whose every accepted connection echoes what it receives until EOF;
        refused handshakes are counted by exception name (see :meth:`refused`)."""
        address = ("127.0.0.1", 0) if family == "AF_INET" else None
        listener = self.connection.Listener(address, family=family, authkey=authkey)
        refused: list[str] = []
        closing = threading.Event()
        self.listeners[listener.address] = (listener, refused, closing)

        def accept_forever() -> None:
            while not closing.is_set():
                try:
                    conn = listener.accept()
                except Exception as exc:
                    if not closing.is_set():
                        refused.append(_name(exc))
                    continue
                threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

        threading.Thread(target=accept_forever, daemon=True).start()
        return listener.address

    def refused(self, address: Any) -> list[str]:
        return list(self.listeners[address][1])

    def unlisten(self, address: Any) -> None:
        listener, _, closing = self.listeners.pop(address)
        closing.set()
        # accept() is not woken by close() on Linux: a bare connection ends it.
        kind = socket.AF_INET if isinstance(address, tuple) else socket.AF_UNIX
        try:
            with socket.socket(kind) as sock:
                sock.connect(address)
        except OSError:
            pass
        listener.close()

    def connect(self, number: int, address: Any, family: str, authkey: bytes) -> None:
        """Connect a Client from a thread; answer with the handshake's outcome, then echo."""

        def run() -> None:
            try:
                conn = self.connection.Client(address, family=family, authkey=authkey)
            except Exception as exc:
                self.answer(number, True, ("refused", _name(exc), str(exc)))
                return
            self.answer(number, True, ("connected", "", ""))
            self._echo(conn)

        threading.Thread(target=run, daemon=True).start()

    def serve_manager(self, authkey: bytes) -> Any:
        """A manager server with ``Box`` registered, served from a thread (one per authkey)."""
        if authkey not in self.servers:
            Manager: Any = type("Manager", (self.managers.BaseManager,), {})
            Manager.register("Box", Box)
            server = Manager(authkey=authkey).get_server()  # AF_UNIX: no delayed ACKs
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.servers[authkey] = server
        return self.servers[authkey].address

    def use_manager(self, address: Any, authkey: bytes, values: list) -> list:
        """Connect to a manager, make a Box and read back every value set in it."""

        Manager: Any = type("Manager", (self.managers.BaseManager,), {})
        Manager.register("Box")
        manager = Manager(address, authkey=authkey)
        manager.connect()
        box = manager.Box()
        seen = []
        for value in values:
            box.set(value)
            seen.append(box.get())
        del box
        return seen

    # -- helpers -------------------------------------------------------------------------------

    def echo_failures(self) -> list[str]:
        """Why echoes ended before their end of file (a message this Python cannot unpickle)."""
        return list(self.unreadable)

    def _echo(self, conn: Any) -> None:
        with conn:
            while True:
                try:
                    message = conn.recv()
                except (EOFError, OSError):
                    return
                except Exception as exc:
                    self.unreadable.append(f"{_name(exc)}: {exc}")
                    return
                conn.send(message)

    def handle(self, number: int, op: str, args: tuple) -> None:
        if op == "connect":
            self.connect(number, *args)  # answers when the handshake is done
            return
        try:
            value = getattr(self, op)(*args)
        except Exception as exc:
            self.answer(number, False, (_name(exc), str(exc)))
        else:
            self.answer(number, True, value)


def _exit_when_orphaned(parent: int) -> None:
    """End when the test process is gone: a fork child of it may hold our stdin open, so the
    end of stdin alone cannot be relied on."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def main() -> None:
    # Answers go to a copy of stdout; anything else printed (a warning, a backend's log)
    # goes to stderr, where it cannot break the protocol.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    sys.stdout = sys.stderr
    peer = Peer(out)
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), daemon=True).start()
    for line in sys.stdin:
        number, op, args = pickle.loads(bytes.fromhex(line.strip()))
        if op == "exit":
            break
        peer.handle(number, op, args)


if __name__ == "__main__":
    main()
