"""Shared ctypes properties as plain code, for standalone repro scripts.

Each ``observe`` does what its property does with a context (``mp``) and returns what the
property compares; the helpers are the child-side functions. They are copied verbatim into
scripts that import only the backend and the standard library (see
:mod:`mpconform.conformance.plain_lifecycle`). The properties use every array typecode and a
range of ctypes types; the scripts use the typecodes only (a ctypes type needs ``import
ctypes``), which is where every recorded difference shows. A *slot* is None for a Value (its
``.value``) and an index for an array. Children answer through a pipe, bounded by PATIENCE_S.
"""

from __future__ import annotations

from mpconform.plain import template

PATIENCE_S = 10.0
SIZE = 8  # elements of every array
CHARS = 16  # bytes of the c_char arrays
TYPECODES = "bBhHiIlLqQfdc"
ZERO = {"f": 0.0, "d": 0.0, "c": b"\x00"}  # 0 for the others
# The two values furthest apart each typecode holds (64-bit 'l' and 'L', as on Linux).
EXTREMES = {
    "b": (-128, 127),
    "B": (0, 255),
    "h": (-32768, 32767),
    "H": (0, 65535),
    "i": (-2147483648, 2147483647),
    "I": (0, 4294967295),
    "l": (-9223372036854775808, 9223372036854775807),
    "L": (0, 18446744073709551615),
    "q": (-9223372036854775808, 9223372036854775807),
    "Q": (0, 18446744073709551615),
    "f": (-3.4028234663852886e38, 3.4028234663852886e38),
    "d": (-1.7976931348623157e308, 2.2250738585072014e-308),
    "c": (b"\x00", b"\xff"),
}
# Just past each bound: CPython keeps the low bits of an int, 'f' overflows to infinity.
PAST_BOUNDS = {
    "b": (-129, 128),
    "B": (-1, 256),
    "h": (-32769, 32768),
    "H": (-1, 65536),
    "i": (-2147483649, 2147483648),
    "I": (-1, 4294967296),
    "l": (-9223372036854775809, 9223372036854775808),
    "L": (-1, 18446744073709551616),
    "q": (-9223372036854775809, 9223372036854775808),
    "Q": (-1, 18446744073709551616),
    "f": (-3.402823669209385e38, 3.402823669209385e38),
}


def make(mp, factory, code, **kwargs):
    """A Value holding zero, or an array of SIZE zeros (the initializer form)."""
    zero = ZERO.get(code, 0)
    if factory.endswith("Value"):
        return getattr(mp, factory)(code, zero, **kwargs)
    return getattr(mp, factory)(code, [zero] * SIZE, **kwargs)


def store(obj, slot, value):
    if slot is None:
        obj.value = value
    else:
        obj[slot] = value


def outcome(function, *args):
    """What calling ``function`` gives: its value, or "raised <the exception's class>"."""
    try:
        return function(*args)
    except Exception as exc:
        return f"raised {type(exc).__name__}"


def load(obj, slot):
    return obj.value if slot is None else obj[slot]


def store_all(conn, objects, writes):
    """Child: store each (code, slot, value); send what each store gave."""
    conn.send([outcome(store, objects[code], slot, value) for code, slot, value in writes])


def load_all(conn, objects, reads):
    """Child: send what each (code, slot) reads."""
    conn.send([outcome(load, objects[code], slot) for code, slot in reads])


def in_child(mp, target, *args):
    """What a child running ``target(conn, *args)`` sends back, bounded."""
    ours, theirs = mp.Pipe()
    p = mp.Process(target=target, args=(theirs, *args))
    p.start()
    got = ours.recv() if ours.poll(PATIENCE_S) else "no answer from the child"
    p.join(PATIENCE_S)
    return got


def stores_across(mp, factory, writes, writer):
    """One object per typecode of ``writes`` (what creating it raised, if it did); the writes
    done by ``writer`` ("child" or "parent") and what the other process then reads."""
    objects, refused = {}, {}
    for code in dict.fromkeys(code for code, _, _ in writes):
        try:
            objects[code] = make(mp, factory, code)
        except Exception as exc:
            refused[code] = f"raised {type(exc).__name__}"
    if factory.endswith("Value"):
        writes = [(code, None, value) for code, _, value in writes]
    writes = [(code, slot, value) for code, slot, value in writes if code in objects]
    reads = list(dict.fromkeys((code, slot) for code, slot, _ in writes))
    if writer == "child":
        stored = in_child(mp, store_all, objects, writes)
        read = [outcome(load, objects[code], slot) for code, slot in reads]
    else:
        stored = [outcome(store, objects[code], slot, value) for code, slot, value in writes]
        read = in_child(mp, load_all, objects, reads)
    return {"refused": refused, "stored": stored, "read back": read}


@template(
    "test_stores_are_read_back_by_the_other_process",
    make,
    store,
    outcome,
    load,
    store_all,
    load_all,
    in_child,
    stores_across,
    sample={"variant": "Value", "writes": [("f", 0, 1e-40), ("i", 0, -7)], "writer": "parent"},
)
def stores_read_back(mp, variant, writes=None, writer="child"):
    if writes is None:  # no example: each typecode's extremes, what the property writes first
        writes = [(code, slot, EXTREMES[code][slot]) for code in TYPECODES for slot in (0, 1)]
    return stores_across(mp, variant, writes, writer)


@template(
    "test_out_of_range_numbers_wrap_silently",
    make,
    store,
    outcome,
    load,
    store_all,
    load_all,
    in_child,
    stores_across,
)
def out_of_range(mp):
    past = [(code, slot, PAST_BOUNDS[code][slot]) for code in PAST_BOUNDS for slot in (0, 1)]
    return {
        "Value": stores_across(mp, "Value", [w for w in past if w[1] == 1], "child"),
        "Array": stores_across(mp, "Array", past, "child"),
    }


@template(
    "test_wrong_type_raises_type_error_and_keeps_value",
    make,
    store,
    outcome,
    load,
    store_all,
    load_all,
    in_child,
    stores_across,
    sample={"case": ("Array", ("i", 5, "text"), "parent")},
)
def wrong_type(mp, case=("Value", ("q", 0, None), "child")):
    factory, (code, good, bad), writer = case
    return stores_across(mp, factory, [(code, 0, good), (code, 0, bad)], writer)


@template(
    "test_value_without_initial_value_holds_zero",
    outcome,
    load,
    load_all,
    in_child,
    sample={"variant": "Value"},
)
def value_without_initial_value(mp, variant):
    objects, refused = {}, {}
    for code in TYPECODES:
        try:
            objects[code] = getattr(mp, variant)(code)
        except Exception as exc:
            refused[code] = f"raised {type(exc).__name__}"
    read = in_child(mp, load_all, objects, [(code, None) for code in objects])
    return {"refused": refused, "a child reads": read}


@template(
    "test_lock_false_gives_a_raw_shared_object",
    make,
    store,
    outcome,
    load,
    store_all,
    in_child,
    sample={"variant": "Array"},
)
def lock_false(mp, variant):
    objects = {code: make(mp, variant, code, lock=False) for code in ("i", "c")}
    kinds = [(type(obj).__name__, hasattr(obj, "get_lock")) for obj in objects.values()]
    slot = None if variant == "Value" else 2
    stored = in_child(mp, store_all, objects, [("i", slot, 2147483647), ("c", slot, b"z")])
    read = [outcome(load, obj, slot) for obj in objects.values()]
    return {"types, get_lock": kinds, "a child stored": stored, "the parent reads": read}


def list_like_ops(conn, arr):
    """Child: what a list's reads and writes give on the array (the start is 0..SIZE-1)."""

    def assign(index, value):
        arr[index] = value

    conn.send(
        [
            outcome(lambda: arr[-1]),
            outcome(lambda: arr[1:5]),
            outcome(lambda: arr[::-3]),
            outcome(assign, slice(2, 4), [70, 80]),
            outcome(assign, slice(None, 0), []),
            outcome(assign, slice(None, None, 3), [1, 2, 3]),
            outcome(len, arr),
            outcome(list, arr),
        ]
    )


def bad_ops(conn, arr):
    """Child: an index out of range, slice assignments of the wrong length."""

    def assign(index, value):
        arr[index] = value

    conn.send(
        [
            outcome(lambda: arr[SIZE]),
            outcome(assign, -SIZE - 1, 1),
            outcome(assign, slice(None), []),
            outcome(assign, slice(None, None, 2), [1, 2, 3]),
        ]
    )


@template(
    "test_array_indexing_and_slicing_behave_like_a_list",
    outcome,
    list_like_ops,
    in_child,
    sample={"variant": "Array"},
)
def array_like_a_list(mp, variant):
    arr = getattr(mp, variant)("i", list(range(SIZE)))
    answers = in_child(mp, list_like_ops, arr)
    return {"the child": answers, "then the parent reads": list(arr)}


@template(
    "test_array_bad_index_or_slice_length_raises",
    outcome,
    bad_ops,
    in_child,
    sample={"variant": "Array"},
)
def array_bad_index(mp, variant):
    arr = getattr(mp, variant)("i", list(range(SIZE)))
    answers = in_child(mp, bad_ops, arr)
    return {"the child": answers, "then the parent reads": list(arr)}


def set_raw(conn, chars, data):
    conn.send(outcome(setattr, chars, "raw", data))


def store_chars(conn, chars, stores):
    """Child: set .value or .raw to each bytes; send what each gave and .raw after it."""
    answers = []
    for attribute, data in stores:
        answers.append((outcome(setattr, chars, attribute, data), chars.raw))
    conn.send(answers)


@template(
    "test_char_array_value_stops_at_nul_and_raw_has_every_byte",
    outcome,
    set_raw,
    in_child,
    sample={"variant": "Array"},
)
def char_value_and_raw(mp, variant):
    chars = getattr(mp, variant)("c", CHARS)
    data = b"ab\x00cd" + b"\xff" * (CHARS - 5)
    stored = in_child(mp, set_raw, chars, data)
    return {"a child set .raw": stored, ".raw": chars.raw, ".value": chars.value}


@template(
    "test_char_array_stores_through_value_and_raw",
    outcome,
    store_chars,
    in_child,
    sample={"variant": "RawArray"},
)
def char_stores(mp, variant):
    chars = getattr(mp, variant)("c", CHARS)
    stores = [("raw", b"x" * CHARS), ("value", b"abc"), ("raw", b"yz"), ("value", b"q" * 17)]
    answers = in_child(mp, store_chars, chars, stores)
    return {"the child": answers, "then the parent reads .raw": chars.raw}


def lengths_and_items(conn, arrays):
    conn.send([(len(arr), list(arr)) for arr in arrays])


@template("test_array_from_size_or_initializer", outcome, lengths_and_items, in_child)
def array_from_size_or_initializer(mp):
    made = []
    for code, initializer in (("b", [-1, 2]), ("i", [5]), ("d", [0.5, -2.0]), ("c", [b"a"])):
        for arg in (0, 3, initializer):
            made.append((code, arg, outcome(mp.Array, code, arg)))
    arrays = [arr for _, _, arr in made if not isinstance(arr, str)]
    seen = in_child(mp, lengths_and_items, arrays)
    if not isinstance(seen, list):
        return seen
    seen = iter(seen)
    return [(code, arg, arr if isinstance(arr, str) else next(seen)) for code, arg, arr in made]
