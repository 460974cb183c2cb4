"""Shared loader for third-party backends that mirror the multiprocessing module layout."""

from __future__ import annotations

import dataclasses
import importlib

from mpconform.adapter import Adapter
from mpconform.errors import BackendNotInstalled


def load_mirror(
    name: str, requirement: str, description: str, lost_worker_timeout: float | None = None
) -> Adapter:
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        if exc.name not in (name, None):
            raise  # installed but broken: let the registry report the real import error
        raise BackendNotInstalled(name, requirement) from None
    adapter = Adapter.from_module(module, name=name)
    return dataclasses.replace(
        adapter, description=description, lost_worker_timeout=lost_worker_timeout
    )
