"""Turns a ``--backend`` value into an :class:`Adapter`, or one readable ConfigError.

Three spellings are accepted, tried in this order: a built-in name (``stdlib``), a name
registered by a third-party package in the ``mpconform.adapters`` entry-point group, and
``module:attr`` where attr is an Adapter, a zero-argument factory returning one, or a
``get_context`` function of a multiprocessing-like module.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
from dataclasses import dataclass
from typing import Any

from .adapter import Adapter
from .errors import BackendNotInstalled, ConfigError

ENTRY_POINT_GROUP = "mpconform.adapters"


def _builtin() -> dict[str, str]:
    from mpconform.adapters import BUILTIN

    return BUILTIN


def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    if sys.version_info >= (3, 10):
        eps = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    else:  # pragma: no cover - 3.9 returns a dict of groups
        eps = importlib.metadata.entry_points().get(ENTRY_POINT_GROUP, [])
    return {ep.name: ep for ep in eps}


def known_names() -> list[str]:
    return list(_builtin()) + sorted(set(_entry_points()) - set(_builtin()))


def resolve(spec: str) -> Adapter:
    """Load the adapter named by ``spec``; raises ConfigError with a fix on bad input."""
    spec = spec.strip()
    if not spec:
        raise ConfigError("empty backend name; use e.g. stdlib")
    builtin = _builtin()
    if spec in builtin:
        module = importlib.import_module(builtin[spec])
        return _checked(module.load(), spec)
    eps = _entry_points()
    if spec in eps:
        try:
            obj = eps[spec].load()
        except Exception as exc:
            raise ConfigError(
                f"backend {spec!r} (entry point {eps[spec].value}) failed to import: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        return _from_object(obj, spec, module=None, attr=None)
    if ":" in spec:
        return _from_path(spec)
    raise ConfigError(
        f"unknown backend {spec!r}; known: {', '.join(known_names())}; "
        "or give module:attr (see 'mpconform backends')"
    )


def _from_path(spec: str) -> Adapter:
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ConfigError(f"backend {spec!r} must look like package.module:attribute")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"backend {spec!r}: cannot import module {module_name!r} ({exc}); "
            "is it installed and on sys.path?"
        ) from exc
    except Exception as exc:
        raise ConfigError(
            f"backend {spec!r}: importing {module_name!r} raised {type(exc).__name__}: {exc}"
        ) from exc
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigError(f"backend {spec!r}: module {module_name!r} has no {attr!r}") from None
    return _from_object(obj, spec, module=module, attr=attr)


def _from_object(obj: Any, spec: str, module: Any, attr: str | None) -> Adapter:
    if isinstance(obj, Adapter):
        return obj
    if hasattr(obj, "get_context") and hasattr(obj, "Process") and not callable(obj):
        return _checked(Adapter.from_module(obj), spec)  # an entry point naming a module
    if attr is not None and attr.rsplit(".", 1)[-1] == "get_context" and callable(obj):
        return _checked(Adapter.from_module(module, get_context=obj), spec)
    if callable(obj):
        try:
            made = obj()
        except (ConfigError, BackendNotInstalled):
            raise
        except Exception as exc:
            raise ConfigError(
                f"backend {spec!r}: adapter factory raised {type(exc).__name__}: {exc}"
            ) from exc
        return _checked(made, spec)
    raise ConfigError(
        f"backend {spec!r} is a {type(obj).__name__}, not an mpconform Adapter, a factory "
        "returning one, or a get_context function"
    )


def _checked(obj: Any, spec: str) -> Adapter:
    if not isinstance(obj, Adapter):
        raise ConfigError(
            f"backend {spec!r} produced a {type(obj).__name__}, expected mpconform.adapter.Adapter"
        )
    return obj


@dataclass(frozen=True)
class BackendInfo:
    """One row of ``mpconform backends``: what is known even when the backend is missing."""

    name: str
    installed: bool
    version: str | None
    start_methods: tuple[str, ...]
    note: str


def survey() -> list[BackendInfo]:
    """Every known backend, whether it loads, and why not; never raises."""
    rows = []
    for name in known_names():
        try:
            adapter = resolve(name)
        except BackendNotInstalled as exc:
            rows.append(BackendInfo(name, False, None, (), str(exc)))
        except ConfigError as exc:
            rows.append(BackendInfo(name, False, None, (), f"broken: {exc}"))
        else:
            rows.append(
                BackendInfo(name, True, adapter.version, adapter.start_methods, adapter.description)
            )
    return rows
