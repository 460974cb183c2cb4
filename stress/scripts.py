"""Standalone reproduction scripts: a scenario as a Python file a backend maintainer can run.

The script imports the backend module and nothing of mpconform: the worker code and the driver
are :mod:`mpconform.stress.programs` copied in verbatim (that module is stdlib-only for this
reason), so the script runs exactly the code that found the failure. It repeats the scenario
a number of times (races do not show on every run), checks each run with the simple, sound
checks of :func:`~mpconform.stress.programs.quick_check` (overlapping critical sections,
owner cell, loss, duplication and per-producer order, duplicated increments), and prints
``VIOLATION: ...`` and exits 1, or prints ``no violation`` and exits 0.

Worker functions stay at module level and the run under ``if __name__ == "__main__":``, which
spawn and forkserver need (children re-import the main module).

``lock_factory`` replaces ``ctx.Lock()`` in the rendered text; the meta-tests render with
``ctx.Semaphore(2)`` to prove the script's own check catches a lock that admits two holders.
"""

from __future__ import annotations

import inspect

from . import programs
from .scenarios import Scenario

DEFAULT_RUNS = 20

_MAIN = """

# -- the scenario ------------------------------------------------------------------------------

KIND = {kind!r}
PROGRAMS = {programs!r}
NEMESIS = {nemesis!r}


def make_lock(ctx):
    return {lock_factory}


def main(runs):
    import {import_line}

    ctx = {context}
    for number in range(1, runs + 1):
        result = drive(ctx, KIND, PROGRAMS, NEMESIS, make_lock=make_lock)
        found = quick_check(KIND, result)
        if found:
            print("VIOLATION: " + "; ".join(found))
            print(f"(run {{number}} of {{runs}}; {{len(result['ops'])}} operations)")
            return 1
    print(f"no violation in {{runs}} runs")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else {runs}))
"""


def render(
    scenario: Scenario,
    backend: str = "multiprocessing",
    start_method: str = "fork",
    *,
    lock_factory: str = "ctx.Lock()",
    runs: int = DEFAULT_RUNS,
) -> str:
    """The script's text. ``backend`` is an importable module name (``multiprocessing``,
    ``billiard``, ``multiprocess``, ``multiprocessing.dummy``)."""
    if backend == "multiprocessing.dummy":
        import_line, context = "multiprocessing.dummy as backend", "backend"
    else:
        import_line = f"{backend} as backend"
        context = f"backend.get_context({start_method!r})"
    header = [
        "# Standalone reproduction of an mpconform stress scenario; needs only the backend.",
        f"# Backend: {backend}, start method {start_method}.",
        *[f"# {line}" for line in scenario.describe().splitlines()],
        f"# Usage: python this_file.py [runs]   (default {runs}; exit 1 on VIOLATION)",
        "",
    ]
    main = _MAIN.format(
        kind=scenario.kind,
        programs=scenario.plain_programs(),
        nemesis=scenario.nemesis.plain(),
        lock_factory=lock_factory,
        import_line=import_line,
        context=context,
        runs=runs,
    )
    return "\n".join(header) + inspect.getsource(programs) + main
