"""Exact equality of values that travelled: what a payload or a stored number must come back as.

``==`` is too lenient for that and too strict at once: ``1 == 1.0 == True`` hides a changed
type, ``-0.0 == 0.0`` a lost sign, and ``nan != nan`` fails a value that arrived intact. A
property that says "arrives unchanged" means :func:`same`.
"""

from __future__ import annotations

import math
from typing import Any


def same(a: Any, b: Any) -> bool:
    """Equal and of the same type all the way down; nan equals nan and -0.0 is not 0.0.

    Sound for every value the properties send: containers compare element by element (a dict
    in insertion order, a set by membership), an array (a torch tensor, a numpy array) by
    element type, shape and elements, anything else by ``==`` once the types agree."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, complex):
        return same(a.real, b.real) and same(a.imag, b.imag)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return len(a) == len(b) and all(same(ka, kb) and same(a[ka], b[kb]) for ka, kb in zip(a, b))
    if isinstance(a, (set, frozenset)):
        found = {y: y for y in b}
        return len(a) == len(b) and all(x in found and same(x, found[x]) for x in a)
    if all(hasattr(a, name) for name in ("tolist", "dtype", "shape")):
        return (str(a.dtype), tuple(a.shape)) == (str(b.dtype), tuple(b.shape)) and same(
            a.tolist(), b.tolist()
        )
    return bool(a == b)
