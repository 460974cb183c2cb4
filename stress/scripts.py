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

import ast
import inspect
from typing import Any

from . import programs
from .scenarios import Nemesis, Scenario, Step

DEFAULT_RUNS = 20

_MAIN = """

# -- the scenario ------------------------------------------------------------------------------

KIND = {kind!r}
PROGRAMS = {programs!r}
NEMESIS = {nemesis!r}


def make_lock(ctx):
    return {lock_factory}


def main(runs, module=None):
    import importlib

    backend = importlib.import_module(module or {backend!r})
    ctx = {context}
    for number in range(1, runs + 1):
        try:
            result = drive(ctx, KIND, PROGRAMS, NEMESIS, make_lock=make_lock)
        except Exception as exc:  # CPython's objects run every scenario without error
            print(f"ERROR: the scenario raised {{type(exc).__name__}}: {{exc}}")
            print(f"(run {{number}} of {{runs}})")
            return 1
        found = quick_check(KIND, result)
        if found:
            print("VIOLATION: " + "; ".join(found))
            print(f"(run {{number}} of {{runs}}; {{len(result['ops'])}} operations)")
            return 1
    print(f"no violation in {{runs}} runs")
    return 0


if __name__ == "__main__":
    import sys

    numbers = [a for a in sys.argv[1:] if a.isdigit()]
    modules = [a for a in sys.argv[1:] if not a.isdigit()]
    sys.exit(main(int(numbers[0]) if numbers else {runs}, modules[0] if modules else None))
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
    if start_method == "thread":
        context = "backend if module is None else backend.get_context()"
    else:
        context = f"backend.get_context({start_method!r})"
    header = [
        "# Standalone reproduction of an mpconform stress scenario; needs only the backend.",
        f"# Backend: {backend}, start method {start_method}.",
        *[f"# {line}" for line in scenario.describe().splitlines()],
        f"# Usage: python this_file.py [RUNS] [MODULE]   (default {runs} runs of {backend};",
        "# exit 1 on a VIOLATION or an error, 0 when none shows; MODULE multiprocessing runs it",
        "# against CPython's own objects)",
        "",
    ]
    main = _MAIN.format(
        kind=scenario.kind,
        programs=scenario.plain_programs(),
        nemesis=scenario.nemesis.plain(),
        lock_factory=lock_factory,
        backend=backend,
        context=context,
        runs=runs,
    )
    return "\n".join(header) + inspect.getsource(programs) + main


_VALUES = {"Scenario": Scenario, "Step": Step, "Nemesis": Nemesis}


def scenario_in(message: str) -> Scenario | None:
    """The scenario a stress failure names ("Draw 1 (scenario): Scenario(...)" in the message
    Hypothesis writes), rebuilt from its repr without evaluating it: only these three value
    types and literals are accepted, so a results file cannot make a report run code."""
    start = message.find("Scenario(", max(message.find("(scenario): "), 0))
    if start < 0:
        return None
    depth = 0
    for end in range(start, len(message)):
        depth += {"(": 1, ")": -1}.get(message[end], 0)
        if depth == 0 and message[end] == ")":
            break
    else:
        return None
    try:
        value = _build(ast.parse(message[start : end + 1], mode="eval").body)
    except (SyntaxError, ValueError, TypeError):
        return None
    return value if isinstance(value, Scenario) else None


def _build(node: ast.AST) -> Any:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _VALUES:
        args = [_build(a) for a in node.args]
        kwargs = {k.arg: _build(k.value) for k in node.keywords if k.arg is not None}
        return _VALUES[node.func.id](*args, **kwargs)
    if isinstance(node, ast.Tuple):
        return tuple(_build(e) for e in node.elts)
    return ast.literal_eval(node)
