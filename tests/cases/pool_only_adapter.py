"""A Pool-only backend for the harness tests: CPython's contexts, but only the Pool area, a
session service (a sleeping child process, like a cluster's daemon) and one test process."""

import dataclasses
import multiprocessing
import os

from mpconform.adapters import stdlib

_service = []


def _start() -> None:
    ctx = multiprocessing.get_context("fork")
    proc = ctx.Process(target=__import__("time").sleep, args=(600,), daemon=True)
    proc.start()
    _service.append(proc)
    _note(f"start {proc.pid}")


def _end() -> None:
    for proc in _service:
        proc.terminate()
        proc.join(10)
        _note(f"end {proc.pid} {proc.exitcode}")
    _service.clear()


def _note(line: str) -> None:
    path = os.environ.get("CASE_SERVICE_FILE")
    if path:
        with open(path, "a") as fh:
            fh.write(line + "\n")


def adapter():
    return dataclasses.replace(
        stdlib.load(),
        name="poolonly",
        areas=("Pool",),
        max_jobs=1,
        session_start=_start,
        session_end=_end,
        description="the stdlib, offering only its Pool area (harness tests)",
    )
