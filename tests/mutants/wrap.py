"""Builds a stdlib-backed adapter whose Process class carries one injected bug.

The mutated class must be importable by qualified name (spawn and forkserver pickle the
Process object), so one subclass per start method is created at import time and bound to a
module-level name of the mutant's module.
"""

from __future__ import annotations

import functools
import multiprocessing
import multiprocessing.connection
import platform
import sys
from types import ModuleType
from typing import Any, Callable

from mpconform.adapter import Adapter


class Passthrough:
    """A stdlib context (``self._base``) with some attributes of its own; the rest passes
    through. Dunder names do not, so that the wrapper pickles and unpickles as itself (a
    property may send its context to a child): unpickling looks up ``__setstate__`` before
    ``_base`` exists."""

    _base: Any

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_base":
            raise AttributeError(name)
        return getattr(self._base, name)


class MutantContext(Passthrough):
    """A stdlib context with its Process class swapped; everything else passes through."""

    def __init__(self, base: Any, process_class: type) -> None:
        self._base = base
        self.Process = process_class


def mutant(name: str, mixin: type, namespace: dict[str, Any], description: str) -> Adapter:
    """An adapter named ``name`` whose Process is ``mixin`` over the stdlib class.

    ``namespace`` is the calling module's ``globals()``: the generated classes live there.
    """
    classes: dict[str, type] = {}
    for method in multiprocessing.get_all_start_methods():
        base = multiprocessing.get_context(method).Process
        cls_name = f"{mixin.__name__}_{method}"
        cls = type(cls_name, (mixin, base), {"__module__": namespace["__name__"]})
        cls.__qualname__ = cls_name
        namespace[cls_name] = cls
        classes[method] = cls

    def get_context(method: str) -> MutantContext:
        return MutantContext(multiprocessing.get_context(method), classes[method])

    return Adapter(
        name=name,
        get_context=get_context,
        start_methods=tuple(classes),
        version=platform.python_version(),
        connection=multiprocessing.connection,
        description=description,
    )


class SwappedContext(Passthrough):
    """A stdlib context with some factories swapped; everything else passes through, so a
    mutant's bug cannot leak into the helpers the suite itself uses.

    Each factory is called as ``factory(base_context, *args, **kwargs)``.
    """

    def __init__(self, base: Any, factories: dict[str, Callable[..., Any]]) -> None:
        self._base = base
        for name, factory in factories.items():
            setattr(self, name, functools.partial(factory, base))


def factory_mutant(
    name: str,
    description: str,
    connection: ModuleType = multiprocessing.connection,
    **factories: Callable[..., Any],
) -> Adapter:
    """An adapter named ``name``: stdlib with ``factories`` swapped into every context."""

    def get_context(method: str) -> SwappedContext:
        return SwappedContext(multiprocessing.get_context(method), factories)

    return Adapter(
        name=name,
        get_context=get_context,
        start_methods=tuple(multiprocessing.get_all_start_methods()),
        version=platform.python_version(),
        connection=connection,
        description=description,
    )


def module_like(base: ModuleType, name: str, **overrides: Any) -> ModuleType:
    """A copy of stdlib module ``base`` named ``name``, with some names replaced.

    The real module is left untouched, so the suite's own helpers stay correct. The copy is
    registered in ``sys.modules``: a child that imports the backend's module by name (a
    manager server, a shared_memory agent) gets the same bug, and a spawn child, which
    re-imports the mutants' module, finds it registered again.
    """
    module = ModuleType(name)
    module.__dict__.update((k, v) for k, v in vars(base).items() if not k.startswith("__"))
    module.__dict__.update(overrides)
    sys.modules[name] = module
    return module
