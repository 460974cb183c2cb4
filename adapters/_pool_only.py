"""The context of a backend that offers a Pool and nothing else.

Ray's and mpi4py's Pools, and joblib's MemmappingPool, are sold as drop-in replacements for
``multiprocessing.Pool``, not for the module: a property sees a context with ``Pool`` (and
the few module-level names a Pool user reaches for), and every other name is missing, so a
property that needs it reads UNSUPPORTED. ``Pool`` keeps the backend's own signature
(``inspect.signature`` follows ``__wrapped__``), so a keyword the backend lacks is a
difference the properties can see, as a user would.
"""

from __future__ import annotations

import functools
import multiprocessing
from collections.abc import Callable
from typing import Any


class PoolOnlyContext:
    """``Pool`` calls ``make_pool`` after ``before_pool`` (a cluster started on first use)."""

    AuthenticationError = multiprocessing.AuthenticationError
    ProcessError = multiprocessing.ProcessError

    def __init__(
        self,
        name: str,
        make_pool: Callable[..., Any],
        timeout_error: type[BaseException],
        before_pool: Callable[[], None] | None = None,
    ) -> None:
        self._name = name
        self.TimeoutError = timeout_error
        self._before_pool = before_pool

        @functools.wraps(make_pool)
        def pool(*args: Any, **kwargs: Any) -> Any:
            if self._before_pool is not None:
                self._before_pool()
            return make_pool(*args, **kwargs)

        self.Pool = pool

    def cpu_count(self) -> int:
        return multiprocessing.cpu_count()

    def __repr__(self) -> str:
        return f"<{self._name}: a Pool and nothing else>"
