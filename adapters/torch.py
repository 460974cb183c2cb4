"""torch.multiprocessing: CPython's multiprocessing with torch's reducers registered.

``torch.multiprocessing.get_context`` hands out CPython's own context objects; what torch
changes is what happens when a tensor is pickled for another process (its storage moves to
shared memory and travels as a file descriptor or a file name). So the columns are CPython's
start methods, the submodules are CPython's, the payload properties add tensors when this
backend runs, and plain repro scripts import ``torch.multiprocessing``. Importing torch
registers those reducers for every pickle of the process: the CLI runs each backend in
interpreters of its own, so they never reach another backend's results.
"""

from __future__ import annotations

import multiprocessing.connection
import multiprocessing.managers
import multiprocessing.pool
import multiprocessing.shared_memory
import multiprocessing.sharedctypes
from typing import Any

from mpconform.adapter import Adapter
from mpconform.errors import BackendNotInstalled


def tensors() -> tuple[Any, ...]:
    """Small CPU tensors of the common element types, shapes up to 2-D."""
    import torch
    from hypothesis import strategies as st

    ints = st.lists(st.integers(-(2**31), 2**31 - 1), max_size=6)
    floats = st.lists(st.floats(allow_nan=False, width=32), max_size=6)
    return (
        ints.map(lambda v: torch.tensor(v, dtype=torch.int64)),
        floats.map(lambda v: torch.tensor(v, dtype=torch.float32)),
        st.lists(st.booleans(), min_size=2, max_size=6).map(
            lambda v: torch.tensor(v[: len(v) // 2 * 2]).reshape(2, -1)
        ),
    )


def load() -> Adapter:
    try:
        import torch
        import torch.multiprocessing as torch_mp
    except ImportError as exc:
        if exc.name not in ("torch", None):
            raise
        raise BackendNotInstalled("torch", "torch") from None
    return Adapter(
        name="torch",
        get_context=torch_mp.get_context,
        start_methods=tuple(torch_mp.get_all_start_methods()),
        version=str(torch.__version__),
        connection=multiprocessing.connection,
        pool=multiprocessing.pool,
        managers=multiprocessing.managers,
        shared_memory=multiprocessing.shared_memory,
        sharedctypes=multiprocessing.sharedctypes,
        module="torch.multiprocessing",
        extra_payloads=tensors,
        description="torch.multiprocessing (CPython's contexts with torch's tensor reducers)",
    )
