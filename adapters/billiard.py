"""billiard: Celery's fork of multiprocessing."""

from mpconform.adapter import Adapter

from ._thirdparty import load_mirror


def load() -> Adapter:
    return load_mirror("billiard", "billiard", "billiard (Celery's fork of multiprocessing)")
