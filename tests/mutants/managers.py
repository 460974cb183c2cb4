"""Manager mutants: stdlib SyncManager (or BaseManager) with one realistic bug each.

Each module attribute below is an Adapter (use it as ``--mp-backend mutants.managers:<name>``);
the Managers properties that must FAIL against it name it in an ``mp_catches`` marker.
``Manager()`` on a mutant's context starts the mutated SyncManager, and the mutant's
``managers`` module carries the same class as ``SyncManager`` (and, for the exposed= mutant, a
mutated ``BaseManager``); everything else is stdlib, so a mutant's bug cannot reach the helpers
the suite itself uses.

Mutated classes are module-level so that proxies sent to children unpickle by name; the
meta-tests only use fork, where the mutant ``managers`` module needs no importable name.
"""

from __future__ import annotations

import functools
import multiprocessing
import multiprocessing.connection
import multiprocessing.managers
import multiprocessing.pool
import queue
from types import ModuleType
from typing import Any

from mpconform.adapter import Adapter

from .wrap import module_like, stdlib_with

managers = multiprocessing.managers
SyncManager = managers.SyncManager


def _started(manager_class: type, base: Any) -> Any:
    """``base.Manager()`` as a context whose SyncManager is ``manager_class`` starts it."""
    manager = manager_class(ctx=base)
    manager.start()
    return manager


# -- proxies -----------------------------------------------------------------------------------


class RacyListProxy(managers.ListProxy):
    """append() reads the whole list, adds the item locally and writes the list back, as a
    client-side convenience wrapper would: two processes appending at once lose items."""

    def append(self, value: Any) -> None:
        whole = slice(None)
        snapshot = self._callmethod("__getitem__", (whole,))
        self._callmethod("__setitem__", (whole, [*snapshot, value]))


class SnapshotDictProxy(managers.DictProxy):
    """d[k] = v copies the whole dict, sets the key locally and writes the copy back (clear,
    then update), as a wrapper keeping a local mirror would: concurrent writes are lost."""

    def __setitem__(self, key: Any, value: Any) -> None:
        snapshot = self._callmethod("copy")
        snapshot[key] = value
        self._callmethod("clear")
        self._callmethod("update", (snapshot,))


class ErrorsWrapped:
    """Every error the manager reports is raised as RemoteError with the original's text, as
    a server that sends tracebacks instead of exception objects does: callers catching
    IndexError or KeyError no longer catch anything. Connection errors pass unchanged."""

    def _callmethod(self, methodname: str, args: tuple = (), kwds: Any = None) -> Any:
        try:
            return super()._callmethod(methodname, args, kwds or {})  # type: ignore[misc]
        except (OSError, EOFError):
            raise
        except Exception as exc:
            raise managers.RemoteError(f"{type(exc).__name__}: {exc}") from None


class RemoteErrorListProxy(ErrorsWrapped, managers.ListProxy):
    pass


class RemoteErrorDictProxy(ErrorsWrapped, managers.DictProxy):
    pass


class DefaultlessDictProxy(managers.DictProxy):
    """get(key, default) forwards only the key, so a missing key gives None, not default."""

    def get(self, key: Any, default: Any = None) -> Any:
        return self._callmethod("get", (key,))


class LocalNamespaceProxy(managers.NamespaceProxy):
    """Attribute writes land on the local proxy object and never reach the manager: the
    writing process reads them back, no other process ever sees them."""

    def __setattr__(self, key: str, value: Any) -> None:
        object.__setattr__(self, key, value)


# -- managers ----------------------------------------------------------------------------------


class AppendNotAtomicManager(SyncManager):
    pass


AppendNotAtomicManager.register("list", list, RacyListProxy)


class SnapshotDictManager(SyncManager):
    pass


SnapshotDictManager.register("dict", dict, SnapshotDictProxy)


class RemoteErrorManager(SyncManager):
    pass


RemoteErrorManager.register("list", list, RemoteErrorListProxy)
RemoteErrorManager.register("dict", dict, RemoteErrorDictProxy)


class DefaultlessGetManager(SyncManager):
    pass


DefaultlessGetManager.register("dict", dict, DefaultlessDictProxy)


class LocalNamespaceManager(SyncManager):
    pass


LocalNamespaceManager.register("Namespace", managers.Namespace, LocalNamespaceProxy)


class LifoQueueManager(SyncManager):
    """Queue and JoinableQueue are served by a LIFO queue: the last item put is got first."""


LifoQueueManager.register("Queue", queue.LifoQueue)
LifoQueueManager.register("JoinableQueue", queue.LifoQueue)


class ShutdownForgetsProcessManager(SyncManager):
    """shutdown() marks the manager shut down without telling its process, which runs on."""

    @staticmethod
    def _finalize_manager(
        process: Any, address: Any, authkey: Any, state: Any, _Client: Any, *rest: Any
    ) -> None:
        state.value = managers.State.SHUTDOWN


class ExposedIgnoredManager(managers.BaseManager):
    """register() drops exposed=, so every public method of the type can be called."""

    @classmethod
    def register(  # type: ignore[override]
        cls,
        typeid: str,
        callable: Any = None,
        proxytype: Any = None,
        exposed: Any = None,
        method_to_typeid: Any = None,
        create_method: bool = True,
    ) -> None:
        super().register(typeid, callable, proxytype, None, method_to_typeid, create_method)


class InitializerIgnored(managers.BaseManager):
    """start(initializer, initargs) starts the manager without calling the initializer."""

    def start(self, initializer: Any = None, initargs: tuple = ()) -> None:
        super().start()


class MethodToTypeidIgnored(managers.BaseManager):
    """register() drops method_to_typeid: such methods return copies, not proxies."""

    @classmethod
    def register(  # type: ignore[override]
        cls,
        typeid: str,
        callable: Any = None,
        proxytype: Any = None,
        exposed: Any = None,
        method_to_typeid: Any = None,
        create_method: bool = True,
    ) -> None:
        super().register(typeid, callable, proxytype, exposed, None, create_method)


class UnboundedQueueManager(SyncManager):
    """Queue(maxsize) is unbounded."""


UnboundedQueueManager.register("Queue", lambda maxsize=0: queue.Queue())


class ArrayTypecodeIgnoredManager(SyncManager):
    """Array(typecode, sequence) keeps the sequence as a list: any value of any type is kept."""


ArrayTypecodeIgnoredManager.register(
    "Array", lambda typecode, sequence, lock=True: list(sequence), managers.ArrayProxy
)


class StrIsReprListProxy(managers.ListProxy):
    """str() of a list proxy is the proxy's repr()."""

    def __str__(self) -> str:
        return repr(self)


class StrIsReprManager(SyncManager):
    pass


StrIsReprManager.register("list", list, StrIsReprListProxy)


# -- adapters ----------------------------------------------------------------------------------


def managers_module(name: str, **overrides: Any) -> ModuleType:
    """stdlib ``multiprocessing.managers`` with some names replaced (see wrap.module_like)."""
    return module_like(managers, f"{__name__}.{name}", **overrides)


def managers_mutant(
    name: str, description: str, sync: type = SyncManager, base: type = managers.BaseManager
) -> Adapter:
    """An adapter named ``name``: stdlib whose SyncManager is ``sync``, BaseManager ``base``."""

    return stdlib_with(
        name,
        description,
        lambda context: {"Manager": functools.partial(_started, sync, context)},
        managers=managers_module(name.replace("-", "_"), SyncManager=sync, BaseManager=base),
    )


list_append_not_atomic = managers_mutant(
    "list-append-not-atomic",
    "ListProxy.append() rewrites the whole list from the client",
    AppendNotAtomicManager,
)
dict_setitem_not_atomic = managers_mutant(
    "dict-setitem-not-atomic",
    "DictProxy.__setitem__ rewrites the whole dict from the client",
    SnapshotDictManager,
)
errors_become_remote_error = managers_mutant(
    "errors-become-remote-error",
    "list and dict proxies raise RemoteError for every error inside the manager",
    RemoteErrorManager,
)
dict_get_ignores_default = managers_mutant(
    "dict-get-ignores-default",
    "DictProxy.get(key, default) returns None for a missing key",
    DefaultlessGetManager,
)
namespace_writes_stay_local = managers_mutant(
    "namespace-writes-stay-local",
    "NamespaceProxy attribute writes never reach the manager",
    LocalNamespaceManager,
)
queue_proxy_lifo = managers_mutant(
    "queue-proxy-lifo", "Queue and JoinableQueue proxies are LIFO", LifoQueueManager
)
shutdown_leaves_process = managers_mutant(
    "shutdown-leaves-process",
    "shutdown() and leaving a with block leave the manager process running",
    ShutdownForgetsProcessManager,
)
exposed_ignored = managers_mutant(
    "exposed-ignored",
    "BaseManager.register() ignores exposed=",
    base=ExposedIgnoredManager,
)

initializer_ignored = managers_mutant(
    "initializer-ignored", "BaseManager.start() ignores its initializer", base=InitializerIgnored
)
method_to_typeid_ignored = managers_mutant(
    "method-to-typeid-ignored",
    "BaseManager.register() ignores method_to_typeid",
    base=MethodToTypeidIgnored,
)
queue_maxsize_ignored = managers_mutant(
    "queue-maxsize-ignored", "SyncManager.Queue(maxsize) is unbounded", sync=UnboundedQueueManager
)
proxy_str_is_repr = managers_mutant(
    "proxy-str-is-repr", "str() of a list proxy is its repr()", sync=StrIsReprManager
)
array_typecode_ignored = managers_mutant(
    "array-typecode-ignored",
    "SyncManager.Array() ignores its typecode and keeps a list",
    sync=ArrayTypecodeIgnoredManager,
)
