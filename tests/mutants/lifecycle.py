"""Process lifecycle mutants: stdlib with one realistic bug each, for the meta-tests.

Each module attribute below is an Adapter (use it as ``--mp-backend mutants.lifecycle:<name>``);
the lifecycle properties that must FAIL against it name it in an ``mp_catches`` marker.
Every bug is one a real backend has had or could plausibly have, so a property that lets one
through is too weak to trust on real backends.
"""

from __future__ import annotations

import os
from typing import Any

from .wrap import mutant


class SignalSignLost:
    """exitcode drops the sign of a signal death, as when a backend returns WTERMSIG as is."""

    @property
    def exitcode(self) -> Any:
        code = super().exitcode  # type: ignore[misc]
        return abs(code) if code is not None else None


class JoinTimeoutTruncated:
    """join(timeout) truncates the timeout to whole seconds, as a C API taking an int would."""

    def join(self, timeout: Any = None) -> None:
        super().join(None if timeout is None else int(timeout))  # type: ignore[misc]


class KwargsDropped:
    """run() calls the target with args only; kwargs are silently lost."""

    def run(self) -> None:
        if self._target:  # type: ignore[attr-defined]
            self._target(*self._args)  # type: ignore[attr-defined]


class DaemonIgnored:
    """Setting daemon (attribute or constructor) does nothing; every process is non-daemonic."""

    @property
    def daemon(self) -> bool:
        return bool(self._config.get("daemon", False))  # type: ignore[attr-defined]

    @daemon.setter
    def daemon(self, value: bool) -> None:
        pass


class CloseLeavesAttributes:
    """close() invalidates the methods but not the attributes, which keep answering None."""

    @property
    def exitcode(self) -> Any:
        popen = self._popen  # type: ignore[attr-defined]
        return None if popen is None else popen.poll()

    @property
    def pid(self) -> Any:
        popen = self._popen  # type: ignore[attr-defined]
        return None if popen is None else popen.pid

    ident = pid

    @property
    def sentinel(self) -> Any:
        return getattr(self, "_sentinel", None)


class ChildRenamed:
    """The child names itself after its pid instead of keeping the name its parent gave it."""

    def _bootstrap(self, *args: Any, **kwargs: Any) -> Any:
        self._name = f"{type(self).__name__}-{os.getpid()}"
        return super()._bootstrap(*args, **kwargs)  # type: ignore[misc]


class ExitTextIsZero:
    """sys.exit("message") gives exitcode 0, as billiard does, instead of 1."""

    def run(self) -> None:
        try:
            super().run()  # type: ignore[misc]
        except SystemExit as exc:
            if isinstance(exc.code, str):
                raise SystemExit(0) from None
            raise


class StartTwiceIgnored:
    """A second start() returns silently instead of raising."""

    def start(self) -> None:
        if self._popen is None:  # type: ignore[attr-defined]
            super().start()  # type: ignore[misc]


class SpawnFallback:
    """Every start method quietly spawns, as a backend does when fork is unavailable."""

    @staticmethod
    def _Popen(process_obj: Any) -> Any:
        from multiprocessing.popen_spawn_posix import Popen

        return Popen(process_obj)


class GroupIgnored:
    """Process(group=...) accepts any group and drops it."""

    def __init__(self, group: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(None, *args, **kwargs)  # type: ignore[call-arg]


group_ignored = mutant("group-ignored", GroupIgnored, globals(), "Process accepts any group")
exitcode_sign_lost = mutant(
    "exitcode-sign-lost", SignalSignLost, globals(), "signal deaths give a positive exitcode"
)
join_timeout_truncated = mutant(
    "join-timeout-truncated", JoinTimeoutTruncated, globals(), "join(timeout) uses int(timeout)"
)
kwargs_dropped = mutant("kwargs-dropped", KwargsDropped, globals(), "kwargs never reach the target")
daemon_ignored = mutant("daemon-ignored", DaemonIgnored, globals(), "the daemon flag is ignored")
close_leaves_attributes = mutant(
    "close-leaves-attributes",
    CloseLeavesAttributes,
    globals(),
    "exitcode/pid/ident/sentinel still answer after close()",
)
child_renamed = mutant("child-renamed", ChildRenamed, globals(), "the child loses its name")
exit_text_is_zero = mutant(
    "exit-text-is-zero", ExitTextIsZero, globals(), 'sys.exit("text") gives exitcode 0'
)
start_twice_ignored = mutant(
    "start-twice-ignored", StartTwiceIgnored, globals(), "a second start() does nothing"
)
spawn_fallback = mutant(
    "spawn-fallback", SpawnFallback, globals(), "every start method spawns, even fork"
)
