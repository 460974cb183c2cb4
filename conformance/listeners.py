"""A Listener of the backend and a bounded accept(), for every property that needs one."""

from __future__ import annotations

import contextlib
import socket
from typing import Any

from mpconform.target import Target
from mpconform.waiting import LIVENESS, in_thread

#: The address families every platform the suite runs on has (AF_PIPE is Windows only).
FAMILY_NAMES = ("AF_UNIX", "AF_INET")


def listen(mp: Target, family: str, authkey: bytes) -> Any:
    """The backend's Listener on a fresh address of ``family`` (loopback for AF_INET)."""
    address = ("127.0.0.1", 0) if family == "AF_INET" else None
    return mp.connection.Listener(address, family=family, authkey=authkey)


def accept(listener: Any, family: str) -> Any:
    """listener.accept() bounded by LIVENESS.

    If nobody connected in time, a bare connection wakes the accepting thread (closing the
    socket would not, on Linux) before the test ends as TIMEOUT.
    """

    def poke() -> None:
        kind = socket.AF_INET if family == "AF_INET" else socket.AF_UNIX
        with contextlib.suppress(Exception), socket.socket(kind) as sock:
            sock.connect(listener.address)

    return in_thread(listener.accept, "listener.accept()", LIVENESS, poke)
