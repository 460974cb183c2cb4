"""The one protocol between the harness and a backend.

An adapter is plain data plus one function, so that writing one for a new backend is a few
lines and never touches the harness (the shape pytest-xdist uses for its schedulers).
Capabilities are probed from the API itself: a name the context lacks is a missing
capability. An adapter can also declare a capability unsupported with a reason, for
features that exist by name but cannot work (a thread backend's ``Process.terminate``).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable

from .errors import ConfigError

# The multiprocessing API surface the suite knows how to test. Names whose first part is one of
# SUBMODULES ("pool.ThreadPool") are looked up on the adapter's submodule of that name, other
# "A.B" names on attribute B of context attribute A.
KNOWN_CAPABILITIES: tuple[str, ...] = (
    "Process",
    "Process.start",
    "Process.join",
    "Process.is_alive",
    "Process.terminate",
    "Process.kill",
    "Process.close",
    "Process.exitcode",
    "Process.pid",
    "Process.ident",
    "Process.sentinel",
    "Process.daemon",
    "Process.name",
    "current_process",
    "parent_process",
    "active_children",
    "Queue",
    "SimpleQueue",
    "JoinableQueue",
    "Pipe",
    "Lock",
    "RLock",
    "Semaphore",
    "BoundedSemaphore",
    "Condition",
    "Event",
    "Barrier",
    "Value",
    "Array",
    "RawValue",
    "RawArray",
    "Manager",
    "Pool",
    "connection.wait",
    "connection.Listener",
    "connection.Client",
    "pool.ThreadPool",
    "managers.BaseManager",
    "managers.SyncManager",
    "managers.SharedMemoryManager",
    "shared_memory.SharedMemory",
    "shared_memory.ShareableList",
    "sharedctypes.copy",
    "sharedctypes.synchronized",
)

# Capabilities whose first part names one of the backend's submodules rather than a context
# attribute: they are looked up on the module the adapter supplies for that name.
SUBMODULES: tuple[str, ...] = ("connection", "pool", "managers", "shared_memory", "sharedctypes")

# What a child of each known start method sees of its parent's memory. Used by properties
# that depend on it (a fork child sees module globals mutated before start, a spawn child
# re-imports them fresh, a thread shares them).
MEMORY_MODEL: Mapping[str, str] = {
    "fork": "copied",
    "spawn": "fresh",
    "forkserver": "fresh",
    "thread": "shared",
}


@dataclass(frozen=True)
class Adapter:
    """Describes one backend.

    ``get_context(start_method)`` returns an object exposing the multiprocessing API
    (``Process``, ``Queue``, ``Lock``...), like ``multiprocessing.get_context`` does.
    ``connection``, ``pool``, ``managers``, ``shared_memory`` and ``sharedctypes`` are the
    backend's submodules of those names (``Listener``, ``ThreadPool``, ``BaseManager``,
    ``SharedMemory``, ``copy`` live there, not on a context); None means the backend has none,
    and the properties that need one read UNSUPPORTED.
    ``unsupported`` maps capability names to the reason they cannot work on this backend.
    ``memory_model`` overrides :data:`MEMORY_MODEL` for custom start method names.
    ``lost_worker_timeout`` is the seconds after which the backend's Pool gives up on a task
    whose worker died (raising instead of waiting forever); None when it has no such timeout.
    Fault properties wait that long, and no longer, before calling a lost task lost for good.
    ``areas`` names the report areas the backend takes part in, for a backend that offers only
    part of the API (a Pool on a Ray cluster or on MPI ranks: ``("Pool",)``); the properties
    of every other area read UNSUPPORTED without running. Empty means every area.
    ``max_jobs`` caps the parallel test processes of a run, for a backend whose every process
    would start an expensive service of its own (a Ray cluster); None means no cap.
    ``module`` is the importable module a plain repro script gets the backend's contexts from
    (``module.get_context(method)``), for a backend whose contexts are CPython's objects
    (``torch.multiprocessing`` hands them out after registering its reducers); by default it
    is found from the context's Process class.
    ``extra_payloads`` returns Hypothesis strategies of values the backend's users send through
    its pipes and queues beyond the plain picklable ones (torch tensors); the payload
    properties add them as leaves when this backend runs.
    ``session_start`` starts what the backend needs for a whole test session (a Ray cluster),
    before the first test that uses it and outside any test's process accounting: the
    processes it starts, and those below them, belong to the backend, not to a test.
    ``session_end`` stops it again at the end of the session (or before a test that needs
    the process table to itself); what it leaves behind is reported as left behind. Without
    one, the service ends with the interpreter (MPI, finalized at exit): its processes are
    then not strays of the session either.
    """

    name: str
    get_context: Callable[[str], Any]
    start_methods: tuple[str, ...]
    version: str | None = None
    connection: ModuleType | None = None
    pool: ModuleType | None = None
    managers: ModuleType | None = None
    shared_memory: ModuleType | None = None
    sharedctypes: ModuleType | None = None
    unsupported: Mapping[str, str] = field(default_factory=dict)
    memory_model: Mapping[str, str] = field(default_factory=dict)
    description: str = ""
    lost_worker_timeout: float | None = None
    areas: tuple[str, ...] = ()
    max_jobs: int | None = None
    module: str | None = None
    extra_payloads: Callable[[], tuple[Any, ...]] | None = None
    session_start: Callable[[], None] | None = None
    session_end: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError("adapter name must be a non-empty string")
        if not callable(self.get_context):
            raise ConfigError(f"adapter {self.name!r}: get_context must be callable")
        methods = tuple(self.start_methods)
        if not methods or not all(isinstance(m, str) and m for m in methods):
            raise ConfigError(
                f"adapter {self.name!r}: start_methods must be a non-empty sequence of names"
            )
        object.__setattr__(self, "start_methods", methods)
        object.__setattr__(self, "areas", tuple(self.areas))
        if self.max_jobs is not None and self.max_jobs < 1:
            raise ConfigError(f"adapter {self.name!r}: max_jobs must be at least 1")
        object.__setattr__(self, "unsupported", dict(self.unsupported))
        object.__setattr__(self, "memory_model", dict(self.memory_model))

    def outside(self, area: str) -> str | None:
        """Why properties of ``area`` cannot run on this backend, or None when they can."""
        if not self.areas or area in self.areas:
            return None
        return f"{self.name} provides only {', '.join(self.areas)}: nothing else to check"

    def memory_model_of(self, start_method: str) -> str | None:
        """``copied``, ``fresh`` or ``shared``; None when nobody said (no reference exists)."""
        return self.memory_model.get(start_method, MEMORY_MODEL.get(start_method))

    def missing(self, ctx: Any, capability: str) -> str | None:
        """Why ``capability`` is unavailable on ``ctx``, or None when it is available."""
        if capability in self.unsupported:
            return self.unsupported[capability]
        head, _, rest = capability.partition(".")
        if head in SUBMODULES:
            module = getattr(self, head)
            if module is None:
                return f"{self.name} provides no {head} module"
            obj: Any = module
            path = rest.split(".")
        else:
            obj = ctx
            path = capability.split(".")
        for part in path:
            try:
                obj = getattr(obj, part)
            except AttributeError:
                return f"{self.name} has no {capability}"
            except Exception as exc:  # a broken property is also a missing capability
                return f"{self.name}: looking up {capability} raised {type(exc).__name__}: {exc}"
        return None

    def capabilities(self, ctx: Any) -> dict[str, str | None]:
        """Every known capability mapped to None (available) or the reason it is missing."""
        return {cap: self.missing(ctx, cap) for cap in KNOWN_CAPABILITIES}

    @classmethod
    def from_module(
        cls,
        module: ModuleType,
        *,
        name: str | None = None,
        get_context: Callable[..., Any] | None = None,
    ) -> Adapter:
        """Build an adapter for anything that looks like the ``multiprocessing`` module."""
        get_ctx = get_context or getattr(module, "get_context", None)
        label = name or module.__name__.split(".")[0]
        if get_ctx is None:
            raise ConfigError(
                f"{module.__name__} has no get_context(); name an Adapter as the backend instead"
            )
        all_methods = getattr(module, "get_all_start_methods", None)
        if all_methods is not None:
            methods = tuple(all_methods())
        else:
            methods = (get_ctx().get_start_method(),)
        found: dict[str, Any] = {name: _submodule(module, name) for name in SUBMODULES}
        version = getattr(module, "__version__", None)
        return cls(
            name=label,
            get_context=get_ctx,
            start_methods=methods,
            version=str(version) if version is not None else None,
            **found,
        )


def _submodule(module: ModuleType, name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"{module.__name__}.{name}")
    except ImportError:
        return None
