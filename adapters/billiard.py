"""billiard: Celery's fork of multiprocessing."""

from mpconform.adapter import Adapter

from ._thirdparty import load_mirror

# billiard/pool.py: ``LOST_WORKER_TIMEOUT = 10.0``, the default of ``Pool(lost_worker_timeout=)``:
# a job whose worker died is failed with WorkerLostError once that long has passed.
LOST_WORKER_TIMEOUT = 10.0


def load() -> Adapter:
    return load_mirror(
        "billiard",
        "billiard",
        "billiard (Celery's fork of multiprocessing)",
        lost_worker_timeout=LOST_WORKER_TIMEOUT,
    )
