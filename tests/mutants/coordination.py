"""Coordination mutants: stdlib Conditions, Events and Barriers with one realistic bug each.

Each module attribute below is an Adapter (use it as ``--mp-backend
mutants.coordination:<name>``); the properties of ``test_coordination`` that must FAIL against
it name it in an ``mp_catches`` marker. Only the factory a mutant overrides changes
(``Condition``, ``Event`` or ``Barrier``); everything else, the Events' and Barriers' own inner
Conditions included, is the stdlib's, so a bug cannot leak into the helpers the suite uses.
Mutated classes are module-level so that spawn and forkserver children can unpickle them by
name, although the meta-tests only use fork.
"""

from __future__ import annotations

import multiprocessing.synchronize as synchronize
import sys
from typing import Any, Callable

from mutants.wrap import factory_mutant

# -- Condition ---------------------------------------------------------------------------------


class NotifyWakesAll(synchronize.Condition):
    """notify(n) wakes every waiter, as a port that only has a broadcast primitive does."""

    def notify(self, n: int = 1) -> None:
        super().notify(sys.maxsize)


class NotifyAllWakesOne(synchronize.Condition):
    """notify_all() wakes a single waiter, as if it were spelled notify()."""

    def notify_all(self) -> None:
        super().notify(1)


class TimedWaitSaysNotified(synchronize.Condition):
    """wait(timeout) returns True on timeout too: it reports that it got the lock back, not
    whether it was notified."""

    def wait(self, timeout: float | None = None) -> bool:
        super().wait(timeout)
        return True


class NotifyBanked(synchronize.Condition):
    """notify() with nobody asleep posts a wake-up all the same, as a condition built on a bare
    semaphore does; the next wait() takes it and returns at once."""

    def notify(self, n: int = 1) -> None:
        sleeping = self._sleeping_count._semlock._get_value()
        if sleeping > self._woken_count._semlock._get_value():
            super().notify(n)
        else:
            self._wait_semaphore.release()


class GivenLockIgnored(synchronize.Condition):
    """Condition(lock) makes an RLock of its own and drops the lock it was given, so holding
    that lock does not exclude holders of the Condition."""

    def __init__(self, lock: Any = None, *, ctx: Any) -> None:
        super().__init__(None, ctx=ctx)


class WaitReleasesOneLevel(synchronize.Condition):
    """wait() releases the RLock once, however many times the caller holds it, as a port built
    on a plain lock's release() does: a waiter holding it twice keeps it while asleep."""

    def wait(self, timeout: float | None = None) -> bool:
        assert self._lock._semlock._is_mine(), "must acquire() condition before using wait()"
        self._sleeping_count.release()
        self._lock.release()
        try:
            return self._wait_semaphore.acquire(True, timeout)
        finally:
            self._woken_count.release()
            self._lock.acquire()


# -- Event -------------------------------------------------------------------------------------


class TimedWaitFallsOff(synchronize.Event):
    """wait(timeout) returns None instead of False on timeout: the False branch is missing."""

    def wait(self, timeout: float | None = None) -> Any:
        if super().wait(timeout):
            return True
        return None


class ClearForgotten(synchronize.Event):
    """clear() takes the lock and leaves the flag as it was."""

    def clear(self) -> None:
        with self._cond:
            pass


# -- Barrier -----------------------------------------------------------------------------------


class SameIndexForAll(synchronize.Barrier):
    """wait() returns 0 to every party, as if it returned the count after the cycle."""

    def wait(self, timeout: float | None = None) -> int:
        super().wait(timeout)
        return 0


class ActionByEveryParty(synchronize.Barrier):
    """Every party runs the action on its way out, not only the one that completed the cycle."""

    def wait(self, timeout: float | None = None) -> int:
        index = super().wait(timeout)
        if self._action is not None and index != self._parties - 1:
            self._action()
        return index


class ReleasedOneEarly(synchronize.Barrier):
    """An off-by-one: the party that brings the count to parties - 1 releases the cycle, so
    the others pass before the last one arrived (and that one waits in a cycle of its own)."""

    def wait(self, timeout: float | None = None) -> int:
        if timeout is None:
            timeout = self._timeout
        with self._cond:
            self._enter()
            index = self._count
            self._count += 1
            try:
                if index + 2 >= self._parties:
                    self._release()
                else:
                    self._wait(timeout)
                return index
            finally:
                self._count -= 1
                self._exit()


# -- adapters ----------------------------------------------------------------------------------


def condition_of(cls: type) -> Callable[..., Any]:
    def make(base: Any, lock: Any = None) -> Any:
        return cls(lock, ctx=base)

    return make


def event_of(cls: type) -> Callable[..., Any]:
    def make(base: Any) -> Any:
        return cls(ctx=base)

    return make


def barrier_of(cls: type) -> Callable[..., Any]:
    def make(base: Any, parties: int, action: Any = None, timeout: Any = None) -> Any:
        return cls(parties, action, timeout, ctx=base)

    return make


notify_wakes_all = factory_mutant(
    "notify-wakes-all",
    "Condition.notify(n) wakes every waiter",
    Condition=condition_of(NotifyWakesAll),
)
notify_all_wakes_one = factory_mutant(
    "notify-all-wakes-one",
    "Condition.notify_all() wakes one waiter",
    Condition=condition_of(NotifyAllWakesOne),
)
condition_timeout_true = factory_mutant(
    "condition-timeout-true",
    "Condition.wait(timeout) returns True when it timed out",
    Condition=condition_of(TimedWaitSaysNotified),
)
notify_banked = factory_mutant(
    "notify-banked",
    "Condition.notify() with nobody waiting wakes the next wait()",
    Condition=condition_of(NotifyBanked),
)
given_lock_ignored = factory_mutant(
    "given-lock-ignored",
    "Condition(lock) ignores lock and uses an RLock of its own",
    Condition=condition_of(GivenLockIgnored),
)
wait_keeps_rlock_level = factory_mutant(
    "wait-keeps-rlock-level",
    "Condition.wait() releases an RLock held n times only once",
    Condition=condition_of(WaitReleasesOneLevel),
)
event_timeout_none = factory_mutant(
    "event-timeout-none",
    "Event.wait(timeout) returns None instead of False on timeout",
    Event=event_of(TimedWaitFallsOff),
)
event_clear_ignored = factory_mutant(
    "event-clear-ignored", "Event.clear() leaves the flag set", Event=event_of(ClearForgotten)
)
barrier_same_index = factory_mutant(
    "barrier-same-index",
    "Barrier.wait() returns 0 to every party",
    Barrier=barrier_of(SameIndexForAll),
)
barrier_action_by_all = factory_mutant(
    "barrier-action-by-all",
    "every party runs the Barrier's action",
    Barrier=barrier_of(ActionByEveryParty),
)
barrier_releases_early = factory_mutant(
    "barrier-releases-early",
    "Barrier(n) releases its parties when n - 1 have arrived",
    Barrier=barrier_of(ReleasedOneEarly),
)
