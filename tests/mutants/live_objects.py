"""stdlib with one bug in how a live object reaches a process that already runs.

Use as ``--mp-backend mutants.live_objects:<name>``; the properties that must FAIL against
each (under fork) name it in an ``mp_catches`` marker.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing.connection
import multiprocessing.managers
import multiprocessing.synchronize
from types import ModuleType
from typing import Any

from .managers import managers_mutant
from .wrap import SwappedContext, factory_mutant, module_like


class InheritedOnlyConnection(multiprocessing.connection.Connection):
    """Refuses to be pickled except while a child is being started, like a Queue."""

    def __reduce__(self) -> Any:
        multiprocessing.context.assert_spawning(self)
        return super().__reduce__()


def _inherited_only_pipe(base: Any, duplex: bool = True) -> tuple[Any, Any]:
    ends = base.Pipe(duplex)
    for end in ends:
        end.__class__ = InheritedOnlyConnection
    return ends


class PicklableLock(multiprocessing.synchronize.Lock):
    """Pickles at any time: the receiver gets a handle that is only valid by accident."""

    def __getstate__(self) -> Any:
        lock = self._semlock
        return (lock.handle, lock.kind, lock.maxvalue, lock.name)


def _picklable_lock(base: Any) -> Any:
    return PicklableLock(ctx=base)


class SnapshotListProxy(multiprocessing.managers.ListProxy):
    """Sent to another process, the list proxy arrives as a plain copy of the list."""

    def __reduce__(self) -> Any:
        return (list, (list(self),))


class SnapshotListManager(multiprocessing.managers.SyncManager):
    pass


SnapshotListManager.register("list", list, SnapshotListProxy)


class ForgetfulListener(multiprocessing.connection.Listener):
    """last_accepted is always None."""

    @property
    def last_accepted(self) -> Any:
        return None


class NoBacklogListener(multiprocessing.connection.Listener):
    """backlog is ignored: the socket listens with a queue of 0."""

    def __init__(
        self, address: Any = None, family: Any = None, backlog: int = 1, **kw: Any
    ) -> None:
        super().__init__(address, family, 0, **kw)


class UnclosableListener(multiprocessing.connection.Listener):
    """close() leaves the socket listening (and its file in place)."""

    def close(self) -> None:
        pass


def lenient_answer(connection: Any, authkey: bytes) -> None:
    """answer_challenge() that does not notice it was refused."""
    with contextlib.suppress(multiprocessing.AuthenticationError):
        multiprocessing.connection.answer_challenge(connection, authkey)


class ConnectDoesNothing(multiprocessing.managers.BaseManager):
    """connect() returns without connecting."""

    def connect(self) -> None:
        pass


def _unchecked_lock(base: Any) -> Any:
    """A Lock that forgets it was made by the fork context, so it pickles for any child."""
    lock = base.Lock()
    lock._is_fork_ctx = False
    return lock


def _unchecked_contexts(base: Any, method: Any = None) -> Any:
    context = base.get_context(method)
    return SwappedContext(context, {"Lock": functools.partial(_unchecked_lock, context)})


def _connection_module(**overrides: Any) -> ModuleType:
    return module_like(multiprocessing.connection, f"{__name__}.connection", **overrides)


connection_inherited_only = factory_mutant(
    "connection-inherited-only",
    "Connection objects refuse to be pickled outside of starting a child",
    Pipe=_inherited_only_pipe,
)
lock_pickles_anytime = factory_mutant(
    "lock-pickles-anytime", "a Lock pickles when sent to a running process", Lock=_picklable_lock
)
list_proxy_sent_as_copy = managers_mutant(
    "list-proxy-sent-as-copy",
    "a list proxy sent to another process arrives as a plain copy",
    sync=SnapshotListManager,
)
listener_forgets_client = factory_mutant(
    "listener-forgets-client",
    "Listener.last_accepted is always None",
    connection=_connection_module(Listener=ForgetfulListener),
)

refusal_unnoticed = factory_mutant(
    "refusal-unnoticed",
    "answer_challenge() returns normally when the other end refused the key",
    connection=_connection_module(answer_challenge=lenient_answer),
)
connect_does_nothing = managers_mutant(
    "connect-does-nothing", "BaseManager.connect() does not connect", base=ConnectDoesNothing
)
backlog_ignored = factory_mutant(
    "backlog-ignored",
    "Listener(backlog=n) listens with a queue of 0",
    connection=_connection_module(Listener=NoBacklogListener),
)
fork_lock_unchecked = factory_mutant(
    "fork-lock-unchecked",
    "a fork context's Lock is sent to a spawn child instead of refused",
    get_context=_unchecked_contexts,
)
listener_close_ignored = factory_mutant(
    "listener-close-ignored",
    "Listener.close() does nothing",
    connection=_connection_module(Listener=UnclosableListener),
)


#: Mutants whose bug fork cannot show: the property is about children of other start methods.
START_METHOD: dict[str, str] = {"fork_lock_unchecked": "spawn"}
#: CPython refuses a fork context's lock for other start methods from 3.11 on; the property
#: skips before.
NEEDS_PYTHON: dict[str, tuple[int, int]] = {"fork_lock_unchecked": (3, 11)}
