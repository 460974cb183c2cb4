"""stdlib with one bug in a module-level function or in what a process knows of itself.

Use as ``--mp-backend mutants.module_functions:<name>``; ``CAUGHT_BY`` names the
properties that must FAIL against each, and ``START_METHOD`` the start method a mutant is
judged under when fork cannot show its bug.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import multiprocessing.pool
import os
from typing import Any

from mpconform.adapters import stdlib

from .pool import pool_mutant
from .wrap import Passthrough, factory_mutant, mutant


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


class LooseExceptions(Passthrough):
    """A stdlib context whose BufferTooShort does not derive from ProcessError."""

    BufferTooShort = LooseBufferTooShort

    def __init__(self, base: Any) -> None:
        self._base = base


buffer_too_short_not_a_process_error = dataclasses.replace(
    stdlib.load(),
    name="buffer-too-short-not-a-process-error",
    description="BufferTooShort does not derive from ProcessError",
    get_context=lambda method: LooseExceptions(multiprocessing.get_context(method)),
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


# The suite modules whose properties CAUGHT_BY names (the meta-tests run them).
SUITE = ("mpconform.conformance.test_module_functions",)

# Mutant attribute -> the properties that must FAIL against it.
CAUGHT_BY: dict[str, tuple[str, ...]] = {
    "child_renamed": ("test_a_child_sees_itself_and_its_parent_as_the_parent_sees_them",),
    "parent_is_grandparent": ("test_a_grandchild_sees_its_parent_child_as_its_parent",),
    "pool_workers_not_daemonic": ("test_pool_workers_are_daemonic_children_of_the_pool_owner",),
    "active_children_empty": ("test_active_children_lists_live_children_and_reaps_finished_ones",),
    "cpu_count_off_by_one": ("test_cpu_count_is_the_number_of_cpus_in_the_system",),
    "log_without_process": (
        "test_log_to_stderr_writes_records_of_its_level_and_above_in_the_documented_format",
    ),
    "buffer_too_short_not_a_process_error": (
        "test_the_documented_exceptions_derive_from_process_error",
    ),
    "logger_renamed": ("test_get_logger_is_the_logger_named_multiprocessing",),
    "start_method_always_spawn": ("test_a_context_names_its_start_method",),
    "set_start_method_accepted": ("test_a_context_of_one_start_method_refuses_set_start_method",),
    "set_executable_ignored": ("test_set_executable_is_the_interpreter_spawn_children_run",),
    "set_forkserver_preload_ignored": (
        "test_set_forkserver_preload_imports_the_modules_before_children_start",
    ),
}
#: Mutants whose bug fork cannot show: only spawn runs set_executable's interpreter, only the
#: fork server preloads.
START_METHOD: dict[str, str] = {
    "set_executable_ignored": "spawn",
    "set_forkserver_preload_ignored": "forkserver",
}
