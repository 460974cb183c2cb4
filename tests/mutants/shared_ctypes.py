"""Shared-memory mutants: stdlib Value and Array with one realistic bug each.

Each module attribute below is an Adapter (use it as ``--mp-backend
mutants.shared_ctypes:<name>``); the Shared ctypes properties that must FAIL against it carry
its name in an ``mp_catches`` marker. Only the factories a mutant overrides change (``Value``,
``Array``); the rest of the stdlib context passes through, so the suite's own pipes and
processes stay correct. The wrappers are stdlib's synchronized classes with one method changed;
pickled for a spawn child they rebuild as stdlib's own (``__reduce__`` goes through
``synchronized()``), which is why the meta-tests run them under fork, where the child keeps the
very object.
"""

from __future__ import annotations

import ctypes
import multiprocessing.sharedctypes as sharedctypes
from types import ModuleType
from typing import Any, Callable

from mutants.wrap import factory_mutant, module_like, stdlib_with

# -- helpers -----------------------------------------------------------------------------------


def lock_for(base: Any, lock: Any) -> Any:
    """The lock a synchronized wrapper gets for ``lock=`` (False is handled by the caller)."""
    return base.RLock() if lock in (True, None) else lock


def array_factory(cls: type, chars: bool = False) -> Callable[..., Any]:
    """An ``Array(typecode, size_or_initializer, *, lock=True)`` that wraps in ``cls`` the
    arrays of c_char (``chars``) or the others, and leaves the rest to stdlib's wrapper (so a
    bug in number arrays does not take .value and .raw away from c_char arrays)."""

    def make(base: Any, typecode_or_type: Any, size_or_initializer: Any, *, lock: Any = True):
        raw = base.RawArray(typecode_or_type, size_or_initializer)
        if lock is False:
            return raw
        if (raw._type_ is ctypes.c_char) == chars:
            return cls(raw, lock_for(base, lock), base)
        return sharedctypes.synchronized(raw, lock_for(base, lock), base)

    return make


# -- Value kept in private memory --------------------------------------------------------------


def private_value(base: Any, typecode_or_type: Any, *args: Any, lock: Any = True) -> Any:
    """Allocates the ctypes object on the ordinary heap instead of the shared arena, as a port
    that forgot the arena would: a forked child works on its own copy of it."""
    ctype = sharedctypes.typecode_to_type.get(typecode_or_type, typecode_or_type)
    obj = ctype(*args)
    if lock is False:
        return obj
    return sharedctypes.Synchronized(obj, lock_for(base, lock), base)


# -- Array of 64-bit integers stored in 32 bits ------------------------------------------------

NARROWED = {"q": "i", "Q": "I"}


def narrow_array(base: Any, typecode_or_type: Any, size_or_initializer: Any, *, lock: Any = True):
    """Maps 'q' and 'Q' to 'i' and 'I', as a typecode table written for a 32-bit C long would:
    every value past 32 bits wraps."""
    typecode = NARROWED.get(typecode_or_type, typecode_or_type)
    return base.Array(typecode, size_or_initializer, lock=lock)


# -- get_lock() that makes a lock --------------------------------------------------------------


class FreshLockValue(sharedctypes.Synchronized):
    """get_lock() builds a new lock on every call instead of returning the one in use."""

    def __init__(self, obj: Any, lock: Any, ctx: Any) -> None:
        super().__init__(obj, lock, ctx)
        self._ctx = ctx

    def get_lock(self) -> Any:
        return self._ctx.RLock()


class FreshLockArray(sharedctypes.SynchronizedArray):
    def __init__(self, obj: Any, lock: Any, ctx: Any) -> None:
        super().__init__(obj, lock, ctx)
        self._ctx = ctx

    def get_lock(self) -> Any:
        return self._ctx.RLock()


def fresh_lock_value(base: Any, typecode_or_type: Any, *args: Any, lock: Any = True) -> Any:
    raw = base.RawValue(typecode_or_type, *args)
    if lock is False:
        return raw
    return FreshLockValue(raw, lock_for(base, lock), base)


# -- slice assignment that stops one short -----------------------------------------------------


class ShortSliceArray(sharedctypes.SynchronizedArray):
    """a[i:j] = seq checks the length, then copies element by element with a loop bound one
    short, so the last element of the slice keeps its old value."""

    def __setitem__(self, index: Any, value: Any) -> None:
        if not isinstance(index, slice) or index.step not in (None, 1):
            return super().__setitem__(index, value)
        with self:
            start, stop, _ = index.indices(len(self._obj))
            stop = max(start, stop)
            values = list(value)
            if len(values) != stop - start:
                raise ValueError("Can only assign sequence of same size")
            for offset in range(stop - start - 1):
                self._obj[start + offset] = values[offset]
        return None


# -- negative indices refused ------------------------------------------------------------------


class NonNegativeArray(sharedctypes.SynchronizedArray):
    """Integer indices are range-checked as 0 <= i < len, C style: a[-1] raises IndexError."""

    def _check(self, index: Any) -> None:
        if isinstance(index, int) and index < 0:
            raise IndexError("invalid index")

    def __getitem__(self, index: Any) -> Any:
        self._check(index)
        return super().__getitem__(index)

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check(index)
        super().__setitem__(index, value)


# -- c_char value that ignores the NUL ---------------------------------------------------------


class RawValueString(sharedctypes.SynchronizedString):
    """.value returns every byte, as .raw does: the read never stops at the first NUL."""

    @property
    def value(self) -> bytes:
        with self:
            return self._obj.raw

    @value.setter
    def value(self, data: bytes) -> None:
        with self:
            self._obj.value = data


# -- lock=False ignored ------------------------------------------------------------------------


def always_wrapped_value(base: Any, typecode_or_type: Any, *args: Any, lock: Any = True) -> Any:
    """lock=False is treated like lock=True: callers still get a wrapper with get_lock()."""
    raw = base.RawValue(typecode_or_type, *args)
    return sharedctypes.Synchronized(raw, lock_for(base, True if lock is False else lock), base)


# -- adapters ----------------------------------------------------------------------------------


value_process_local = factory_mutant(
    "value-process-local",
    "Value() allocates on the private heap: a forked child's stores are its own",
    Value=private_value,
)
array_wrong_width = factory_mutant(
    "array-wrong-width",
    "Array('q') and Array('Q') store 32-bit elements",
    Array=narrow_array,
)
get_lock_new_per_call = factory_mutant(
    "get-lock-new-per-call",
    "get_lock() returns a new lock on every call",
    Value=fresh_lock_value,
    Array=array_factory(FreshLockArray),
)
slice_assignment_short = factory_mutant(
    "slice-assignment-short",
    "a[i:j] = seq leaves the last element of the slice unwritten",
    Array=array_factory(ShortSliceArray),
)
negative_index_refused = factory_mutant(
    "negative-index-refused",
    "Array indexing raises IndexError for negative indices",
    Array=array_factory(NonNegativeArray),
)
char_value_not_nul_terminated = factory_mutant(
    "char-value-not-nul-terminated",
    "Array('c').value returns every byte instead of stopping at NUL",
    Array=array_factory(RawValueString, chars=True),
)
lock_false_ignored = factory_mutant(
    "lock-false-ignored",
    "Value(..., lock=False) still returns a synchronized wrapper",
    Value=always_wrapped_value,
)


def _copy_is_the_original(obj: Any) -> Any:
    return obj


def _sharedctypes_module(**overrides: Any) -> ModuleType:
    return module_like(sharedctypes, f"{__name__}.sharedctypes", **overrides)


copy_not_a_copy = stdlib_with(
    "copy-not-a-copy",
    "sharedctypes.copy(obj) returns obj itself",
    sharedctypes=_sharedctypes_module(copy=_copy_is_the_original),
)
