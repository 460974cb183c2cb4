"""Shared ctypes: Value, Array, RawValue and RawArray read and written across processes.

The documentation promises ctypes objects allocated from shared memory, of a ctypes type or an
``array`` typecode, optionally wrapped with a lock (``get_lock()``, ``get_obj()``). Everything
here is checked across a process boundary: one side writes, the other reads.

Shared objects reach a child only as Process arguments at its creation, so each property
creates its pool of objects first (one per typecode or ctypes type), starts one agent child with
the whole pool, and then drives it through a pipe for every Hypothesis example
(:func:`children_shared_ctypes.serve`). An example costs a few pipe round trips, not a process.

What the documentation leaves open (integers wrap silently, 'f' overflows to infinity, which
exceptions a wrong type or a bad index raises) is CPython 3.11's behaviour, and those properties
are marked ``mp_basis("cpython")``. The 'u' typecode is left out on purpose: it is deprecated in
``array`` (DeprecationWarning from 3.13, removal planned) and its width is the platform's
wchar_t, so it would test the platform more than the backend.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import struct
import sys
import threading
from collections.abc import Iterator
from typing import Any, Callable

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mpconform import agents
from mpconform.agents import Agent, Reply
from mpconform.checkers import same
from mpconform.conformance import children_shared_ctypes as kids
from mpconform.outcomes import Unsupported
from mpconform.profiles import budget
from mpconform.target import Target
from mpconform.waiting import LIVENESS, finish, receive

pytestmark = pytest.mark.mp_area("Shared ctypes: Value and Array")

SIZE = 8  # elements of every pooled array
CHARS = 16  # bytes of the pooled c_char arrays
# An access that must wait for a lock held by the agent is given this long to (wrongly)
# complete; it is how long the held state is kept while it is observed, not a wait for an end.
HELD_FOR = 0.05

# -- kinds: typecodes and ctypes types with their reference model -----------------------------

TYPECODES: dict[str, Any] = {
    "b": ctypes.c_byte,
    "B": ctypes.c_ubyte,
    "h": ctypes.c_short,
    "H": ctypes.c_ushort,
    "i": ctypes.c_int,
    "I": ctypes.c_uint,
    "l": ctypes.c_long,
    "L": ctypes.c_ulong,
    "q": ctypes.c_longlong,
    "Q": ctypes.c_ulonglong,
    "f": ctypes.c_float,
    "d": ctypes.c_double,
    "c": ctypes.c_char,
}
CTYPE_NAMES = (
    "c_bool",
    "c_char",
    "c_byte",
    "c_ubyte",
    "c_short",
    "c_ushort",
    "c_int",
    "c_uint",
    "c_long",
    "c_ulong",
    "c_int8",
    "c_uint16",
    "c_int32",
    "c_uint64",
    "c_longlong",
    "c_float",
    "c_double",
)
FLOATS = {ctypes.c_float: "single", ctypes.c_double: "double"}


class Kind:
    """One ``typecode_or_type`` argument and what CPython stores for it.

    A plain class rather than a dataclass, so Hypothesis prints a falsifying example with the
    label alone ('q' or c_int) instead of every field.
    """

    def __init__(self, label: str, spec: Any, ctype: Any) -> None:
        self.label = label  # "'q'" or "c_int": how reports and Hypothesis name it
        self.spec = spec  # what is passed to Value()/Array()
        self.ctype = ctype

    def __repr__(self) -> str:
        return self.label

    @property
    def family(self) -> str:
        if self.ctype is ctypes.c_bool:
            return "bool"
        if self.ctype is ctypes.c_char:
            return "char"
        return FLOATS.get(self.ctype, "int")

    @property
    def bits(self) -> int:
        return 8 * ctypes.sizeof(self.ctype)

    @property
    def signed(self) -> bool:
        return self.ctype(-1).value == -1

    @property
    def bounds(self) -> tuple[int, int]:
        if self.signed:
            return -(1 << (self.bits - 1)), (1 << (self.bits - 1)) - 1
        return 0, (1 << self.bits) - 1

    @property
    def extremes(self) -> tuple[Any, Any]:
        """The two values furthest apart that the kind holds: a store that loses bits shows."""
        family = self.family
        if family == "bool":
            return False, True
        if family == "char":
            return b"\0", b"\xff"
        if family == "double":
            return -sys.float_info.max, sys.float_info.min
        if family == "single":
            return -FLOAT32_MAX, FLOAT32_MAX
        return self.bounds

    @property
    def past_bounds(self) -> tuple[Any, Any]:
        """A number just below and one just above what the kind holds (float: past float32)."""
        if self.family == "single":
            return -(2.0**128), 2.0**128
        low, high = self.bounds
        return low - 1, high + 1

    @property
    def zero(self) -> Any:
        return {"bool": False, "char": b"\0", "single": 0.0, "double": 0.0}.get(self.family, 0)


KINDS = tuple(Kind(repr(code), code, ctype) for code, ctype in TYPECODES.items()) + tuple(
    Kind(name, getattr(ctypes, name), getattr(ctypes, name)) for name in CTYPE_NAMES
)
INT_KINDS = tuple(k for k in KINDS if k.family == "int")
SINGLE_KINDS = tuple(k for k in KINDS if k.family == "single")


def wrapped(kind: Kind, value: int) -> int:
    """What a C integer of the kind's width keeps of ``value`` (two's complement)."""
    low, _ = kind.bounds
    return (value - low) % (1 << kind.bits) + low


def single(value: float) -> float:
    """``value`` rounded to a C float, as a store into a c_float does; inf when it overflows."""
    try:
        return struct.unpack("f", struct.pack("f", value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)


def stored(kind: Kind, value: Any) -> Any:
    """What reading back a store of the in-range ``value`` gives."""
    return single(value) if kind.family == "single" else value


# -- strategies --------------------------------------------------------------------------------

FLOAT32_MAX = struct.unpack("f", bytes.fromhex("ffff7f7f"))[0]


def in_range(kind: Kind) -> st.SearchStrategy:
    """Values the kind holds without overflow, its bounds drawn often."""
    family = kind.family
    if family == "bool":
        return st.booleans()
    if family == "char":
        return st.binary(min_size=1, max_size=1)
    if family == "double":
        return st.floats()
    if family == "single":
        # Any double up to the largest float: rounding, not overflow (that is CPython-only).
        return st.floats(width=32) | st.floats(-FLOAT32_MAX, FLOAT32_MAX)
    low, high = kind.bounds
    return st.sampled_from([low, high, 0]) | st.integers(low, high)


def out_of_range(kind: Kind) -> st.SearchStrategy:
    """Numbers the kind cannot hold: integers past either bound, floats past float32."""
    if kind.family == "single":
        big = st.floats(min_value=2.0**128, allow_infinity=False)
        return st.tuples(big, st.booleans()).map(lambda p: -p[0] if p[1] else p[0])
    low, high = kind.bounds
    return st.one_of(
        st.integers(high + 1, high + (1 << kind.bits) * 3),
        st.integers(low - (1 << kind.bits) * 3, low - 1),
        st.integers(min_value=high + 1),
        st.integers(max_value=low - 1),
        st.sampled_from([high + 1, low - 1, 2**200, -(2**200) + 7]),
    )


def wrong_type(kind: Kind) -> st.SearchStrategy:
    """Values of a type the kind refuses with TypeError in CPython."""
    common = st.none() | st.text(max_size=3) | st.lists(st.integers(), max_size=2)
    if kind.family == "char":
        return common | st.floats() | st.binary().filter(lambda b: len(b) != 1)
    if kind.family == "int":
        return common | st.floats() | st.binary(max_size=2) | st.complex_numbers()
    return common | st.binary(max_size=2) | st.complex_numbers()


def per_kind(kinds: tuple[Kind, ...], *parts: Any) -> st.SearchStrategy:
    """``(kind, part(kind)...)`` for a kind drawn from ``kinds``.

    Built as one_of over strategies made once, not as a flatmap: a flatmap builds new
    strategies on every draw, which cost more than the pipe round trips of a cheap example.
    """
    return st.one_of([st.tuples(st.just(k), *(part(k) for part in parts)) for k in kinds])


# -- the pool of shared objects and the agent that sees it ------------------------------------

FACTORIES = ("Value", "RawValue", "Array", "RawArray")
SIDES = st.sampled_from(["child", "parent"])


def other(side: str) -> str:
    return "parent" if side == "child" else "child"


def element(factory: str, index: int = 0) -> tuple:
    """The path (see children_shared_ctypes) of one stored value of a pooled object."""
    if factory.endswith("Value"):
        return (("attr", "value"),)
    return (("item", index),)


ACCEPTS_ALL = "CPython accepts every array typecode and ctypes type"


class Refused(AssertionError):
    """The backend would not create an object of some kind (``args[0]`` says which and why)."""

    def __str__(self) -> str:
        return f"{self.args[0]}; {ACCEPTS_ALL}"


def create(mp: Target, factory: str, kind: Kind, **kwargs: Any) -> Any:
    """An object holding zeros: a Value gets its initial value, an array an initializer of SIZE
    zeros (both forms CPython takes; the size-only forms are checked on their own)."""
    make = getattr(mp, factory)
    try:
        if factory.endswith("Value"):
            return make(kind.spec, kind.zero, **kwargs)
        return make(kind.spec, [kind.zero] * SIZE, **kwargs)
    except Exception as exc:
        raise Refused(f"{factory}({kind.label}, ...) raised {type(exc).__name__}: {exc}") from None


def pool_of(
    mp: Target, factory: str, kinds: tuple[Kind, ...] = KINDS
) -> tuple[dict[str, Any], list[str]]:
    """One object per kind the backend creates, and why it refused the others.

    A property runs on the kinds that exist and reports the refused ones at its end, so that
    one missing typecode (billiard has no 'q') does not hide everything else.
    """
    pool: dict[str, Any] = {}
    refused: list[str] = []
    for kind in kinds:
        try:
            pool[kind.label] = create(mp, factory, kind)
        except Refused as exc:
            refused.append(exc.args[0])
    if not pool:
        raise AssertionError(f"{'; '.join(refused)}; {ACCEPTS_ALL}")
    return pool, refused


def created(kinds: tuple[Kind, ...], pool: dict[str, Any]) -> tuple[Kind, ...]:
    return tuple(k for k in kinds if k.label in pool)


def none_refused(refused: list[str]) -> None:
    assert not refused, f"{'; '.join(refused)}; {ACCEPTS_ALL}"


@contextlib.contextmanager
def agent_for(mp: Target, pool: dict[str, Any]) -> Iterator[Agent]:
    """The agent holding ``pool`` (for the whole property); the pool stays in its ledger, so
    :func:`perform` runs the same access here on the same objects."""
    with agents.started(mp, kids.COMMANDS, (pool,), name="the shared ctypes agent") as agent:
        agent.ledger["pool"] = pool
        yield agent


LOCAL: dict[str, Callable[..., Any]] = {
    "read": kids.read,
    "write": kids.write,
    "len": len,
    "iter": kids.items,
}


def perform(agent: Agent, side: str, command: str, name: str, *args: Any) -> Reply:
    """Run one access in the child (``side == "child"``) or here, with the same Reply."""
    if side == "child":
        return agent.call(command, name, *args)
    return agents.outcome(LOCAL[command], agent.ledger["pool"][name], *args)


def perform_all(agent: Agent, side: str, ops: list[tuple]) -> list[Reply]:
    """Replies of ``(command, name, *args)`` accesses, in order; one round trip in the child."""
    if side == "child":
        return agent.run("batch", ops)
    pool = agent.ledger["pool"]
    return [agents.outcome(LOCAL[command], pool[name], *args) for command, name, *args in ops]


def require_lock_api(obj: Any) -> None:
    if not callable(getattr(obj, "get_lock", None)):
        raise Unsupported(f"{type(obj).__name__} has no get_lock()")


# -- round trips of every typecode and ctypes type ---------------------------------------------


def slot_writes(factory: str, kinds: tuple[Kind, ...]) -> st.SearchStrategy:
    """A few (kind, index, value) writes, in-range values, bounds included."""
    index = st.just(0) if factory.endswith("Value") else st.integers(0, SIZE - 1)
    one = per_kind(kinds, lambda k: index, in_range)
    return st.lists(one, min_size=1, max_size=4)


@pytest.mark.mp_catches(
    "mutants.shared_ctypes:array_wrong_width", "mutants.shared_ctypes:value_process_local"
)
@pytest.mark.parametrize("factory", FACTORIES)
@pytest.mark.mp_api(
    "Array",
    "Array(typecode_or_type)",
    "Value",
    "Value(typecode_or_type)",
    "sharedctypes.RawArray",
    "sharedctypes.RawArray(typecode_or_type)",
    "sharedctypes.RawValue",
    "sharedctypes.RawValue(typecode_or_type)",
)
def test_stores_are_read_back_by_the_other_process(mp, factory):
    """A value one process stores in a shared object reads back equal in the other, both running.

    Every array typecode except the deprecated 'u' and a range of ctypes types, each integer
    type's minimum and maximum, floats of every kind ('f' rounds to C float), single bytes for
    'c'; the type read back matters too (int, float, bytes or bool). The writer is the parent
    or the agent child, drawn per example; several writes per example, possibly to the same
    slot: the last one wins, and a write that spilled into a neighbouring slot (a wrong element
    width) shows up in the other's read.
    """
    pool, refused = pool_of(mp, factory)
    with agent_for(mp, pool) as agent:

        @budget("cheap")
        @given(writes=slot_writes(factory, created(KINDS, pool)), writer=SIDES)
        def round_trip(writes: list, writer: str) -> None:
            reader = other(writer)
            stores = [("write", k.label, element(factory, i), v) for k, i, v in writes]
            for (kind, _, value), reply in zip(writes, perform_all(agent, writer, stores)):
                assert reply.ok, f"{factory}({kind}) refused {value!r}: {reply.show()}"
            last = {(kind, index): value for kind, index, value in writes}
            reads = [("read", k.label, element(factory, i)) for k, i in last]
            for ((kind, index), value), reply in zip(
                last.items(), perform_all(agent, reader, reads)
            ):
                assert reply.ok, f"reading {factory}({kind}) {reply.show()}"
                want = stored(kind, value)
                assert same(reply.value, want), (
                    f"{factory}({kind}) slot {index}: the {writer} wrote {value!r}, the {reader} "
                    f"read {reply.value!r}; CPython reads {want!r}"
                )

        # Every kind's extremes, written by each side, come first whatever the budget: a
        # store that keeps too few bits (a 64-bit typecode held in 32) may otherwise need
        # more examples to show than a short profile runs.
        sweep = bounds_sweep(factory, created(KINDS, pool))
        for side in ("child", "parent"):
            round_trip = example(writes=sweep, writer=side)(round_trip)
        round_trip()
    none_refused(refused)


def bounds_sweep(factory: str, kinds: tuple[Kind, ...]) -> list[tuple[Kind, int, Any]]:
    """(kind, index, value) writes of each kind's two extremes, in neighbouring slots of an
    array, so a value that spilled into the next slot shows too."""
    writes = []
    for kind in kinds:
        low, high = kind.extremes
        if factory.endswith("Value"):
            writes.append((kind, 0, high if kind.family != "double" else low))
        else:
            writes += [(kind, 0, low), (kind, 1, high)]
    return writes


SYNCHRONIZED = ("Value", "Array")


def pools_of(
    mp: Target, factories: tuple[str, ...], kinds: tuple[Kind, ...]
) -> tuple[dict[str, Any], dict[str, tuple[Kind, ...]], list[str]]:
    """Objects of every kind for each factory the backend has, named ``factory:kind``.

    Returns the pool, factory -> the kinds it created, and the refusals to report at the end.
    """
    pool: dict[str, Any] = {}
    made: dict[str, tuple[Kind, ...]] = {}
    refused: list[str] = []
    for factory in factories:
        if mp.missing(factory) is not None:
            continue
        objects, refusals = pool_of(mp, factory, kinds)
        pool.update((f"{factory}:{label}", obj) for label, obj in objects.items())
        made[factory] = created(kinds, objects)
        refused.extend(refusals)
    if not pool:
        raise Unsupported(f"none of {', '.join(factories)}")
    return pool, made, refused


def across(made: dict[str, tuple[Kind, ...]], *parts: Any) -> st.SearchStrategy:
    """(factory, (kind, part(kind)...), writer) over the factories and kinds in ``made``."""
    one = st.one_of([st.tuples(st.just(f), per_kind(k, *parts)) for f, k in sorted(made.items())])
    return st.tuples(one, SIDES).map(lambda p: (p[0][0], p[0][1], p[1]))


NUMBERS = INT_KINDS + SINGLE_KINDS


@pytest.mark.mp_catches("mutants.shared_ctypes:array_wrong_width")
@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("Array", "Value")
def test_out_of_range_numbers_wrap_silently(mp):
    """An integer past its type's range is stored modulo 2**bits; a float past 'f' becomes inf.

    The documentation says nothing about overflow; CPython's ctypes raises no error and keeps
    the low bits of any int (even 2**200), and converts a double too large for a C float to
    an infinity of the same sign. Value and Array alike (the same ctypes conversion, so the
    factory is drawn per example rather than made a separate case).
    """
    pool, made, refused = pools_of(mp, SYNCHRONIZED, NUMBERS)
    with agent_for(mp, pool) as agent:

        @budget("cheap")
        @given(cases=st.lists(across(made, out_of_range), min_size=1, max_size=6))
        def wraps(cases: list[tuple]) -> None:
            for factory, (kind, value), writer in cases:
                reader, name, path = other(writer), f"{factory}:{kind.label}", element(factory)
                reply = perform(agent, writer, "write", name, path, value)
                assert reply.ok, (
                    f"storing {value!r} in {factory}({kind}) {reply.show()}; CPython "
                    "stores it without error"
                )
                got = perform(agent, reader, "read", name, path).value
                want = single(value) if kind.family == "single" else wrapped(kind, value)
                assert same(got, want), (
                    f"the {writer} stored {value!r} in {factory}({kind}); the {reader} read "
                    f"{got!r}, CPython reads {want!r}"
                )

        # Just past each bound of every kind, stored by each side, first whatever the budget:
        # a type held in too few bits wraps at the wrong place there.
        for side in ("child", "parent"):
            for past in (lambda k: k.past_bounds[0], lambda k: k.past_bounds[1]):
                edge = [(f, (k, past(k)), side) for f, kinds in sorted(made.items()) for k in kinds]
                wraps = example(cases=edge)(wraps)
        wraps()
    none_refused(refused)


REFUSING = tuple(k for k in KINDS if k.family != "bool")  # c_bool takes any object's truth


@pytest.mark.mp_basis("cpython")
@pytest.mark.mp_api("Array", "Value")
def test_wrong_type_raises_type_error_and_keeps_value(mp):
    """Storing a value of the wrong type raises TypeError and leaves the stored value unchanged.

    The documentation does not say; in CPython an integer type refuses floats, text and bytes,
    a float type refuses text and bytes, and 'c' takes only a single byte (or an int 0-255).
    Value and Array alike, the factory drawn per example.
    """
    pool, made, refused = pools_of(mp, SYNCHRONIZED, REFUSING)
    with agent_for(mp, pool) as agent:

        @budget("cheap")
        @given(case=across(made, in_range, wrong_type))
        def refuses(case: tuple) -> None:
            factory, (kind, good, bad), writer = case
            reader, name, path = other(writer), f"{factory}:{kind.label}", element(factory)
            assert perform(agent, reader, "write", name, path, good).ok
            reply = perform(agent, writer, "write", name, path, bad)
            assert not reply.ok, (
                f"the {writer} stored {bad!r} in {factory}({kind}) without error; CPython raises "
                "TypeError"
            )
            assert reply.raised[:1] == ("TypeError",), (
                f"storing {bad!r} in {factory}({kind}) raised {reply.raised[0]}; "
                "CPython raises TypeError"
            )
            got = perform(agent, reader, "read", name, path).value
            want = stored(kind, good)
            assert same(got, want), (
                f"after the refused store of {bad!r}, the {reader} read {got!r} instead of {want!r}"
            )

        refuses()
    none_refused(refused)


# -- arrays as sequences -----------------------------------------------------------------------

ARRAYS = ("Array", "RawArray")
INT32 = Kind("'i'", "i", ctypes.c_int)
ITEMS = in_range(INT32)
SLICE_BOUNDS = st.none() | st.integers(-SIZE - 2, SIZE + 2)
SLICES = st.builds(
    slice, SLICE_BOUNDS, SLICE_BOUNDS, st.none() | st.sampled_from([1, 2, 3, -1, -2])
)


@st.composite
def sequence_ops(draw: Any) -> tuple:
    """One access: (side, command, path, value to write or None)."""
    side = draw(SIDES)
    op = draw(st.sampled_from(["set", "get", "setslice", "getslice", "len", "iter"]))
    if op in ("set", "get"):
        path = (("item", draw(st.integers(-SIZE, SIZE - 1))),)
        return side, op, path, draw(ITEMS) if op == "set" else None
    if op in ("setslice", "getslice"):
        chosen = draw(SLICES)
        path = (("item", chosen),)
        if op == "getslice":
            return side, op, path, None
        count = len(range(*chosen.indices(SIZE)))
        return side, op, path, draw(st.lists(ITEMS, min_size=count, max_size=count))
    return side, op, (), None


def apply_to_model(model: list, op: str, path: tuple, value: Any) -> Any:
    """What CPython returns for the access, applying writes to ``model`` (a list)."""
    if op in ("set", "setslice"):
        model[path[0][1]] = value
        return None
    if op in ("get", "getslice"):
        return model[path[0][1]]
    if op == "len":
        return len(model)
    return list(model)


def run_on_array(agent: Agent, name: str, side: str, op: str, path: tuple, value: Any):
    command = {"set": "write", "setslice": "write", "get": "read", "getslice": "read"}.get(op, op)
    args = (path, value) if command == "write" else (path,) if command == "read" else ()
    return perform(agent, side, command, name, *args)


def reset(agent: Agent, name: str, values: list) -> None:
    """Element by element from the parent: slice assignment is what is under test."""
    for index, value in enumerate(values):
        kids.write(agent.ledger["pool"][name], (("item", index),), value)


@pytest.mark.mp_catches(
    "mutants.shared_ctypes:negative_index_refused", "mutants.shared_ctypes:slice_assignment_short"
)
@pytest.mark.parametrize("factory", ARRAYS)
@pytest.mark.mp_api("Array", "sharedctypes.RawArray")
def test_array_indexing_and_slicing_behave_like_a_list(mp, factory):
    """Indexing, slicing, slice assignment, len and iteration of an array behave like a list's.

    Negative indices and extended slices included, whichever process does the access.

    The array starts from a drawn content each example; then parent and child take turns at
    reads and writes, and every answer is compared with what a Python list gives.
    """
    name = INT32.label
    with agent_for(mp, pool_of(mp, factory, (INT32,))[0]) as agent:

        @budget("cheap")
        @given(start=st.lists(ITEMS, min_size=SIZE, max_size=SIZE), ops=st.lists(sequence_ops()))
        def like_a_list(start: list, ops: list) -> None:
            reset(agent, name, start)
            model = list(start)
            for side, op, path, value in ops:
                reply = run_on_array(agent, name, side, op, path, value)
                step = f"{op} {path[0][1] if path else ''} by the {side}"
                assert reply.ok, f"{step} {reply.show()}; a list (and CPython) allows it"
                want = apply_to_model(model, op, path, value)
                assert same(reply.value, want), (
                    f"{step} gave {reply.value!r}; a list gives {want!r} (content {model!r})"
                )
            final = perform(agent, "child", "iter", name).value
            assert final == model, f"the array holds {final!r}, a list would hold {model!r}"

        like_a_list()


@st.composite
def bad_accesses(draw: Any) -> tuple:
    """(side, path, value or None, the exception CPython raises)."""
    side = draw(SIDES)
    if draw(st.booleans()):
        index = draw(st.integers(SIZE, SIZE + 5) | st.integers(-SIZE - 5, -SIZE - 1))
        value = draw(st.none() | ITEMS)
        return side, (("item", index),), value, "IndexError"
    chosen = draw(SLICES)
    count = len(range(*chosen.indices(SIZE)))
    size = draw(st.integers(0, SIZE + 2).filter(lambda n: n != count))
    return (
        side,
        (("item", chosen),),
        draw(st.lists(ITEMS, min_size=size, max_size=size)),
        "ValueError",
    )


@pytest.mark.mp_basis("cpython")
@pytest.mark.parametrize("factory", ARRAYS)
@pytest.mark.mp_api("Array", "sharedctypes.RawArray")
def test_array_bad_index_or_slice_length_raises(mp, factory):
    """An index out of range raises IndexError, a slice assignment of another length ValueError.

    In either process, and the array is left unchanged.

    The documentation does not name the exceptions; these are CPython's (ctypes arrays cannot
    change size, so a slice assignment must match the slice's length).
    """
    name = INT32.label
    with agent_for(mp, pool_of(mp, factory, (INT32,))[0]) as agent:

        @budget("cheap")
        @given(start=st.lists(ITEMS, min_size=SIZE, max_size=SIZE), access=bad_accesses())
        def refused(start: list, access: tuple) -> None:
            side, path, value, error = access
            reset(agent, name, start)
            if value is None:
                reply = perform(agent, side, "read", name, path)
            else:
                reply = perform(agent, side, "write", name, path, value)
            what = f"{'reading' if value is None else 'writing'} [{path[0][1]!r}] in the {side}"
            assert not reply.ok, f"{what} {reply.show()}; CPython raises {error}"
            assert reply.raised[:1] == (error,), (
                f"{what} raised {reply.raised[0]}; CPython raises {error}"
            )
            final = perform(agent, "child", "iter", name).value
            assert final == start, f"the refused access changed the array to {final!r}"

        refused()


# -- c_char arrays: value and raw --------------------------------------------------------------

CHAR = Kind("'c'", "c", ctypes.c_char)
VALUE, RAW = (("attr", "value"),), (("attr", "raw"),)
CHAR_DATA = st.binary(min_size=CHARS, max_size=CHARS) | st.lists(
    st.sampled_from([b"\0", b"a", b"\xff"]), min_size=CHARS, max_size=CHARS
).map(b"".join)


def char_pool(mp: Target, factory: str) -> dict[str, Any]:
    make = getattr(mp, factory)
    try:
        return {"chars": make("c", CHARS)}
    except Exception as exc:
        raise AssertionError(
            f"{factory}('c', {CHARS}) raised {type(exc).__name__}: {exc}; CPython gives a "
            "c_char array"
        ) from None


def require_char_api(agent: Agent) -> None:
    obj = agent.ledger["pool"]["chars"]
    for attribute in ("value", "raw"):
        if not hasattr(obj, attribute):
            raise Unsupported(f"{type(obj).__name__} of 'c' has no .{attribute}")


@pytest.mark.mp_catches("mutants.shared_ctypes:char_value_not_nul_terminated")
@pytest.mark.parametrize("factory", ARRAYS)
@pytest.mark.mp_api("Array", "sharedctypes.RawArray")
def test_char_array_value_stops_at_nul_and_raw_has_every_byte(mp, factory):
    """An array of 'c' has .value up to the first NUL byte and .raw with every byte.

    Set through .raw by one process, read by the other.
    """
    with agent_for(mp, char_pool(mp, factory)) as agent:
        require_char_api(agent)

        @budget("cheap")
        @given(data=CHAR_DATA, writer=SIDES)
        def value_and_raw(data: bytes, writer: str) -> None:
            reader = other(writer)
            reply = perform(agent, writer, "write", "chars", RAW, data)
            assert reply.ok, f"setting .raw to {data!r} {reply.show()}"
            raw = perform(agent, reader, "read", "chars", RAW)
            value = perform(agent, reader, "read", "chars", VALUE)
            assert raw.ok and raw.value == data, (
                f"the {writer} set .raw = {data!r}, the {reader} read .raw: {raw.show()}"
            )
            want = data.split(b"\0", 1)[0]
            assert value.ok and value.value == want, (
                f".raw is {data!r}; the {reader} read .value: {value.show()}, CPython gives "
                f"{want!r} (up to the first NUL)"
            )

        value_and_raw()


@st.composite
def char_stores(draw: Any) -> tuple:
    """(side, attribute path, bytes): shorter than, as long as, or longer than the array."""
    size = draw(st.integers(0, CHARS + 3))
    return (
        draw(SIDES),
        draw(st.sampled_from([VALUE, RAW])),
        draw(st.binary(min_size=size, max_size=size)),
    )


def store_chars(model: bytearray, path: tuple, data: bytes) -> str | None:
    """Apply a CPython store to ``model``; the exception name when CPython refuses it."""
    if len(data) > CHARS:
        return "ValueError"
    model[: len(data)] = data
    if path == VALUE and len(data) < CHARS:
        model[len(data)] = 0
    return None


@pytest.mark.mp_basis("cpython")
@pytest.mark.parametrize("factory", ARRAYS)
@pytest.mark.mp_api("Array", "sharedctypes.RawArray")
def test_char_array_stores_through_value_and_raw(mp, factory):
    """On an array of 'c', .value = b stores b and a NUL, .raw = b only b; too long: ValueError.

    The documentation only names the two attributes; this is what CPython's ctypes does, seen
    from the other process.
    """
    with agent_for(mp, char_pool(mp, factory)) as agent:
        require_char_api(agent)

        @budget("cheap")
        @given(start=st.binary(min_size=CHARS, max_size=CHARS), stores=st.lists(char_stores()))
        def stores_apply(start: bytes, stores: list) -> None:
            kids.write(agent.ledger["pool"]["chars"], RAW, start)
            model = bytearray(start)
            for side, path, data in stores:
                error = store_chars(model, path, data)
                reply = perform(agent, side, "write", "chars", path, data)
                attribute = path[0][1]
                if error is None:
                    assert reply.ok, f".{attribute} = {data!r} {reply.show()}"
                else:
                    assert reply.raised[:1] == (error,), (
                        f".{attribute} = {data!r} ({len(data)} bytes, array of {CHARS}) "
                        f"{reply.show()}; CPython raises {error}"
                    )
                reader = other(side)
                raw = perform(agent, reader, "read", "chars", RAW)
                assert raw.ok and raw.value == bytes(model), (
                    f"after the {side} set .{attribute} = {data!r}, the {reader} read .raw: "
                    f"{raw.show()}; "
                    f"CPython holds {bytes(model)!r}"
                )

        stores_apply()


# -- construction ------------------------------------------------------------------------------


@st.composite
def array_specs(draw: Any, kinds: dict[str, tuple[Kind, ...]]) -> tuple:
    """(factory, kind, size_or_initializer, expected content)."""
    factory = draw(st.sampled_from(sorted(kinds)))
    kind = draw(st.sampled_from(kinds[factory]))
    if draw(st.booleans()):
        size = draw(st.integers(0, 12))
        return factory, kind, size, [kind.zero] * size
    items = draw(st.lists(in_range(kind), max_size=12))
    return factory, kind, items, [stored(kind, v) for v in items]


_CREATED: dict[tuple[str, str], tuple[Kind, ...]] = {}


def available(mp: Target, factories: tuple[str, ...]) -> dict[str, tuple[Kind, ...]]:
    """Factory -> the kinds it creates, for the factories the backend has.

    Properties about something else than typecode coverage draw only from these; the missing
    factories and refused kinds are what the round-trip properties (one per factory) report.
    """
    found = {}
    for factory in factories:
        if mp.missing(factory) is None:
            key = (mp.id, factory)
            if key not in _CREATED:  # probing makes a lock per object: once per backend
                _CREATED[key] = created(KINDS, pool_of(mp, factory)[0])
            found[factory] = _CREATED[key]
    if not found:
        raise Unsupported(f"none of {', '.join(factories)}")
    return found


def made_as(mp: Target, factory: str, kind: Kind, arg: Any) -> Any:
    try:
        return getattr(mp, factory)(kind.spec, arg)
    except Unsupported:
        raise
    except Exception as exc:
        raise AssertionError(
            f"{factory}({kind}, {arg!r}) raised {type(exc).__name__}: {exc}; CPython takes a "
            "size or an initializer"
        ) from None


@pytest.mark.mp_api("Array(size_or_initializer)", "sharedctypes.RawArray(size_or_initializer)")
@budget("process")
@given(data=st.data())
def test_array_from_size_or_initializer(mp, data):
    """Array(typecode, size) is zero-filled, Array(typecode, sequence) holds a copy of it.

    Array and RawArray alike, and a child sees the same length and content; it is started after
    creation, as it must be (the only way to share them).
    """
    arrays = available(mp, ARRAYS)
    specs = data.draw(st.lists(array_specs(arrays), min_size=1, max_size=4), label="arrays")
    pool = {f"a{i}": made_as(mp, f, kind, arg) for i, (f, kind, arg, _) in enumerate(specs)}
    for i, (factory, kind, arg, want) in enumerate(specs):
        got = [x for x in pool[f"a{i}"]]
        assert same(got, want), f"{factory}({kind}, {arg!r}) holds {got!r}, not {want!r}"
    ours, theirs = mp.Pipe()
    reads = [(name, (("call", "__len__"),)) for name in pool] + [
        (name, (("item", slice(None)),)) for name in pool
    ]
    proc = mp.Process(target=kids.report_all, args=(theirs, pool, reads))
    proc.start()
    try:
        answers = receive(ours, proc, "the arrays' contents")
    finally:
        finish(proc)
    count = len(pool)
    for i, (factory, kind, arg, want) in enumerate(specs):
        length, content = answers[i], answers[count + i]
        assert length.ok and length.value == len(want), (
            f"the child's len() of {factory}({kind}, {arg!r}) {length.show()}"
        )
        assert content.ok, f"the child's [:] of {factory}({kind}, ...) {content.show()}"
        items = content.value
        if kind.family == "char" and isinstance(items, bytes):  # slicing a c_char array gives bytes
            items = [bytes([b]) for b in items]
        assert same(items, want), (
            f"in the child, {factory}({kind}, {arg!r})[:] gave {content.value!r}; CPython gives "
            f"{b''.join(want) if kind.family == 'char' else want!r}"
        )


def after_join_writes(kinds: dict[str, tuple[Kind, ...]]) -> st.SearchStrategy:
    one = st.one_of(
        [
            st.tuples(st.just(factory), per_kind(made, in_range), st.integers(0, SIZE - 1))
            for factory, made in sorted(kinds.items())
        ]
    )
    return st.lists(one, min_size=1, max_size=5)


@pytest.mark.mp_catches("mutants.shared_ctypes:value_process_local")
@pytest.mark.mp_api("Array", "Value", "sharedctypes.RawArray", "sharedctypes.RawValue")
@budget("process")
@given(data=st.data())
def test_writes_of_an_exited_child_are_visible_after_join(mp, data):
    """What a child stored in Value, RawValue, Array or RawArray is there after it is joined.

    Only the factories the backend has are drawn; the round-trip properties report the others.
    """
    factories = available(mp, FACTORIES)
    writes = data.draw(after_join_writes(factories), label="writes")
    # And, last (so no drawn store overwrites it), one nonzero store into every factory's
    # object: a factory whose stores stay in the child is then caught whatever the draw.
    sentinels = [(f, (ks[0], ks[0].extremes[1]), 1) for f, ks in sorted(factories.items()) if ks]
    writes = writes + sentinels
    pool: dict[str, Any] = {}
    plan = []
    last: dict[tuple, Any] = {}
    for factory, (kind, value), index in writes:
        name = f"{factory}:{kind.label}"
        if name not in pool:
            pool[name] = create(mp, factory, kind)
        path = element(factory, index)
        plan.append((name, path, value))
        last[name, path] = (kind, value)
    proc = mp.Process(target=kids.write_all, args=(pool, plan))
    proc.start()
    assert finish(proc, what="the writing child") == 0, "the writing child failed"
    for (name, path), (kind, value) in last.items():
        got = kids.read(pool[name], path)
        want = stored(kind, value)
        assert same(got, want), (
            f"the child stored {value!r} in {name} {path[0][1]!r} and exited; the parent read "
            f"{got!r}, CPython reads {want!r}"
        )


# -- locks -------------------------------------------------------------------------------------

LOCK_CHOICES = ("default", "Lock", "RLock")


def lock_pool(mp: Target) -> tuple[dict[str, Any], dict[str, Any]]:
    """Synchronized objects made with each lock choice, and the locks that were passed."""
    pool: dict[str, Any] = {}
    given_locks: dict[str, Any] = {}
    for factory in SYNCHRONIZED:
        for choice in LOCK_CHOICES:
            name = f"{factory}(lock={choice})"
            kwargs = {}
            if choice != "default":
                given_locks[name] = kwargs["lock"] = getattr(mp, choice)()
            pool[name] = create(mp, factory, INT32, **kwargs)
    return pool, given_locks


@contextlib.contextmanager
def reading_in_thread(obj: Any, path: tuple) -> Iterator[threading.Event]:
    """Read ``path`` of ``obj`` in a thread; the event tells whether the read has returned.

    The caller keeps the lock held by the agent while it looks, then releases it; the thread
    is joined on the way out (bounded), so it never outlives the test.
    """
    done = threading.Event()

    def read_then_say_so() -> None:
        kids.read(obj, path)
        done.set()

    thread = threading.Thread(target=read_then_say_so, daemon=True)
    thread.start()
    try:
        yield done
    finally:
        thread.join(LIVENESS)


@pytest.mark.mp_catches("mutants.shared_ctypes:get_lock_new_per_call")
@pytest.mark.mp_api("Array(lock)", "Value(lock)")
def test_get_lock_is_the_lock_that_guards_the_object(mp):
    """get_lock() is the lock guarding the object: the same on every call, the one passed in.

    Made with lock=True, lock=Lock() and lock=RLock(): get_lock() returns one object on every
    call, the passed lock if any; and while a child holds it, the parent's acquire(False)
    returns False and a read of the object waits.
    """
    mp.require("Value", "Array")
    pool, given_locks = lock_pool(mp)
    for obj in pool.values():
        require_lock_api(obj)
    with agent_for(mp, pool) as agent:
        for name, obj in pool.items():
            first, second = obj.get_lock(), obj.get_lock()
            assert first is second, f"{name}.get_lock() returned two different objects"
            if name in given_locks:
                assert first is given_locks[name], f"{name}.get_lock() is not the lock passed in"
            assert agent.run("hold", name), f"the child could not acquire {name}.get_lock()"
            with reading_in_thread(obj, element(name.split("(")[0], 1)) as done:
                try:
                    free = first.acquire(False)
                    if free:
                        first.release()
                    waited = not done.wait(HELD_FOR)
                finally:
                    agent.run("release", name)
            assert not free, f"the parent acquired {name}.get_lock() while a child held it"
            assert waited, f"reading {name} did not wait for the lock a child held"
            assert first.acquire(timeout=LIVENESS), f"{name}.get_lock() stayed locked"
            first.release()


@pytest.mark.parametrize(
    "factory", ["Value", pytest.param("Array", marks=pytest.mark.mp_basis("cpython"))]
)
@pytest.mark.mp_api("Array(lock)", "Value(lock)")
def test_default_lock_is_recursive(mp, factory):
    """With lock=True (the default) get_lock() is a recursive lock.

    The owner may take it twice, and a child can take it once the owner released it as often.
    Documented for Value ("a new recursive lock object"); for Array the documentation says "a
    new lock object", and CPython makes it an RLock too.
    """
    mp.require(factory)
    pool = {"obj": create(mp, factory, INT32)}
    require_lock_api(pool["obj"])
    lock = pool["obj"].get_lock()
    with agent_for(mp, pool) as agent:
        assert lock.acquire(timeout=LIVENESS)
        try:
            again = lock.acquire(False)
            assert again, f"{factory}().get_lock() could not be acquired twice by its owner"
            lock.release()
        finally:
            lock.release()
        assert agent.run("hold", "obj"), "the child could not take the lock once it was free"
        agent.run("release", "obj")


@pytest.mark.mp_catches("mutants.shared_ctypes:lock_false_ignored")
@pytest.mark.parametrize("factory", SYNCHRONIZED)
@pytest.mark.mp_api("Array(lock)", "Value(lock)")
def test_lock_false_gives_a_raw_shared_object(mp, factory):
    """With lock=False the object is a raw ctypes object with no get_lock(), still shared.

    A child's stores are read by the parent.
    """
    mp.require(factory)
    pool = {kind.label: create(mp, factory, kind, lock=False) for kind in (INT32, CHAR)}
    for name, obj in pool.items():
        assert not hasattr(obj, "get_lock"), f"{factory}({name}, lock=False) has get_lock()"
        assert isinstance(obj, (ctypes._SimpleCData, ctypes.Array)), (
            f"{factory}({name}, lock=False) is a {type(obj).__name__}, not a ctypes object"
        )
    with agent_for(mp, pool) as agent:
        for kind, value in ((INT32, 2**31 - 1), (CHAR, b"z")):
            agent.run("write", kind.label, element(factory, 2), value)
            got = kids.read(pool[kind.label], element(factory, 2))
            assert got == value, (
                f"the child stored {value!r} in {factory}({kind}, lock=False), the parent read "
                f"{got!r}; CPython's raw object is in shared memory too"
            )


@pytest.mark.parametrize("factory", FACTORIES)
@pytest.mark.mp_api("Array", "Value", "sharedctypes.RawArray", "sharedctypes.RawValue")
def test_get_obj_is_the_shared_ctypes_object(mp, factory):
    """get_obj() returns the wrapped ctypes object; RawValue and RawArray are ctypes objects.

    Stores through it are shared with the other process.
    """
    mp.require(factory)
    obj = create(mp, factory, INT32)
    raw = factory.startswith("Raw")
    if not raw and not callable(getattr(obj, "get_obj", None)):
        raise Unsupported(f"{type(obj).__name__} has no get_obj()")
    inner = obj if raw else obj.get_obj()
    assert isinstance(inner, (ctypes._SimpleCData, ctypes.Array)), (
        f"{factory}{'' if raw else '.get_obj()'} is a {type(inner).__name__}, not a ctypes object"
    )
    through = () if raw else (("call", "get_obj"),)
    path = element(factory, 3)
    with agent_for(mp, {"obj": obj}) as agent:
        for writer, value in (("child", 12345), ("parent", -54321)):
            reader = other(writer)
            wrote = perform(agent, writer, "write", "obj", through + path, value)
            assert wrote.ok, f"the {writer} could not store through get_obj(): {wrote.show()}"
            got = perform(agent, reader, "read", "obj", path)
            assert got.ok and got.value == value, (
                f"the {writer} stored {value} through get_obj(); the {reader} read: {got.show()}"
            )


COUNTERS = {"Value": element("Value"), "Array": element("Array", SIZE - 1)}


@pytest.mark.mp_api("Array(lock)", "Value", "Value(lock)")
def test_increments_under_get_lock_are_not_lost(mp):
    """Increments done under get_lock() by several processes at once are never lost.

    Two agent children and the parent each do ``with obj.get_lock(): obj.value += 1`` (an
    element for Array) a drawn number of times, all at the same time; the total must be exact.
    Without the lock the documentation warns that += is not atomic; with it, it must be.
    """
    for factory in SYNCHRONIZED:
        mp.require(factory)
    pool = {factory: create(mp, factory, INT32) for factory in SYNCHRONIZED}
    for obj in pool.values():
        require_lock_api(obj)
    with agent_for(mp, pool) as first, agent_for(mp, pool) as second:

        @budget("cheap")
        @given(
            times=st.lists(st.integers(0, 60), min_size=3, max_size=3),
            factory=st.sampled_from(SYNCHRONIZED),
        )
        def counting(times: list[int], factory: str) -> None:
            path = COUNTERS[factory]
            before = kids.read(pool[factory], path)
            for agent, n in zip((first, second), times):
                agent.send("increment", factory, path, n)
            kids.increment(pool[factory], path, times[2])
            for agent in (first, second):
                reply = agent.reply("its increments")
                assert reply.ok, f"a child's increments {reply.show()}"
            got = kids.read(pool[factory], path)
            want = wrapped(INT32, before + sum(times))
            assert got == want, (
                f"{times} increments under get_lock() by two children and the parent moved "
                f"{factory} from {before} to {got}, not {want}: {want - got} lost"
            )

        counting()


@pytest.mark.parametrize("factory", ("Value", "RawValue"))
@pytest.mark.mp_api("Value(args)", "sharedctypes.RawValue(args)")
def test_value_without_initial_value_holds_zero(mp, factory):
    """Value(typecode_or_type) with no initial value holds zero (False, b'\\x00', 0.0) in a child.

    The documentation passes *args to the ctypes constructor, whose default is zero.
    """
    mp.require(factory)
    pool, refused = {}, []
    for kind in KINDS:
        try:
            pool[kind.label] = getattr(mp, factory)(kind.spec)
        except Exception as exc:
            refused.append(f"{factory}({kind.label}) raised {type(exc).__name__}: {exc}")
    made = created(KINDS, pool)
    if made:
        with agent_for(mp, pool) as agent:
            reads = [("read", kind.label, element(factory)) for kind in made]
            for kind, reply in zip(made, perform_all(agent, "child", reads)):
                assert reply.ok and same(reply.value, kind.zero), (
                    f"a child read {reply.show()} from {factory}({kind.label}); CPython holds "
                    f"{kind.zero!r}"
                )
    assert not refused, f"{'; '.join(refused)}; CPython creates each one holding zero"


# -- the sharedctypes module's own functions ---------------------------------------------------


@pytest.mark.mp_catches("mutants.shared_ctypes:copy_not_a_copy")
@pytest.mark.mp_api(
    "sharedctypes.Array",
    "sharedctypes.Array(lock)",
    "sharedctypes.Array(size_or_initializer)",
    "sharedctypes.Array(typecode_or_type)",
    "sharedctypes.Value",
    "sharedctypes.Value(args)",
    "sharedctypes.Value(lock)",
    "sharedctypes.Value(typecode_or_type)",
    "sharedctypes.copy",
    "sharedctypes.copy(obj)",
    "sharedctypes.synchronized",
    "sharedctypes.synchronized(lock)",
    "sharedctypes.synchronized(obj)",
)
def test_sharedctypes_functions_make_shared_objects(mp: Target) -> None:
    """The sharedctypes module's Value, Array, copy and synchronized make shared objects.

    Value and Array take lock= as the context's do (a wrapper with get_lock(), guarded by
    the lock given, or the raw object for lock=False); copy(obj) is a new shared object with
    obj's contents, independent of it; synchronized(obj, lock) wraps obj with that lock (a
    new recursive lock without one). A child's stores through each reach the parent.
    """
    sc = mp.sharedctypes
    assert hasattr(sc.Value("i", 7), "get_lock"), "Value() (lock=True) has no get_lock()"
    assert hasattr(sc.Array("i", 3), "get_lock"), "Array() (lock=True) has no get_lock()"
    # Locks of this column's context, so every object may go to its children.
    value = sc.Value("i", 7, lock=mp.Lock())
    raw_value = sc.Value("d", lock=False)
    array = sc.Array("i", [1, 2, 3], lock=mp.RLock())
    raw = sc.Array("b", 4, lock=False)
    assert value.value == 7, f"Value('i', 7, lock=Lock()) holds {value.value}"
    assert raw_value.value == 0.0 and not hasattr(raw_value, "get_lock"), "Value(lock=False)"
    assert array[:] == [1, 2, 3], f"Array('i', [1, 2, 3], lock=RLock()) holds {array[:]}"
    assert raw[:] == [0, 0, 0, 0] and not hasattr(raw, "get_lock"), "Array('b', 4, lock=False)"
    # The typecode decides what is stored: 'd' holds floats, 'b' a signed byte.
    assert type(raw_value.value) is float, f"Value('d') holds a {type(raw_value.value)}"
    raw[1] = -128
    assert raw[1] == -128 and type(raw[1]) is int, f"Array('b') stored -128 as {raw[1]!r}"
    raw[1] = 0
    copied = sc.copy(raw)
    copied[0] = 9
    assert raw[0] == 0 and copied[:] == [9, 0, 0, 0], "copy() is not independent of its source"
    lock = mp.RLock()
    wrapped = sc.synchronized(raw, lock)
    assert wrapped.get_lock() is lock and wrapped.get_obj() is raw, "synchronized(obj, lock)"
    own = sc.synchronized(sc.copy(raw))  # its lock comes from the default context: no child
    with own.get_lock(), own.get_lock():  # recursive: the owner may take it twice
        pass
    objects = {"value": value, "array": array, "copied": copied, "wrapped": wrapped}
    child = mp.Process(target=kids.store_first, args=(objects, 42))
    child.start()
    finish(child, what="the storing child")
    seen = {name: obj[0] if name != "value" else obj.value for name, obj in objects.items()}
    assert seen == dict.fromkeys(objects, 42), f"after the child stored 42 the parent reads {seen}"
