"""A runnable script for every FAIL, TIMEOUT and CRASH, written next to the report.

Root-causing a failure is where a backend maintainer's time goes, so each failing cell links
to a script that reruns exactly that property, on that backend and start method, with the
run's Hypothesis settings (the ci profile is derandomized, so the same examples come first),
and prints what the run recorded next to what it sees now. ``python script.py`` exits 1 when
the difference reproduces and 0 when the property passes now. It needs mpconform and the
backend installed, as the run did: the property's own code is what reproduces it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from mpconform import plain
from mpconform.results import RunInfo
from mpconform.status import Status

from .matrix import Cell, Matrix

REPRODUCIBLE = frozenset({Status.FAIL, Status.TIMEOUT, Status.CRASH, Status.ERROR})
DIRECTORY = "repro"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")

_TEMPLATE = '''#!/usr/bin/env python3
"""mpconform repro: {feature} under {backend}-{start_method} ({status} on {python}).

{title}

Recorded message:
{message}

Recorded falsifying example:
{example}

Run it with the Python that ran the suite: python {filename}
Exit code 1: the difference reproduces; 0: the property passes now; 2: cannot run it here.
Needs: pip install 'mpconform=={version}' plus the backend ({backend_spec}).
"""

import importlib
import json
import os
import subprocess
import sys
import tempfile

MODULES = {modules!r}  # pytest names a test module after its path: try each
TEST = {test!r}
BACKEND = {backend_spec!r}
START_METHOD = {start_method!r}
PROFILE = {profile!r}
SEED = {seed!r}
RECORDED = {recorded!r}


def main():
    path = None
    for name in MODULES:
        try:
            path = importlib.import_module(name).__file__
            break
        except ImportError:
            continue
    if path is None:
        print(f"cannot import {{MODULES[0]}}; install mpconform {version}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="mpconform-repro-") as out:
        cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-p", "no:xdist"]
        cmd += [f"{{path}}::{{TEST}}", "--mp-backend", BACKEND, "--mp-start-method", START_METHOD]
        cmd += ["--mp-profile", PROFILE, "--mp-report-dir", out]
        if SEED is not None:
            cmd += ["--hypothesis-seed", SEED]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.getcwd(), *sys.path]))
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with open(os.path.join(out, "results.json"), encoding="utf-8") as fh:
                results = json.load(fh)["results"]
        except (OSError, ValueError, KeyError):
            print("the property did not run; rerun the command by hand:", file=sys.stderr)
            print(" ".join(cmd), file=sys.stderr)
            return 2
    if not results:
        print(f"no test {{TEST}} in {{path}}: not the run's mpconform?", file=sys.stderr)
        return 2
    now = results[0]
    print(f"{{TEST}}: recorded {{RECORDED['status']}}, now {{now['status']}}")
    if now["status"] in ("PASS", "UNSUPPORTED", "SKIP"):
        print("not reproduced: the property holds here now")
        return 0
    print("\\nWhat differs from CPython's multiprocessing:")
    print(now["message"] or RECORDED["message"])
    example = now.get("falsifying_example")
    if example and example not in (now["message"] or ""):
        print("\\n" + example)
    return 1


if __name__ == "__main__":
    sys.exit(main())
'''


def filename(cell: Cell) -> str:
    name = _UNSAFE.sub("_", f"{cell.row.name}-{cell.column.label}").strip("_")
    return f"{name[:150]}.py"


def script(cell: Cell, run: RunInfo) -> str:
    nodeid = cell.nodeid
    specs = {b.name: b.spec or b.name for b in run.backends}
    hyp = run.hypothesis or {}
    seed = hyp.get("seed")
    return _TEMPLATE.format(
        feature=cell.row.name,
        backend=cell.column.backend,
        backend_spec=specs.get(cell.column.backend, cell.column.backend),
        start_method=cell.column.start_method,
        status=cell.status.value,
        python=cell.column.python,
        title=_docstring_safe(cell.row.title),
        message=_docstring_safe(_indent(cell.message or "(none)")),
        example=_docstring_safe(_indent(cell.falsifying_example or "(none)")),
        filename=filename(cell),
        version=run.mpconform_version,
        modules=_candidates(cell.module),
        test=nodeid.split("::", 1)[-1],
        profile=str(hyp.get("profile") or "ci"),
        seed=None if seed is None else str(seed),
        recorded={"status": cell.status.value, "message": cell.message},
    )


def _candidates(module: str) -> list[str]:
    """Import names to try: pytest records ``conformance.test_pipes`` for a test file of an
    editable install, while the installed package knows it as
    ``mpconform.conformance.test_pipes``."""
    names = [module]
    if not module.startswith("mpconform."):
        names.append(f"mpconform.{module}")
        names.append(f"mpconform.conformance.{module.rsplit('.', 1)[-1]}")
    return list(dict.fromkeys(names))


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines())


def _docstring_safe(text: str) -> str:
    """Recorded text goes inside a docstring: no closing quotes, no escapes that act."""
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def plain_script(cell: Cell, run: RunInfo) -> str | None:
    """The plain-code script for ``cell``, or None when its property has no template, the
    example's arguments are not plain literals, or the backend is no importable module."""
    if cell.module.startswith(("stress.", "mpconform.stress.")):
        return _stress_script(cell, run)
    found = plain.load_all().get(cell.row.feature)
    if found is None:
        return None
    # Older results kept a failing @example only in the message.
    example = cell.falsifying_example or plain.example_in(cell.message)
    args = plain.arguments_for(found, example, cell.row.variant)
    module = _module_of(cell, run)
    if args is None or module is None:
        return None
    recorded = [f"Recorded: {cell.status.value} on {cell.column.python}."]
    if cell.message:
        recorded += ["", "What mpconform saw:", _indent(cell.message)]
    if cell.falsifying_example:
        recorded += ["", "Shrunk example:", _indent(cell.falsifying_example)]
    return plain.render(
        found,
        args,
        backend=module,
        start_method=cell.column.start_method,
        headline=f"{cell.row.title or cell.row.feature}",
        about=f"Property {cell.row.name} of mpconform, under {module} ({cell.column.start_method})."
        + "\n"
        + "\n".join(recorded),
        filename=filename(cell),
    )


def _stress_script(cell: Cell, run: RunInfo) -> str | None:
    """A stress scenario's own standalone script (stress/scripts.py), for the scenario the
    failure message names; None for a workload or a message that names none."""
    from mpconform.stress import scripts  # Hypothesis comes with it: only when needed

    scenario = scripts.scenario_in(cell.message)
    module = _module_of(cell, run)
    if scenario is None or module is None:
        return None
    return scripts.render(scenario, module, cell.column.start_method)


def _module_of(cell: Cell, run: RunInfo) -> str | None:
    for backend in run.backends:
        if backend.name == cell.column.backend:
            module = backend.modules.get(cell.column.start_method)
            if module and not module.startswith("mpconform"):
                return module
    return None


def plan(matrix: Matrix, scope: str = "all") -> dict[str, str]:
    """anchor -> script path relative to the report directory, for the reproducible cells.

    ``scope`` "all": every reproducible cell. "one-per-area": one representative per area (a
    plain-code script when the area has one), for example reports that must stay small; the
    other cells then have no script link, only their message and example.
    """
    cells = [c for c in matrix.ordered_cells() if c.status in REPRODUCIBLE and c.module]
    if scope == "one-per-area":
        runs = {source.name: source.run for source in matrix.sources}
        chosen: dict[str, Cell] = {}
        for cell in cells:
            area = cell.row.area
            has_plain = plain_script(cell, runs[cell.source]) is not None
            if area not in chosen or (
                has_plain and plain_script(chosen[area], runs[chosen[area].source]) is None
            ):
                chosen[area] = cell
        cells = [c for c in cells if c in chosen.values()]
    elif scope != "all":
        raise ValueError(f"unknown repro scope {scope!r}")
    return {cell.anchor: f"{DIRECTORY}/{filename(cell)}" for cell in cells}


def write_all(matrix: Matrix, out_dir: str, planned: Mapping[str, str]) -> list[str]:
    """Write the planned scripts; returns their paths.

    Scripts of an earlier render are removed first, so the directory never offers a script
    for a failure this report no longer shows.
    """
    runs = {source.name: source.run for source in matrix.sources}
    directory = os.path.join(out_dir, DIRECTORY)
    if os.path.isdir(directory):
        for stale in os.listdir(directory):
            if stale.endswith(".py"):
                os.unlink(os.path.join(directory, stale))
    written = []
    for cell in matrix.ordered_cells():
        relative = planned.get(cell.anchor)
        if relative is None:
            continue
        path = os.path.join(out_dir, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            run = runs[cell.source]
            fh.write(plain_script(cell, run) or script(cell, run))
        os.chmod(path, 0o755)
        written.append(path)
    if not written and os.path.isdir(directory) and not os.listdir(directory):
        os.rmdir(directory)
    return written
