"""The documented API of ``multiprocessing``: what the suite measures its coverage against.

Built from the library reference itself (``Doc/library/multiprocessing.rst`` and
``multiprocessing.shared_memory.rst``, revisions in :data:`SOURCES`), section by section and
directive by directive (``.. class::``, ``.. method::``, ``.. function::``, ``.. attribute::``,
``.. exception::``), not from ``dir()``: an undocumented name is not a promise, and a
documented one the implementation happens to lack is still one. Names are relative to
``multiprocessing``; a documented submodule keeps its prefix (``connection.Connection.poll``,
``pool.Pool.map``), like the adapter's capability names.

Each documented parameter is an element of its own, written ``Queue.get(timeout)``: covering a
method means checking what the documentation promises for each of its parameters (their
special values: None, zero, negative, omitted), not only calling it once.

Elements added after Python 3.9 carry the version that documents them first (``since``, or
``param_since`` for a parameter), so the coverage of a run is counted against the
documentation of the Python it ran on.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

SOURCES = {
    "Doc/library/multiprocessing.rst": "ab6b5e1e55aad548b6a22c03072279593142167f",
    "Doc/library/multiprocessing.shared_memory.rst": "c4a8f9a32f35112f14184cd0809addb18ffb633d",
}
#: The Python versions whose documentation the inventory follows.
PYTHONS = ((3, 9), (3, 10), (3, 11), (3, 12), (3, 13))


@dataclass(frozen=True)
class Element:
    """One documented directive: its name, kind and documented parameters."""

    name: str
    kind: str  # class, function, method, attribute, exception
    params: tuple[str, ...] = ()
    since: tuple[int, int] = (3, 9)
    param_since: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    note: str = ""  # what decides whether it can be observed on Linux (e.g. "Windows only")

    def parts(self, python: tuple[int, int]) -> Iterator[str]:
        """The element's name, then one ``name(param)`` per parameter that ``python`` documents."""
        if python < self.since:
            return
        yield self.name
        for param in self.params:
            if python >= self.param_since.get(param, self.since):
                yield f"{self.name}({param})"


E = Element

#: The reference, section by section, in the order of the page.
SECTIONS: dict[str, tuple[Element, ...]] = {
    "Process and exceptions": (
        E("Process", "class", params=("group", "target", "name", "args", "kwargs", "daemon")),
        E("Process.run", "method"),
        E("Process.start", "method"),
        E("Process.join", "method", params=("timeout",)),
        E("Process.name", "attribute"),
        E("Process.is_alive", "method"),
        E("Process.daemon", "attribute"),
        E("Process.pid", "attribute"),
        E("Process.exitcode", "attribute"),
        E("Process.authkey", "attribute"),
        E("Process.sentinel", "attribute"),
        E("Process.terminate", "method"),
        E("Process.kill", "method"),
        E("Process.close", "method"),
        E("ProcessError", "exception"),
        E("BufferTooShort", "exception"),
        E("AuthenticationError", "exception"),
        E("TimeoutError", "exception"),
    ),
    "Pipes and Queues": (
        E("Pipe", "function", params=("duplex",)),
        E("Queue", "class", params=("maxsize",)),
        E("Queue.qsize", "method", note="may raise NotImplementedError on macOS"),
        E("Queue.empty", "method"),
        E("Queue.full", "method"),
        E("Queue.put", "method", params=("obj", "block", "timeout")),
        E("Queue.put_nowait", "method", params=("obj",)),
        E("Queue.get", "method", params=("block", "timeout")),
        E("Queue.get_nowait", "method"),
        E("Queue.close", "method"),
        E("Queue.join_thread", "method"),
        E("Queue.cancel_join_thread", "method"),
        E("SimpleQueue", "class"),
        E("SimpleQueue.close", "method"),
        E("SimpleQueue.empty", "method"),
        E("SimpleQueue.get", "method"),
        E("SimpleQueue.put", "method", params=("item",)),
        E("JoinableQueue", "class", params=("maxsize",)),
        E("JoinableQueue.task_done", "method"),
        E("JoinableQueue.join", "method"),
    ),
    "Miscellaneous": (
        E("active_children", "function"),
        E("cpu_count", "function"),
        E("current_process", "function"),
        E("parent_process", "function"),
        E("freeze_support", "function", note="Windows only (no effect on other OSes)"),
        E("get_all_start_methods", "function"),
        E("get_context", "function", params=("method",)),
        E("get_start_method", "function", params=("allow_none",)),
        E("set_executable", "function", params=("executable",)),
        E("set_forkserver_preload", "function", params=("module_names",)),
        E("set_start_method", "function", params=("method",)),
    ),
    "Connection Objects": (
        E("connection.Connection", "class"),
        E("connection.Connection.send", "method", params=("obj",)),
        E("connection.Connection.recv", "method"),
        E("connection.Connection.fileno", "method"),
        E("connection.Connection.close", "method"),
        E("connection.Connection.poll", "method", params=("timeout",)),
        E("connection.Connection.send_bytes", "method", params=("buffer", "offset", "size")),
        E("connection.Connection.recv_bytes", "method", params=("maxlength",)),
        E("connection.Connection.recv_bytes_into", "method", params=("buffer", "offset")),
    ),
    "Synchronization primitives": (
        E("Barrier", "class", params=("parties", "action", "timeout")),
        E(
            "BoundedSemaphore",
            "class",
            params=("value",),
            note="macOS: indistinguishable from Semaphore",
        ),
        E("Condition", "class", params=("lock",), note="alias of threading.Condition"),
        E("Event", "class"),
        E("Lock", "class"),
        E("Lock.acquire", "method", params=("block", "timeout")),
        E("Lock.release", "method"),
        E("RLock", "class"),
        E("RLock.acquire", "method", params=("block", "timeout")),
        E("RLock.release", "method"),
        E("Semaphore", "class", params=("value",)),
    ),
    "Shared ctypes Objects": (
        E("Value", "function", params=("typecode_or_type", "args", "lock")),
        E("Array", "function", params=("typecode_or_type", "size_or_initializer", "lock")),
    ),
    "The multiprocessing.sharedctypes module": (
        E("sharedctypes.RawArray", "function", params=("typecode_or_type", "size_or_initializer")),
        E("sharedctypes.RawValue", "function", params=("typecode_or_type", "args")),
        E(
            "sharedctypes.Array",
            "function",
            params=("typecode_or_type", "size_or_initializer", "lock"),
        ),
        E("sharedctypes.Value", "function", params=("typecode_or_type", "args", "lock")),
        E("sharedctypes.copy", "function", params=("obj",)),
        E("sharedctypes.synchronized", "function", params=("obj", "lock")),
    ),
    "Managers": (
        E("Manager", "function"),
        E("managers.BaseManager", "class", params=("address", "authkey")),
        E("managers.BaseManager.start", "method", params=("initializer", "initargs")),
        E("managers.BaseManager.get_server", "method"),
        E("managers.BaseManager.connect", "method"),
        E("managers.BaseManager.shutdown", "method"),
        E(
            "managers.BaseManager.register",
            "method",
            params=(
                "typeid",
                "callable",
                "proxytype",
                "exposed",
                "method_to_typeid",
                "create_method",
            ),
        ),
        E("managers.BaseManager.address", "attribute"),
        E("managers.SyncManager", "class"),
        E("managers.SyncManager.Barrier", "method", params=("parties", "action", "timeout")),
        E("managers.SyncManager.BoundedSemaphore", "method", params=("value",)),
        E("managers.SyncManager.Condition", "method", params=("lock",)),
        E("managers.SyncManager.Event", "method"),
        E("managers.SyncManager.Lock", "method"),
        E("managers.SyncManager.Namespace", "method"),
        E("managers.SyncManager.Queue", "method", params=("maxsize",)),
        E("managers.SyncManager.RLock", "method"),
        E("managers.SyncManager.Semaphore", "method", params=("value",)),
        E("managers.SyncManager.Array", "method", params=("typecode", "sequence")),
        E("managers.SyncManager.Value", "method", params=("typecode", "value")),
        E("managers.SyncManager.dict", "method", params=("mapping", "sequence")),
        E("managers.SyncManager.list", "method", params=("sequence",)),
        E("managers.Namespace", "class"),
    ),
    "Proxy Objects": (
        E("managers.BaseProxy", "class", note="abstract/for subclasses"),
        E(
            "managers.BaseProxy._callmethod",
            "method",
            params=("methodname", "args", "kwds"),
            note="private helper documented",
        ),
        E("managers.BaseProxy._getvalue", "method", note="private helper documented"),
        E("managers.BaseProxy.__repr__", "method"),
        E("managers.BaseProxy.__str__", "method"),
    ),
    "Process Pools": (
        E(
            "pool.Pool",
            "class",
            params=("processes", "initializer", "initargs", "maxtasksperchild", "context"),
        ),
        E("pool.Pool.apply", "method", params=("func", "args", "kwds")),
        E(
            "pool.Pool.apply_async",
            "method",
            params=("func", "args", "kwds", "callback", "error_callback"),
        ),
        E("pool.Pool.map", "method", params=("func", "iterable", "chunksize")),
        E(
            "pool.Pool.map_async",
            "method",
            params=("func", "iterable", "chunksize", "callback", "error_callback"),
        ),
        E("pool.Pool.imap", "method", params=("func", "iterable", "chunksize")),
        E("pool.Pool.imap_unordered", "method", params=("func", "iterable", "chunksize")),
        E("pool.Pool.starmap", "method", params=("func", "iterable", "chunksize")),
        E(
            "pool.Pool.starmap_async",
            "method",
            params=("func", "iterable", "chunksize", "callback", "error_callback"),
        ),
        E("pool.Pool.close", "method"),
        E("pool.Pool.terminate", "method"),
        E("pool.Pool.join", "method"),
        E("pool.AsyncResult", "class"),
        E("pool.AsyncResult.get", "method", params=("timeout",)),
        E("pool.AsyncResult.wait", "method", params=("timeout",)),
        E("pool.AsyncResult.ready", "method"),
        E("pool.AsyncResult.successful", "method"),
    ),
    "Listeners and Clients": (
        E("connection.deliver_challenge", "function", params=("connection", "authkey")),
        E("connection.answer_challenge", "function", params=("connection", "authkey")),
        E("connection.Client", "function", params=("address", "family", "authkey")),
        E("connection.Listener", "class", params=("address", "family", "backlog", "authkey")),
        E("connection.Listener.accept", "method"),
        E("connection.Listener.close", "method"),
        E("connection.Listener.address", "attribute"),
        E("connection.Listener.last_accepted", "attribute"),
        E("connection.wait", "function", params=("object_list", "timeout")),
    ),
    "Logging": (
        E("get_logger", "function"),
        E("log_to_stderr", "function", params=("level",)),
    ),
    "The multiprocessing.dummy module": (
        E("pool.ThreadPool", "class", params=("processes", "initializer", "initargs")),
    ),
    "multiprocessing.shared_memory": (
        E(
            "shared_memory.SharedMemory",
            "class",
            params=("name", "create", "size", "track"),
            param_since={"track": (3, 13)},
        ),
        E("shared_memory.SharedMemory.close", "method"),
        E("shared_memory.SharedMemory.unlink", "method"),
        E("shared_memory.SharedMemory.buf", "attribute"),
        E("shared_memory.SharedMemory.name", "attribute"),
        E("shared_memory.SharedMemory.size", "attribute"),
        E("managers.SharedMemoryManager", "class", params=("address", "authkey")),
        E("managers.SharedMemoryManager.SharedMemory", "method", params=("size",)),
        E("managers.SharedMemoryManager.ShareableList", "method", params=("sequence",)),
        E("shared_memory.ShareableList", "class", params=("sequence", "name")),
        E("shared_memory.ShareableList.count", "method", params=("value",)),
        E("shared_memory.ShareableList.index", "method", params=("value",)),
        E("shared_memory.ShareableList.format", "attribute"),
        E("shared_memory.ShareableList.shm", "attribute"),
    ),
}


#: Why a documented element has no property: what makes it impossible to observe here.
REASONS: dict[str, str] = {
    "freeze_support": (
        "Windows only: the documentation says it has no effect on any other operating system, "
        "so on Linux there is nothing it could be seen to do or fail to do"
    ),
    "managers.SyncManager.Value(typecode)": (
        "CPython's manager Value only stores the typecode (Lib/multiprocessing/managers.py, 3.9 "
        "to 3.13): any value of any type is accepted and returned unchanged, so nothing the "
        "documentation promises depends on it (only the repr of the server-side object shows it)"
    ),
}


def documented(python: tuple[int, int] | None = None) -> dict[str, str]:
    """Every element and parameter the documentation of ``python`` (default: the running one)
    lists, mapped to the section that lists it."""
    version = python or sys.version_info[:2]
    return {
        part: section
        for section, elements in SECTIONS.items()
        for element in elements
        for part in element.parts(version)
    }


@functools.cache
def everything() -> frozenset[str]:
    """Every name any supported Python documents: what an ``mp_api`` marker may name."""
    return frozenset(name for python in PYTHONS for name in documented(python))
