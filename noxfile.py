"""Run mpconform under every installed Python and merge the results into one report.

    nox -s conformance report                           # every Python nox finds
    nox -s conformance-3.11 conformance-3.12 report     # two of them
    nox -s conformance-3.11 conformance-3.12 examples   # regenerate reports/examples/

Each ``conformance`` session installs mpconform with every backend that has a wheel for its
Python into its own virtualenv (``MPCONFORM_BACKENDS`` narrows the list) and runs them, one
results file per backend; ``report`` merges whatever per-Python results
exist into one HTML + Markdown matrix, one column per backend, start method and Python.
Interpreters are looked up on PATH and, when pyenv is installed, among pyenv's versions even
if they are not activated; those nox cannot find are skipped with a warning.
"""

from __future__ import annotations

import glob
import io
import json
import os
import shutil
import tarfile

import nox

PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
BACKENDS = "stdlib,dummy,billiard,multiprocess,loky,joblib,ray,mpi4py,torch"
# The extra (or requirement) each backend beyond the stdlib's needs.
INSTALLS = {
    "billiard": ".[billiard]",
    "multiprocess": ".[multiprocess]",
    "loky": ".[loky]",
    "joblib": ".[joblib]",
    "ray": ".[ray]",
    "mpi4py": ".[mpi]",
    "torch": ".[torch]",
}
RESULTS = os.path.join("reports", "out", "pythons")


def _add_pyenv_versions_to_path() -> None:
    """Make every pyenv-installed minor version findable as pythonX.Y, newest patch first."""
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    versions = glob.glob(os.path.join(root, "versions", "3.*", "bin"))

    def patch_order(path: str) -> tuple[int, ...]:
        name = os.path.basename(os.path.dirname(path))
        return tuple(int(p) if p.isdigit() else -1 for p in name.split("."))

    dirs = sorted(versions, key=patch_order, reverse=True)
    if dirs:
        os.environ["PATH"] = os.pathsep.join([os.environ.get("PATH", ""), *dirs])


_add_pyenv_versions_to_path()
nox.options.sessions = ["conformance", "report"]
nox.options.reuse_existing_virtualenvs = True


@nox.session(python=PYTHONS)
def conformance(session: nox.Session) -> None:
    """The suite against every built-in backend on this Python (exit 1 = differences found)."""
    session.install("-q", ".")
    backends = []
    for backend in os.environ.get("MPCONFORM_BACKENDS", BACKENDS).split(","):
        if backend in INSTALLS:
            try:  # a backend without a wheel for this Python is left out, said so
                session.install("-q", INSTALLS[backend], silent=True)
            except nox.command.CommandFailed:
                session.warn(f"{backend} does not install on Python {session.python}: left out")
                continue
        backends.append(backend)
    out = os.path.abspath(os.path.join(RESULTS, f"py{session.python}"))
    # Not from the checkout: its mpconform/ folder would shadow the installed package.
    session.chdir(session.create_tmp())
    profile = os.environ.get("MPCONFORM_PROFILE", "ci")
    # One results file per backend, so that a backend's results can be rerun and replaced
    # alone (each backend runs in interpreters of its own either way: see cli._run).
    for backend in backends:
        session.run(
            "mpconform",
            "run",
            "--backend",
            backend,
            "--profile",
            profile,
            "--report",
            os.path.join(out, backend),
            *session.posargs,
            success_codes=[0, 1],  # backends that differ from CPython are the point of the run
        )


@nox.session
def report(session: nox.Session) -> None:
    """Merge every per-Python results file into one report (default: reports/out/pythons)."""
    session.install("-q", ".")
    found = sorted(glob.glob(os.path.join(RESULTS, "py*", "*", "results.json")))
    if not found:
        session.error(f"no results under {RESULTS}; run the conformance sessions first")
    out = session.posargs[0] if session.posargs else RESULTS
    session.run("mpconform", "report", *found, "--out", out)


@nox.session
def examples(session: nox.Session) -> None:
    """Regenerate reports/examples/ (kept under 3 MB): the merged report, one repro script per
    area, and the results files it came from, without their tracebacks, in one .tar.xz
    (``mpconform report reports/examples/results.tar.xz`` renders them again)."""
    session.install("-q", ".")
    found = sorted(glob.glob(os.path.join(RESULTS, "py*", "*", "results.json")))
    if len({os.path.dirname(os.path.dirname(path)) for path in found}) < 2:
        session.error("the examples need results from two Pythons; run two conformance sessions")
    target = os.path.join("reports", "examples")
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    archive = os.path.join(target, "results.tar.xz")
    with tarfile.open(archive, "w:xz", preset=9) as tar:
        for path in found:
            backend_dir = os.path.dirname(path)
            python = os.path.basename(os.path.dirname(backend_dir))
            data = _without_tracebacks(path)
            member = tarfile.TarInfo(f"{python}-{os.path.basename(backend_dir)}.json")
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    session.run("mpconform", "report", archive, "--out", target, "--repro", "one-per-area")
    os.unlink(os.path.join(target, "junit.xml"))  # for CI systems, not for reading


def _without_tracebacks(source: str) -> bytes:
    """A results file with each result's ``details`` (the traceback) emptied: the message and
    the falsifying example stay, and a rerun gives the traceback."""
    with open(source, encoding="utf-8") as fh:
        doc = json.load(fh)
    for result in doc["results"]:
        result["details"] = ""
    return (json.dumps(doc, indent=1) + "\n").encode("utf-8")


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """mpconform's own test suite on this Python."""
    session.install("-q", "-e", ".[test]")
    session.run("python", "-m", "pytest", "-n", "auto", *session.posargs)
