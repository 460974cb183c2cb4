"""loky: joblib's process backend, with start methods of its own.

``loky.backend.context.get_context`` accepts ``loky`` and ``loky_init_main`` (loky's own
contexts: children are started with fork+exec, or spawn, and a fresh interpreter either way)
and ``fork``, ``spawn`` and ``forkserver``, for which it hands back CPython's own contexts
unchanged. Only loky's two are loky's behaviour, so only they are columns: the other three
would test CPython again under another name.

loky ships no ``connection``, ``pool``, ``managers``, ``shared_memory`` or ``sharedctypes``
module: its users call CPython's on loky's objects (``connection.wait`` on a LokyProcess's
sentinel, a ``BaseManager(ctx=loky_context)``), and its context's own ``Pipe``, ``Pool``,
``Manager`` and ``Value`` are CPython's, bound to the loky context. So the adapter names
CPython's modules: what is checked is how loky's processes, queues and locks behave with
them, as loky's users run them.
"""

from __future__ import annotations

import multiprocessing.connection
import multiprocessing.managers
import multiprocessing.pool
import multiprocessing.shared_memory
import multiprocessing.sharedctypes

from mpconform.adapter import Adapter
from mpconform.errors import BackendNotInstalled

START_METHODS = ("loky", "loky_init_main")


def load() -> Adapter:
    try:
        import loky
        from loky.backend import context
    except ImportError as exc:
        if exc.name not in ("loky", None):
            raise  # installed but broken: let the registry report the real import error
        raise BackendNotInstalled("loky", "loky") from None
    return Adapter(
        name="loky",
        get_context=context.get_context,
        start_methods=START_METHODS,
        version=str(loky.__version__),
        connection=multiprocessing.connection,
        pool=multiprocessing.pool,
        managers=multiprocessing.managers,
        shared_memory=multiprocessing.shared_memory,
        sharedctypes=multiprocessing.sharedctypes,
        # Both start a fresh interpreter: nothing of the parent's memory is inherited.
        memory_model={method: "fresh" for method in START_METHODS},
        description="loky (joblib's process backend), its own start methods",
    )
