"""Manager mutants: stdlib SyncManager (or BaseManager) with one realistic bug each.

Each module attribute below is an Adapter (use it as ``--mp-backend
mutants.managers:<name>``); ``CAUGHT_BY`` names the Managers properties that must FAIL
against it. ``Manager()`` on a mutant's context starts the mutated SyncManager, and the
mutant's ``managers`` module carries the same class as ``SyncManager`` (and, for the exposed=
mutant, a mutated ``BaseManager``); everything else is stdlib, so a mutant's bug cannot reach
the helpers the suite itself uses.

Mutated classes are module-level so that proxies sent to children unpickle by name; the
meta-tests only use fork, where the mutant ``managers`` module needs no importable name.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import multiprocessing.managers
import multiprocessing.pool
import platform
import queue
from types import ModuleType
from typing import Any

from mpconform.adapter import Adapter

from .wrap import Passthrough, module_like

managers = multiprocessing.managers
SyncManager = managers.SyncManager


class ManagersContext(Passthrough):
    """A stdlib context whose Manager() starts ``manager_class``; everything else passes."""

    def __init__(self, base: Any, manager_class: type) -> None:
        self._base = base
        self._manager_class = manager_class

    def Manager(self) -> Any:
        manager = self._manager_class(ctx=self._base)
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

    def get_context(method: str) -> ManagersContext:
        return ManagersContext(multiprocessing.get_context(method), sync)

    module_name = name.replace("-", "_")
    return Adapter(
        name=name,
        get_context=get_context,
        start_methods=tuple(multiprocessing.get_all_start_methods()),
        version=platform.python_version(),
        connection=multiprocessing.connection,
        pool=multiprocessing.pool,
        managers=managers_module(module_name, SyncManager=sync, BaseManager=base),
        description=description,
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


# The suite modules whose properties CAUGHT_BY names (the meta-tests run them).
SUITE = ("mpconform.conformance.test_managers",)

# Mutant attribute -> the Managers properties that must FAIL against it (under fork).
CAUGHT_BY: dict[str, tuple[str, ...]] = {
    "initializer_ignored": ("test_start_runs_the_initializer_in_the_manager_process",),
    "method_to_typeid_ignored": ("test_register_options_shape_the_proxies_a_manager_returns",),
    "queue_maxsize_ignored": ("test_sync_manager_factories_honour_their_arguments",),
    "array_typecode_ignored": ("test_array_proxy_holds_what_an_array_of_its_typecode_holds",),
    "proxy_str_is_repr": ("test_a_proxy_prints_as_its_referent_and_represents_itself",),
    "list_append_not_atomic": ("test_list_appends_from_several_processes_interleave",),
    "dict_setitem_not_atomic": ("test_dict_operations_from_several_processes_are_atomic",),
    "errors_become_remote_error": (
        "test_list_proxy_behaves_like_a_list",
        "test_dict_proxy_behaves_like_a_dict",
    ),
    "dict_get_ignores_default": ("test_dict_proxy_behaves_like_a_dict",),
    "namespace_writes_stay_local": ("test_namespace_attributes_set_by_children_are_seen",),
    "queue_proxy_lifo": ("test_queue_proxy_is_fifo_across_processes",),
    "shutdown_leaves_process": ("test_shutdown_ends_the_manager_process",),
    "exposed_ignored": ("test_unexposed_method_is_refused",),
}
