"""multiprocess: the dill-serialising fork of multiprocessing."""

from mpconform.adapter import Adapter

from ._thirdparty import load_mirror


def load() -> Adapter:
    return load_mirror("multiprocess", "multiprocess", "multiprocess (multiprocessing with dill)")
