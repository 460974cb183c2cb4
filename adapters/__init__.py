"""Built-in adapters, one small module per backend, each exposing ``load() -> Adapter``.

Importing this package never imports a backend: a backend is imported only when chosen, so a
missing optional backend costs nothing until someone asks for it.
"""

from mpconform.adapter import Adapter

BUILTIN: dict[str, str] = {
    "stdlib": "mpconform.adapters.stdlib",
    "dummy": "mpconform.adapters.dummy",
    "billiard": "mpconform.adapters.billiard",
    "multiprocess": "mpconform.adapters.multiprocess",
    "loky": "mpconform.adapters.loky",
    "ray": "mpconform.adapters.ray",
    "mpi4py": "mpconform.adapters.mpi4py",
    "joblib": "mpconform.adapters.joblib",
    "torch": "mpconform.adapters.torch",
}

__all__ = ["BUILTIN", "Adapter"]
