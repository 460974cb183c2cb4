"""mpi4py's ``mpi4py.util.pool.Pool``: the Pool API over MPI processes.

A Pool and nothing else (``areas=("Pool",)``), plus a ThreadPool in the same module. Its one
"start method", ``mpi``, names how workers start: ``MPI_Comm_spawn`` of fresh interpreters
running ``mpi4py.futures.server`` (so nothing of the parent's memory is inherited). Spawning
needs a process manager: the ``mpich`` wheel from the package registry puts ``mpiexec`` next
to the interpreter, which is put on PATH here when it is not already, since an MPI
singleton that cannot find it blocks instead of failing.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig

from mpconform.adapter import Adapter
from mpconform.errors import BackendNotInstalled

from ._pool_only import PoolOnlyContext


def _find_mpiexec() -> None:
    if shutil.which("mpiexec"):
        return
    for folder in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        if folder and os.path.exists(os.path.join(folder, "mpiexec")):
            os.environ["PATH"] = os.pathsep.join([folder, os.environ.get("PATH", "")])
            return


def _start_process_manager() -> None:
    """The first spawn of an MPI singleton starts its process manager (mpiexec, hydra), which
    serves every later spawn until MPI ends: started here, for the session, it is the
    backend's and not the first Pool test's; killed as a test's leak, the next spawn
    segfaults the test process."""
    import mpi4py.util.pool as mpi_pool

    with mpi_pool.Pool(1) as pool:
        pool.map(abs, [1])


def load() -> Adapter:
    try:
        import mpi4py
        import mpi4py.util.pool as mpi_pool
    except ImportError as exc:
        if exc.name not in ("mpi4py", "mpi4py.util", "mpi4py.util.pool", None):
            raise
        raise BackendNotInstalled("mpi4py", "mpi4py mpich", extra="mpi") from None
    _find_mpiexec()
    if not shutil.which("mpiexec"):
        raise BackendNotInstalled("mpi4py", "mpich", extra="mpi")

    def context(start_method: str) -> PoolOnlyContext:
        return PoolOnlyContext("mpi4py", mpi_pool.Pool, TimeoutError)

    return Adapter(
        name="mpi4py",
        get_context=context,
        start_methods=("mpi",),
        version=str(mpi4py.__version__),
        pool=mpi_pool,
        memory_model={"mpi": "fresh"},
        areas=("Pool",),
        # Every test process would be an MPI singleton with a process manager of its own.
        max_jobs=1,
        # No session_end: MPI ends at interpreter exit (mpi4py finalizes then), and with it the
        # process manager and MPICH's shared memory segments. Finalizing earlier broke
        # mpi4py.futures' own exit handler and left a segment; terminating the manager made
        # it kill its whole MPI job, the test process included.
        session_start=_start_process_manager,
        description="mpi4py.util.pool.Pool (MPI processes spawned with MPI_Comm_spawn)",
    )
