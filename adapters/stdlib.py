"""CPython's own multiprocessing: the reference every other backend is compared with."""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import multiprocessing.managers
import multiprocessing.pool
import multiprocessing.shared_memory
import multiprocessing.sharedctypes
import platform

from mpconform.adapter import Adapter


def load() -> Adapter:
    return Adapter(
        name="stdlib",
        get_context=multiprocessing.get_context,
        start_methods=tuple(multiprocessing.get_all_start_methods()),
        version=platform.python_version(),
        connection=multiprocessing.connection,
        pool=multiprocessing.pool,
        managers=multiprocessing.managers,
        shared_memory=multiprocessing.shared_memory,
        sharedctypes=multiprocessing.sharedctypes,
        description="CPython multiprocessing (the reference)",
    )
