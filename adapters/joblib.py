"""joblib's ``MemmappingPool``: CPython's Pool that hands large numpy arrays to workers as
memory maps.

A Pool and nothing else (``areas=("Pool",)``). It is a subclass of
``multiprocessing.pool.Pool`` and takes CPython's ``context=``, so its start methods are
CPython's: each column is the MemmappingPool with workers of that start method. The pool
module named is joblib's own (``joblib.pool``), which has no ThreadPool.
"""

from __future__ import annotations

import functools
import multiprocessing

from mpconform.adapter import Adapter
from mpconform.errors import BackendNotInstalled

from ._pool_only import PoolOnlyContext


def load() -> Adapter:
    try:
        import joblib
        import joblib.pool as joblib_pool
    except ImportError as exc:
        if exc.name not in ("joblib", None):
            raise
        raise BackendNotInstalled("joblib", "joblib") from None

    def context(start_method: str) -> PoolOnlyContext:
        ctx = multiprocessing.get_context(start_method)
        pool = functools.partial(joblib_pool.MemmappingPool, context=ctx)
        functools.update_wrapper(pool, joblib_pool.MemmappingPool)
        return PoolOnlyContext("joblib", pool, multiprocessing.TimeoutError)

    return Adapter(
        name="joblib",
        get_context=context,
        start_methods=tuple(multiprocessing.get_all_start_methods()),
        version=str(joblib.__version__),
        pool=joblib_pool,
        areas=("Pool",),
        description="joblib.pool.MemmappingPool (CPython's Pool with memory-mapped arrays)",
    )
