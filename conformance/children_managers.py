"""Targets and registered types for the Managers properties.

Spawn and forkserver children import this module by name, so it imports only the stdlib and
does nothing at import time beyond defining names. Manager proxies, unlike raw locks and
queues, can be pickled and sent to processes that are already running: long-lived agents
(:func:`serve`) receive a job and fresh proxies per Hypothesis example through their pipe.

Every wait is bounded by :data:`PATIENCE`: an agent whose test died gives up and ends.

A custom manager class must be importable by name in a spawn child (``BaseManager.start()``
pickles ``type(self)._run_server``), yet its base is the backend's ``BaseManager``, which this
module cannot know at import time. :func:`counter_manager` therefore builds one subclass per
backend managers module under a name that encodes the module, and the module-level
``__getattr__`` rebuilds it on demand in a child that unpickles that name. The backend module
is imported then by the name the parent gave, never at import time.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

from mpconform.agents import Reply, Session, outcome
from mpconform.limits import PATIENCE

POLL = 0.05
READY = "ready"
GO = "go"
MANAGER_PREFIX = "CounterManager__"
PROXY = "__Proxy"  # suffix of the proxy type made with each manager class


# -- registered types --------------------------------------------------------------------------


class CounterError(Exception):
    """A user-defined exception: it must reach the caller as itself, not as RemoteError."""


ERRORS: dict[str, type[Exception]] = {
    "ValueError": ValueError,
    "KeyError": KeyError,
    "LookupError": LookupError,
    "CounterError": CounterError,
}


class Counter:
    """A user-defined type served by a custom manager."""

    def __init__(self, start: int = 0) -> None:
        self._count = start

    def increment(self, by: int = 1) -> int:
        self._count += by
        return self._count

    def value(self) -> int:
        return self._count

    def reset(self) -> None:
        self._count = 0

    def fail(self, kind: str, message: str) -> None:
        raise ERRORS[kind](message)

    def copy(self) -> Counter:
        return Counter(self._count)


#: What the manager process's initializer stored (see :func:`set_marker`).
SERVER_MARKER: Any = None


def set_marker(value: Any) -> None:
    """A manager's ``start(initializer, initargs)``: runs in the manager process."""
    global SERVER_MARKER
    SERVER_MARKER = value


class Marker:
    """Served by a manager: what the manager process's initializer stored when it was made."""

    def __init__(self) -> None:
        self._value = SERVER_MARKER

    def value(self) -> Any:
        return self._value


def note_action(path: str) -> None:
    """A Barrier's action, run in the manager process: it leaves a line in ``path``."""
    with open(path, "a") as out:
        out.write("cycle\n")


def _counter_proxy(base_proxy: type, name: str) -> type:
    """A proxy type written as the documentation shows: methods that call ``_callmethod``."""

    def increment(self: Any, by: int = 1) -> int:
        return self._callmethod("increment", kwds={"by": by})

    def value(self: Any) -> int:
        return self._callmethod("value")

    def copy(self: Any) -> Any:
        return self._callmethod("copy", ())

    namespace = {
        "_exposed_": ("increment", "value", "copy"),
        "increment": increment,
        "value": value,
        "copy": copy,
        "__module__": __name__,
        "__qualname__": name,
    }
    proxy = type(name, (base_proxy,), namespace)
    globals()[name] = proxy  # importable by name: a spawn manager unpickles its registry
    return proxy


def _base_proxy(base: type) -> type:
    """The BaseProxy of the managers module ``base`` (or the class it derives from) is from."""
    for cls in base.__mro__:
        proxy = getattr(importlib.import_module(cls.__module__), "BaseProxy", None)
        if proxy is not None:
            return proxy
    raise TypeError(f"{base} derives from no managers module's BaseManager")


def _build_manager(base: type, name: str) -> type:
    cls: Any = type(name, (base,), {"__module__": __name__, "__qualname__": name})
    cls.register("Counter", Counter)
    cls.register("RestrictedCounter", Counter, exposed=("increment", "value"))
    cls.register("Marker", Marker)
    proxy = _counter_proxy(_base_proxy(base), name + PROXY)
    # callable=None: the typeid only wraps what another typeid's method returns.
    cls.register("HiddenCounter", None, proxytype=proxy, create_method=False)
    cls.register(
        "CopyingCounter", Counter, proxytype=proxy, method_to_typeid={"copy": "HiddenCounter"}
    )
    globals()[name] = cls
    return cls


def counter_manager(managers: Any) -> type:
    """The BaseManager subclass of the backend ``managers`` module with Counter registered."""
    name = MANAGER_PREFIX + managers.__name__.replace(".", "__")
    return globals().get(name) or _build_manager(managers.BaseManager, name)


def __getattr__(name: str) -> Any:
    if name.startswith(MANAGER_PREFIX):
        manager = name.removesuffix(PROXY)
        module = importlib.import_module(manager[len(MANAGER_PREFIX) :].replace("__", "."))
        _build_manager(module.BaseManager, manager)
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -- commands --------------------------------------------------------------------------------
# Run by agents (mpconform.agents) that get everything as arguments: manager proxies reach a
# running process, so nothing is passed at start.


def _await_go(session: Session) -> bool:
    """Tell the test this job is ready and wait for the common start signal."""
    session.note(READY)
    return session.receive() == GO


# -- jobs --------------------------------------------------------------------------------------


def append_all(session: Session, proxy: Any, values: list) -> int:
    if not _await_go(session):
        return -1
    for value in values:
        proxy.append(value)
    return len(values)


def apply(target: Any, op: tuple) -> Reply:
    """Apply one operation ``(method, *args)`` to a list or dict, or a proxy of one.

    The same call on a proxy and on a local object end in Replies that compare with
    ``Reply.same``, exceptions included.
    """
    return outcome(_apply, target, op)


def _apply(target: Any, op: tuple) -> Any:
    name, *args = op
    if name == "getslice":
        return target[args[0] : args[1]]
    if name == "setslice":
        target[args[0] : args[1]] = args[2]
        return None
    if name == "sort":
        return target.sort(reverse=args[0])
    result = getattr(target, name)(*args)
    if name in ("keys", "values", "items"):
        return list(result)  # a proxy sends a list; a local dict returns a view
    return result


def apply_all(session: Session, proxy: Any, ops: list) -> list:
    if not _await_go(session):
        return []
    return [apply(proxy, op) for op in ops]


def set_attributes(session: Session, namespace: Any, items: list) -> int:
    if not _await_go(session):
        return -1
    for name, value in items:
        setattr(namespace, name, value)
    return len(items)


def increment_under_lock(
    session: Session, lock: Any, value: Any, array: Any, slot: int, n: int
) -> int:
    """Read-modify-write ``value`` and ``array[slot]`` ``n`` times, each under ``lock``."""
    if not _await_go(session):
        return -1
    for _ in range(n):
        with lock:
            value.value = value.value + 1
            array[slot] = array[slot] + 1
    return n


def mutate_nested(session: Session, outer: Any, items: list) -> int:
    """Write through the dict proxy found at ``outer[0]``: a nested proxy."""
    inner = outer[0]
    for key, value in items:
        inner[key] = value
    return len(items)


def fill(d: Any, lst: Any, ns: Any, items: list) -> None:
    """A Process target given proxies as arguments, as in the documentation's example."""
    for key, value in items:
        d[key] = value
    lst.reverse()
    ns.filled = len(items)


def put_all(session: Session, q: Any, values: list) -> int:
    for value in values:
        q.put(value)
    return len(values)


def consume_all(session: Session, q: Any, count: int) -> list:
    """Get ``count`` items, calling task_done() after each (for JoinableQueue)."""
    got = []
    for _ in range(count):
        got.append(q.get(timeout=PATIENCE))
        if callable(getattr(q, "task_done", None)):
            q.task_done()
    return got


def hold(session: Session, lock: Any) -> bool:
    """Acquire ``lock``, say so, keep it until the test says GO, then release it."""
    if not lock.acquire(timeout=PATIENCE):
        return False
    try:
        session.note("held")
        return session.receive() == GO
    finally:
        lock.release()


def wait_event(session: Session, event: Any) -> tuple[bool, bool]:
    """Report is_set() before waiting, then the result of a bounded wait()."""
    before = event.is_set()
    session.note(("before", before))
    return before, event.wait(PATIENCE)


def wait_condition(session: Session, condition: Any) -> bool:
    """Say "waiting" while holding the condition's lock, then wait().

    The test can only take the lock to notify once wait() released it, so the notification
    cannot be sent before this process waits for it.
    """
    with condition:
        session.note("waiting")
        return bool(condition.wait(PATIENCE))


def pass_barrier(session: Session, barrier: Any) -> int:
    session.note(READY)
    return barrier.wait(PATIENCE)


def use_counter(session: Session | None, counter: Any, steps: list) -> list[Reply]:
    """Apply ("increment", n) / ("value",) / ("fail", kind, message) steps; how each ended."""
    return [outcome(getattr(counter, step[0]), *step[1:]) for step in steps]


_KEPT: dict[str, Any] = {}


def keep(session: Session, key: str, proxy: Any) -> int:
    """Hold on to a proxy (and its connection to the manager) for later jobs."""
    _KEPT[key] = proxy
    return len(proxy)


def call_kept(session: Session, key: str, method: str) -> str:
    """Call a method of a kept proxy, whose manager may be gone (the Reply says how it ended)."""
    return repr(getattr(_KEPT.pop(key), method)())


COMMANDS: dict[str, Callable[..., Any]] = {
    f.__name__: f
    for f in (
        append_all,
        apply_all,
        set_attributes,
        increment_under_lock,
        mutate_nested,
        put_all,
        consume_all,
        hold,
        wait_event,
        wait_condition,
        pass_barrier,
        use_counter,
        keep,
        call_kept,
    )
}
