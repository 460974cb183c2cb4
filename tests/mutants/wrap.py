"""How every mutant is built: stdlib's adapter with some of its contexts' attributes (a
factory, the Process class) or of its modules replaced by ones with a bug."""

from __future__ import annotations

import dataclasses
import functools
import multiprocessing
import multiprocessing.connection
import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from mpconform.adapter import Adapter
from mpconform.adapters import stdlib


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


class SwappedContext(Passthrough):
    """A stdlib context with some attributes replaced; everything else passes through, so a
    mutant's bug cannot leak into the helpers the suite itself uses."""

    def __init__(self, base: Any, replaced: Mapping[str, Any]) -> None:
        self._base = base
        for name, value in replaced.items():
            setattr(self, name, value)


def stdlib_with(
    name: str,
    description: str,
    replaced: Callable[[Any], Mapping[str, Any]] | None = None,
    **fields: Any,
) -> Adapter:
    """An adapter named ``name``: stdlib's, whose every context has ``replaced(context)`` in
    place of its own attributes, and ``fields`` in place of the adapter's (a module with a
    bug). The one way every mutant is built."""
    if replaced is not None:
        swap = replaced

        def get_context(method: str) -> SwappedContext:
            base = multiprocessing.get_context(method)
            return SwappedContext(base, swap(base))

        fields["get_context"] = get_context
    return dataclasses.replace(stdlib.load(), name=name, description=description, **fields)


def factory_mutant(
    name: str,
    description: str,
    connection: ModuleType = multiprocessing.connection,
    **factories: Callable[..., Any],
) -> Adapter:
    """stdlib with ``factories`` in place of the context's own, each called as
    ``factory(base_context, *args, **kwargs)``."""
    return stdlib_with(
        name,
        description,
        lambda base: {n: functools.partial(f, base) for n, f in factories.items()},
        connection=connection,
    )


def mutant(name: str, mixin: type, namespace: dict[str, Any], description: str) -> Adapter:
    """stdlib whose Process is ``mixin`` over the stdlib class.

    ``namespace`` is the calling module's ``globals()``: the generated classes live there, so
    spawn and forkserver, which pickle the Process object, find them by qualified name.
    """
    classes: dict[str, type] = {}
    for method in multiprocessing.get_all_start_methods():
        base = multiprocessing.get_context(method).Process
        cls_name = f"{mixin.__name__}_{method}"
        cls = type(cls_name, (mixin, base), {"__module__": namespace["__name__"]})
        cls.__qualname__ = cls_name
        namespace[cls_name] = cls
        classes[method] = cls
    return stdlib_with(
        name, description, lambda base: {"Process": classes[base.get_start_method()]}
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
