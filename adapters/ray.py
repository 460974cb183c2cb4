"""Ray's ``ray.util.multiprocessing.Pool``: the Pool API over actors of a Ray cluster.

A Pool and nothing else (``areas=("Pool",)``): its one "start method", ``cluster``, names
where the workers run, in fresh interpreters (actors) of a Ray cluster. Unless
``MPCONFORM_RAY_ADDRESS`` names an existing cluster, the first Pool of a test session starts
a local one on the loopback address with two CPUs and no dashboard, and the session's end
shuts it down. Every test process of a run would start a cluster of its own, so a run keeps
to one process for this backend (``max_jobs=1``).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import threading

from mpconform.adapter import Adapter
from mpconform.errors import BackendNotInstalled

from ._pool_only import PoolOnlyContext

ADDRESS_ENV = "MPCONFORM_RAY_ADDRESS"
CPUS = 2
_lock = threading.Lock()
# Ray keeps its sockets under its temp dir, which follows TMPDIR: under a deep TMPDIR (nox
# sets one per session) the socket paths pass the 107 bytes a Unix socket path may have and
# the cluster never comes up. A short folder of our own, removed at the end of the session.
_temp: list[str] = []


def _cluster() -> None:
    """Connect to the named cluster, or start the session's local one, once."""
    import ray

    with _lock:
        if ray.is_initialized():
            return
        address = os.environ.get(ADDRESS_ENV)
        common = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        if address:
            ray.init(address=address, **common)
        else:
            _temp.append(tempfile.mkdtemp(prefix="mpconform-ray-", dir="/tmp"))
            ray.init(num_cpus=CPUS, _node_ip_address="127.0.0.1", _temp_dir=_temp[-1], **common)


def _shutdown() -> None:
    import ray

    if ray.is_initialized():
        ray.shutdown()
    while _temp:
        shutil.rmtree(_temp.pop(), ignore_errors=True)


def load() -> Adapter:
    try:
        import ray
        import ray.util.multiprocessing.pool as ray_pool
    except ImportError as exc:
        if exc.name not in ("ray", None):
            raise
        raise BackendNotInstalled("ray", "ray") from None

    def context(start_method: str) -> PoolOnlyContext:
        return PoolOnlyContext(
            "ray", ray_pool.Pool, multiprocessing.TimeoutError, before_pool=_cluster
        )

    return Adapter(
        name="ray",
        get_context=context,
        start_methods=("cluster",),
        version=str(ray.__version__),
        pool=ray_pool,
        memory_model={"cluster": "fresh"},
        areas=("Pool",),
        max_jobs=1,
        session_start=_cluster,
        session_end=_shutdown,
        description="ray.util.multiprocessing.Pool (actors of a local Ray cluster)",
    )
