"""stdlib with one bug in a module-level function or in what a process knows of itself.

Use as ``--mp-backend mutants.module_functions:<name>``; the properties that must FAIL
against each name it in an ``mp_catches`` marker, and ``START_METHOD`` gives the start method
a mutant is judged under when fork cannot show its bug.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.pool
import os
from typing import Any

from .pool import pool_mutant
from .wrap import factory_mutant, mutant, stdlib_with


class RenamedInChild:
    """The child is started under another name than its Process object's."""

    def start(self) -> None:
        name = self._name  # type: ignore[has-type]
        self._name = "renamed"
        try:
            super().start()  # type: ignore[misc]
        finally:
            self._name = name


class ParentIsGrandparent:
    """parent_process() in the child names the parent's parent."""

    def start(self) -> None:
        self._parent_pid = os.getppid()
        super().start()  # type: ignore[misc]


class NeverDaemon:
    """daemon=True is ignored."""

    @property
    def daemon(self) -> bool:
        return bool(self._config.get("daemon", False))  # type: ignore[attr-defined]

    @daemon.setter
    def daemon(self, value: bool) -> None:
        self._config["daemon"] = False  # type: ignore[attr-defined]


child_renamed = mutant(
    "child-renamed", RenamedInChild, globals(), "the child is started under another name"
)
parent_is_grandparent = mutant(
    "parent-is-grandparent", ParentIsGrandparent, globals(), "parent_process() is one too high"
)
_never_daemon = mutant("never-daemon", NeverDaemon, globals(), "daemon=True is ignored")


class NonDaemonicPool(multiprocessing.pool.Pool):
    """Pool workers are not daemonic."""

    @staticmethod
    def Process(ctx: Any, *args: Any, **kwds: Any) -> Any:
        return _never_daemon.get_context(ctx.get_start_method()).Process(*args, **kwds)


def _no_children(base: Any) -> list[Any]:
    return []


def _one_cpu_too_many(base: Any) -> int:
    return base.cpu_count() + 1


def _log_without_process(base: Any, level: Any = None) -> logging.Logger:
    logger = base.get_logger()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
    logger.addHandler(handler)
    if level:
        logger.setLevel(level)
    return logger


def _own_logger(base: Any) -> logging.Logger:
    return logging.getLogger("mpconform-mutant")


def _always_spawn(base: Any, allow_none: bool = False) -> str:
    return "spawn"


def _set_start_method_ignored(base: Any, method: Any, force: bool = False) -> None:
    return None


def _set_executable_ignored(base: Any, executable: Any) -> None:
    return None


def _preload_ignored(base: Any, module_names: Any) -> None:
    return None


set_forkserver_preload_ignored = factory_mutant(
    "set-forkserver-preload-ignored",
    "set_forkserver_preload() does nothing",
    set_forkserver_preload=_preload_ignored,
)


class LooseBufferTooShort(Exception):
    """A BufferTooShort that is not a ProcessError."""


buffer_too_short_not_a_process_error = stdlib_with(
    "buffer-too-short-not-a-process-error",
    "BufferTooShort does not derive from ProcessError",
    lambda base: {"BufferTooShort": LooseBufferTooShort},
)
pool_workers_not_daemonic = pool_mutant(
    "pool-workers-not-daemonic", NonDaemonicPool, "Pool workers are not daemonic"
)
active_children_empty = factory_mutant(
    "active-children-empty", "active_children() is always empty", active_children=_no_children
)
cpu_count_off_by_one = factory_mutant(
    "cpu-count-off-by-one",
    "cpu_count() is one more than os.cpu_count()",
    cpu_count=_one_cpu_too_many,
)
log_without_process = factory_mutant(
    "log-without-process",
    "log_to_stderr() leaves the process name out of its format",
    log_to_stderr=_log_without_process,
)
logger_renamed = factory_mutant(
    "logger-renamed", "get_logger() is a logger of another name", get_logger=_own_logger
)
start_method_always_spawn = factory_mutant(
    "start-method-always-spawn",
    "every context says its start method is spawn",
    get_start_method=_always_spawn,
)
set_start_method_accepted = factory_mutant(
    "set-start-method-accepted",
    "a context of one start method ignores set_start_method()",
    set_start_method=_set_start_method_ignored,
)
set_executable_ignored = factory_mutant(
    "set-executable-ignored",
    "set_executable() does nothing",
    set_executable=_set_executable_ignored,
)


#: Mutants whose bug fork cannot show: only spawn runs set_executable's interpreter, only the
#: fork server preloads.
START_METHOD: dict[str, str] = {
    "set_executable_ignored": "spawn",
    "set_forkserver_preload_ignored": "forkserver",
}
