"""The ``mp`` argument every conformance test receives: one backend under one start method.

Attribute access forwards to the backend's context, so a property reads like the code a user
writes (``mp.Process(target=f)``). A name the backend lacks raises Unsupported, which ends
the test as UNSUPPORTED instead of an AttributeError failure.
"""

from __future__ import annotations

import functools
import importlib
import multiprocessing.dummy
from typing import Any

from .adapter import KNOWN_CAPABILITIES, SUBMODULES, Adapter
from .outcomes import Unsupported

API_NAMES = frozenset(c.split(".")[0] for c in KNOWN_CAPABILITIES) | {
    "AuthenticationError",
    "BufferTooShort",
    "ProcessError",
    "TimeoutError",
    "allow_connection_pickling",
    "cpu_count",
    "freeze_support",
    "get_all_start_methods",
    "get_context",
    "get_logger",
    "get_start_method",
    "log_to_stderr",
    "set_executable",
    "set_forkserver_preload",
    "set_start_method",
}


class Target:
    def __init__(self, adapter: Adapter, start_method: str, spec: str | None = None) -> None:
        self.adapter = adapter
        self.start_method = start_method
        #: What the user named the backend by (a module:attr for a custom one), so that a
        #: property can load the same backend in an interpreter of its own.
        self.spec = spec or adapter.name

    @property
    def id(self) -> str:
        return f"{self.adapter.name}-{self.start_method}"

    def __repr__(self) -> str:
        return f"<mp {self.id}>"

    @functools.cached_property
    def ctx(self) -> Any:
        return self.adapter.get_context(self.start_method)

    @functools.cached_property
    def module(self) -> str:
        """The importable module a plain script uses for this backend (``billiard``,
        ``multiprocessing.dummy``), or "" when there is none: only when that module's own
        ``get_context`` hands out this very context. A wrapped context (a mutant, a custom
        adapter) keeps CPython's Process class, and a script importing ``multiprocessing``
        would test CPython instead; loky's contexts come from a submodule."""
        if self.adapter.module is not None:
            return self.adapter.module
        if self.start_method == "thread":
            found = "multiprocessing.dummy" if self.ctx is multiprocessing.dummy else ""
            return found
        process = getattr(self.ctx, "Process", None)  # a Pool-only backend has none
        root = str(getattr(process, "__module__", "")).split(".")[0]
        if not root:
            return ""
        try:
            same = importlib.import_module(root).get_context(self.start_method) is self.ctx
        except Exception:  # not importable, no get_context, or it refuses the method
            same = False
        return root if same else ""

    @property
    def connection(self) -> Any:
        self.require("connection")
        return self.adapter.connection

    @property
    def pool(self) -> Any:
        """The backend's ``pool`` module (``ThreadPool`` lives there, not on the context)."""
        self.require("pool")
        return self.adapter.pool

    @property
    def managers(self) -> Any:
        """The backend's ``managers`` module, for ``BaseManager`` subclasses."""
        self.require("managers")
        return self.adapter.managers

    @property
    def shared_memory(self) -> Any:
        """The backend's ``shared_memory`` module (``SharedMemory``, ``ShareableList``)."""
        self.require("shared_memory")
        return self.adapter.shared_memory

    @property
    def sharedctypes(self) -> Any:
        """The backend's ``sharedctypes`` module (``copy``, ``synchronized``)."""
        self.require("sharedctypes")
        return self.adapter.sharedctypes

    @property
    def memory_model(self) -> str | None:
        return self.adapter.memory_model_of(self.start_method)

    def missing(self, capability: str) -> str | None:
        if capability in SUBMODULES:
            found = getattr(self.adapter, capability) is not None
            return None if found else f"{self.adapter.name} provides no {capability} module"
        return self.adapter.missing(self.ctx, capability)

    def require(self, *capabilities: str) -> None:
        """End the test as UNSUPPORTED unless every capability is available."""
        for cap in capabilities:
            reason = self.missing(cap)
            if reason is not None:
                raise Unsupported(f"{cap}: {reason}")

    def __getattr__(self, name: str) -> Any:
        # Only multiprocessing API names become UNSUPPORTED; anything else (tools probing
        # objects, e.g. Hypothesis checking for mocks) gets the AttributeError it expects.
        if name not in API_NAMES:
            raise AttributeError(name)
        self.require(name)
        return getattr(self.ctx, name)
