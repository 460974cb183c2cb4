"""Child-side helpers shared by several conformance areas (stdlib-only, cheap to import)."""

from __future__ import annotations

import hashlib
from typing import Any


def describe(value: Any) -> Any:
    """An exact, comparable account of ``value``: types kept, no pickling, no hash order.

    Both sides compute it, so a payload damaged on the way is caught even if the damage is
    symmetric. Floats go by hex (nan, -0.0 and the last bit compare as text); bytes by digest,
    so that a few MiB cost a hash rather than a repr; set elements are sorted because string
    hashes, and thus set order, differ between processes.
    """
    kind = type(value)
    if kind is float:
        return ("float", value.hex())
    if kind is complex:
        return ("complex", value.real.hex(), value.imag.hex())
    if kind is int:
        return ("int", hex(value))
    if kind in (bytes, bytearray):
        return (kind.__name__, len(value), hashlib.sha256(value).hexdigest())
    if kind in (tuple, list):
        return (kind.__name__, tuple(describe(v) for v in value))
    if kind is dict:
        return ("dict", tuple((describe(k), describe(v)) for k, v in value.items()))
    if kind in (set, frozenset):
        return (kind.__name__, tuple(sorted((describe(v) for v in value), key=repr)))
    if all(hasattr(value, name) for name in ("tolist", "dtype", "shape")):
        # An array (a torch tensor, a numpy array): element type, shape and every element.
        return (kind.__name__, str(value.dtype), tuple(value.shape), describe(value.tolist()))
    return (kind.__name__, repr(value))
