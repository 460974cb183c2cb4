"""Interop mutants: stdlib whose wire differs from CPython's, as a backend with its own
serializer or handshake would.

Each module attribute is an Adapter (``--mp-backend mutants.interop:<name>``); the interop
properties that must FAIL against it name it in an ``mp_catches`` marker. A peer on the
same Python is enough to catch each, so the meta-tests do not depend on another Python being
installed.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import multiprocessing.managers
from typing import Any

from .managers import managers_module
from .messaging import authkey_ignored, connection_module, rewrap
from .wrap import stdlib_with


def tuples_as_lists(value: Any) -> Any:
    """``value`` with every tuple a list, as a serializer with no tuple type (JSON, msgpack
    by default) delivers it; set elements and dict keys are left alone (they must hash)."""
    if isinstance(value, (tuple, list)):
        return [tuples_as_lists(v) for v in value]
    if isinstance(value, dict):
        return {k: tuples_as_lists(v) for k, v in value.items()}
    return value


class ListConnection(multiprocessing.connection.Connection):
    """send() delivers tuples as lists."""

    def send(self, obj: Any) -> None:
        super().send(tuples_as_lists(obj))


class ListListener(multiprocessing.connection.Listener):
    def accept(self) -> Any:
        return rewrap(ListConnection, super().accept())


def list_client(address: Any, family: Any = None, authkey: Any = None) -> Any:
    return rewrap(ListConnection, multiprocessing.connection.Client(address, family, authkey))


# A manager picks its Listener and Client by serializer name from stdlib's table, and so do
# its proxies: the mutant's managers use a serializer of their own (a new key; the stdlib
# entries are untouched).
SERIALIZER = "mpconform-tuples-as-lists"
multiprocessing.managers.listener_client[SERIALIZER] = (ListListener, list_client)


class ListManager(multiprocessing.managers.BaseManager):
    def __init__(
        self,
        address: Any = None,
        authkey: Any = None,
        serializer: str = "pickle",
        ctx: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(address, authkey, SERIALIZER, ctx, **kwargs)


tuples_to_lists = stdlib_with(
    "tuples-to-lists",
    "stdlib whose connections and managers send tuples as lists",
    connection=connection_module("tuples_to_lists", Listener=ListListener, Client=list_client),
    managers=managers_module("tuples_to_lists", BaseManager=ListManager),
)

__all__ = ["authkey_ignored", "tuples_to_lists"]


# Only against the peer on this Python: every machine has it, and it catches each mutant.
SELECT = "same-python"
