"""Lock and semaphore mutants: stdlib synchronisation primitives with one realistic bug each.

Each module attribute below is an Adapter (use it as ``--mp-backend mutants.locks:<name>``); the
Locks and semaphores properties that must FAIL against it carry its name in an ``mp_catches``
marker (at least one of their parametrizations, under fork).

Most bugs sit where a backend's own SemLock binding would put them, so they affect every
SemLock-based factory at once, as such a bug would. Stdlib's SemLock binds ``acquire`` and
``release`` per instance in ``_make_methods`` (which also runs when a child unpickles the
object), so that is where the mutants wrap them. Only the factories a mutant overrides change;
the rest of the stdlib context passes through. Mutated classes are module-level so that spawn
and forkserver children could unpickle them by name, although the meta-tests only use fork.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import multiprocessing.sharedctypes
import multiprocessing.synchronize as synchronize
import threading
from typing import Any, Callable

from mutants.wrap import factory_mutant

SEMLOCK_KINDS: dict[str, type] = {
    "Lock": synchronize.Lock,
    "RLock": synchronize.RLock,
    "Semaphore": synchronize.Semaphore,
    "BoundedSemaphore": synchronize.BoundedSemaphore,
}


def made_by(cls: type, extra_slots: int = 0) -> Callable[..., Any]:
    """A factory building ``cls`` over the bound context, as stdlib's context methods do;
    ``extra_slots`` is added to a semaphore's initial value."""

    def make(base: Any, *args: Any, **kwargs: Any) -> Any:
        if extra_slots:
            value = args[0] if args else kwargs.pop("value", 1)
            args = (value + extra_slots, *args[1:])
        return cls(*args, ctx=base.get_context(), **kwargs)

    return make


# -- SemLock binding bugs ----------------------------------------------------------------------


class TimeoutIgnored:
    """acquire(timeout=t) tries once and gives up at once, as a binding that maps every timed
    wait to sem_trywait() would."""

    def _make_methods(self) -> None:
        super()._make_methods()  # type: ignore[misc]
        plain = self._semlock.acquire  # type: ignore[attr-defined]

        def acquire(block: bool = True, timeout: float | None = None) -> bool:
            if block and timeout is not None:
                return plain(False)
            return plain(block, timeout)

        self.acquire = acquire


class NoneOnFailure:
    """A failed acquire returns None instead of False, as a binding that returns "nothing"
    when the semaphore was not taken. Still falsy, so ``if lock.acquire(False):`` works."""

    def _make_methods(self) -> None:
        super()._make_methods()  # type: ignore[misc]
        plain = self._semlock.acquire  # type: ignore[attr-defined]

        def acquire(block: bool = True, timeout: float | None = None) -> bool | None:
            return plain(block, timeout) or None

        self.acquire = acquire


class OwnerUnchecked:
    """RLock.release() by a process that does not own it does nothing instead of raising, as a
    wrapper that swallows the binding's error would."""

    def _make_methods(self) -> None:
        super()._make_methods()  # type: ignore[misc]
        plain = self._semlock.release  # type: ignore[attr-defined]

        def release() -> None:
            try:
                plain()
            except AssertionError:
                return

        self.release = release


def _classes(mixin: type, kinds: tuple[str, ...] = tuple(SEMLOCK_KINDS)) -> dict[str, type]:
    """``mixin`` over each stdlib class in ``kinds``, bound to a module-level name."""
    made = {}
    for kind in kinds:
        name = f"{mixin.__name__}{kind}"
        cls = type(name, (mixin, SEMLOCK_KINDS[kind]), {"__module__": __name__})
        cls.__qualname__ = name
        globals()[name] = cls
        made[kind] = cls
    return made


# -- a lock that is not shared -----------------------------------------------------------------


class ProcessLocalLock:
    """A "Lock" built on threading.Lock: it excludes threads, but each process has its own.

    Pickling (spawn) sends nothing and the child makes a fresh lock; a fork child gets a copy.
    Either way a process never sees another one holding it. Everything else mimics the stdlib
    Lock, including ValueError on releasing it unlocked.
    """

    def __init__(self, *, ctx: Any = None) -> None:
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:
        return {}

    def __setstate__(self, state: dict) -> None:
        self._lock = threading.Lock()

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        if not block:
            return self._lock.acquire(False)
        return self._lock.acquire(True, -1 if timeout is None else max(timeout, 0))

    def release(self) -> None:
        try:
            self._lock.release()
        except RuntimeError:
            raise ValueError("semaphore or lock released too many times") from None

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()


# -- shared values -----------------------------------------------------------------------------


class FreshLockEachCall(multiprocessing.sharedctypes.Synchronized):
    """A synchronized Value whose get_lock() makes a new lock on every call, as a wrapper that
    builds the lock lazily and forgets to keep it: ``with v.get_lock():`` excludes nobody."""

    def get_lock(self) -> Any:
        return multiprocessing.RLock()


def value_with_fresh_locks(base: Any, *args: Any, **kwargs: Any) -> Any:
    value = base.Value(*args, **kwargs)
    if isinstance(value, multiprocessing.sharedctypes.Synchronized):
        value.__class__ = FreshLockEachCall
    return value


# -- adapters ----------------------------------------------------------------------------------


def every_kind(mixin: type) -> dict[str, Callable[..., Any]]:
    return {kind: made_by(cls) for kind, cls in _classes(mixin).items()}


acquire_timeout_ignored = factory_mutant(
    "acquire-timeout-ignored",
    "acquire(timeout=t) gives up at once on a held lock or exhausted semaphore",
    **every_kind(TimeoutIgnored),
)
failed_acquire_returns_none = factory_mutant(
    "failed-acquire-returns-none",
    "acquire() that does not get the lock returns None instead of False",
    **every_kind(NoneOnFailure),
)
lock_per_process = factory_mutant(
    "lock-per-process",
    "Lock is a threading.Lock: every process has its own copy",
    Lock=lambda base: ProcessLocalLock(ctx=base),
)
lock_is_rlock = factory_mutant(
    "lock-is-rlock",
    "Lock is an alias of RLock: re-entrant, and only its owner may release it",
    Lock=made_by(synchronize.RLock),
)
rlock_not_reentrant = factory_mutant(
    "rlock-not-reentrant",
    "RLock is an alias of Lock: its owner blocks on itself",
    RLock=made_by(synchronize.Lock),
)
rlock_release_unchecked = factory_mutant(
    "rlock-release-unchecked",
    "RLock.release() by a non-owner, or of an unowned RLock, silently does nothing",
    RLock=made_by(_classes(OwnerUnchecked, ("RLock",))["RLock"]),
)
bounded_semaphore_unbounded = factory_mutant(
    "bounded-semaphore-unbounded",
    "BoundedSemaphore is a plain Semaphore: release() beyond the initial value is accepted",
    BoundedSemaphore=made_by(synchronize.Semaphore),
)
semaphore_one_extra = factory_mutant(
    "semaphore-one-extra",
    "Semaphore(n) and BoundedSemaphore(n) start with n + 1 slots",
    Semaphore=made_by(synchronize.Semaphore, extra_slots=1),
    BoundedSemaphore=made_by(synchronize.BoundedSemaphore, extra_slots=1),
)
value_get_lock_fresh = factory_mutant(
    "value-get-lock-fresh",
    "Value.get_lock() returns a new lock on every call",
    Value=value_with_fresh_locks,
)
