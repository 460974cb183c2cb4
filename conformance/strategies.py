"""Payload strategies shared by every area, so "any picklable value" means the same thing in
the lifecycle, pipe and queue properties (and, later, in stress scenarios).

Test-side only: children never import this module (it imports Hypothesis).
"""

from __future__ import annotations

from typing import NoReturn

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

# Set elements and dict keys must hash alike after unpickling: no nan, since nan != nan makes
# membership depend on object identity, which pickling does not keep.
KEY_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**2000), max_value=2**2000),
    st.floats(allow_nan=False),
    st.text(max_size=10),
    st.binary(max_size=10),
)
KEYS = st.recursive(
    KEY_SCALARS,
    lambda inner: st.lists(inner, max_size=3).map(tuple) | st.frozensets(inner, max_size=3),
    max_leaves=6,
)
SCALARS = st.one_of(
    KEY_SCALARS,
    st.floats(),  # nan, infinities and -0.0 included
    st.complex_numbers(),
    st.text(max_size=200),
    st.binary(max_size=300).map(bytearray),
)


class Refuses:
    """Fails to pickle under any pickler (dill included): its reduction raises."""

    def __reduce__(self) -> NoReturn:
        raise TypeError("Refuses will not be pickled")


def payloads(*extra_scalars: SearchStrategy, max_leaves: int = 12) -> SearchStrategy:
    """Nested picklable values whose container types must survive the trip (a tuple stays a
    tuple); ``extra_scalars`` adds area-specific leaves such as user-defined classes."""
    leaves = st.one_of(SCALARS, *extra_scalars)
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.lists(inner, max_size=4).map(tuple),
            st.dictionaries(KEYS, inner, max_size=4),
            st.sets(KEYS, max_size=4),
            st.frozensets(KEYS, max_size=4),
        ),
        max_leaves=max_leaves,
    )


def with_backend_payloads(
    strategy: SearchStrategy, mp: object, *extra: SearchStrategy
) -> SearchStrategy:
    """``strategy``, or payloads with the backend's own leaves too (torch tensors) when its
    adapter declares some (``Adapter.extra_payloads``)."""
    declared = getattr(getattr(mp, "adapter", None), "extra_payloads", None)
    if declared is None:
        return strategy
    own = declared()
    # A third of the examples are the backend's values themselves, a third nest them.
    return st.one_of(strategy, payloads(*extra, *own), *own)
