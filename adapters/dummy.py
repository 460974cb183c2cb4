"""multiprocessing.dummy: the multiprocessing API backed by threads.

It has no start methods; "thread" names its single mode, where children share the parent's
memory. Features that cannot exist for threads are declared, so they read UNSUPPORTED with a
reason instead of failing.
"""

from __future__ import annotations

import multiprocessing.dummy
import multiprocessing.dummy.connection
import multiprocessing.pool
import platform
from types import ModuleType

from mpconform.adapter import Adapter

_THREADS = "threads cannot be signalled or killed from outside"


def _context(start_method: str) -> ModuleType:
    return multiprocessing.dummy


def load() -> Adapter:
    return Adapter(
        name="dummy",
        get_context=_context,
        start_methods=("thread",),
        version=platform.python_version(),
        connection=multiprocessing.dummy.connection,
        pool=multiprocessing.pool,  # its Pool is already a ThreadPool; no managers module
        unsupported={
            "Process.terminate": _THREADS,
            "Process.kill": _THREADS,
        },
        description="multiprocessing.dummy (threads)",
    )
