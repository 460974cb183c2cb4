"""The versioned JSON result format: one file per run, the contract with every report.

Readers check ``format`` and ``format_version`` and refuse anything else with a readable
error, because a report rendered from a misread file would lie. The same dataclasses are
written by the recorder and read back by :func:`read` for the reports, so a field is named in
one place. Version 2 added ``run.backends[].modules`` (what a plain repro script imports);
version 1 files are still read, with that field empty.
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from . import __version__
from .errors import ConfigError
from .status import Status

#: The results file's name in a report directory.
NAME = "results.json"
FORMAT = "mpconform-results"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
MAX_DETAILS = 20_000  # characters of traceback kept per result


@dataclass
class TestResult:
    """One test under one backend and start method: one cell of the matrix."""

    __test__ = False

    nodeid: str
    module: str
    line: int  # where the test is defined: the report lists features in definition order
    area: str
    feature: str
    title: str
    basis: str  # "docs": the documentation says so; "cpython": CPython's behaviour is the spec
    backend: str
    start_method: str
    status: str
    duration: float
    message: str = ""
    falsifying_example: str | None = None
    details: str = ""
    # From an expectation file: the statuses it accepts for this test, and its line and reason.
    expected: list[str] | None = None
    expectation: str = ""
    # Figures a stress workload measured (operations, ops_per_s, seconds, violations...).
    metrics: dict[str, Any] | None = None
    # The documented API elements the property checks (its mp_api markers; see mpconform.api).
    api: list[str] = field(default_factory=list)
    # An interop property's peer: {"role": "client" or "server", "name": "CPython 3.12.8
    # multiprocessing"}. Optional: readers that predate it drop it (see _fields).
    peer: dict[str, str] | None = None


@dataclass
class BackendInfo:
    """One backend of a run, as the recorder saw it."""

    name: str
    spec: str = ""  # what the user named it by (a module:attr for a custom one)
    version: str | None = None
    description: str = ""
    start_methods: list[str] = field(default_factory=list)
    # start method -> capability -> why it is missing
    missing_capabilities: dict[str, dict[str, str]] = field(default_factory=dict)
    # start method -> the importable module a plain repro script uses (version 2)
    modules: dict[str, str] = field(default_factory=dict)
    # The API areas it provides when not all (a Pool-only backend: ["Pool"]); empty: all.
    # Optional: readers that predate it drop it and show each area's cells one by one.
    areas: list[str] = field(default_factory=list)


@dataclass
class RunInfo:
    started: str
    finished: str = ""
    duration: float = 0.0
    mpconform_version: str = __version__
    python: dict[str, str] = field(default_factory=dict)
    platform: dict[str, str] = field(default_factory=dict)
    hypothesis: dict[str, Any] = field(default_factory=dict)
    backends: list[BackendInfo] = field(default_factory=list)
    pytest_args: list[str] = field(default_factory=list)
    workers: int = 0
    interrupted: bool = False
    exitstatus: int = 0
    leftovers: list[str] = field(default_factory=list)
    expectations: dict[str, Any] | None = None
    complete: bool = True  # False in a checkpoint written while the run goes on
    # Backends that ran in one interpreter (a pytest process given several): they share module
    # state there, so a difference may come from their meeting. `mpconform run` never does it.
    shared_interpreter: list[str] = field(default_factory=list)


@dataclass
class Document:
    """A whole results file, typed: what the reports read."""

    run: RunInfo
    results: list[TestResult]


def accepted(result: Mapping[str, Any]) -> bool:
    """Whether a result lets the run pass: it conforms, or an expectation file accepts it."""
    status = Status(result["status"])
    return status.conforms or status.value in (result.get("expected") or ())


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def environment() -> tuple[dict[str, str], dict[str, str]]:
    python = {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
    }
    plat = {
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
    }
    return python, plat


def document(run: RunInfo, results: Sequence[TestResult]) -> dict[str, Any]:
    ordered = sorted(results, key=lambda r: (r.area, r.module, r.line, r.nodeid))
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "run": asdict(run),
        "results": [asdict(r) for r in ordered],
    }


def write(path: str, doc: Mapping[str, Any]) -> None:
    """Write atomically: an interrupted run must never leave a half file behind."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".results-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1, sort_keys=False)
            fh.write("\n")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would make the results private
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


_STATUSES = {s.value for s in Status}


def load(path: str) -> dict[str, Any]:
    """Read and validate a results file (``.json``, or ``.json.gz`` as the examples keep
    theirs); ConfigError (one line) when it is not one."""
    opener: Any = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            doc = json.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"results file {path!r} does not exist") from None
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise ConfigError(f"cannot read results file {path!r}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"results file {path!r} is not valid JSON: {exc}") from None
    validate(doc, path)
    return doc


def load_all(path: str) -> list[tuple[str, dict[str, Any]]]:
    """(name, document) of every results file ``path`` holds: itself, or each ``.json`` member
    of a ``.tar.xz`` archive (the examples keep their eighteen runs in one; runs of one backend
    on two Pythons compress together to a third of their separate gzip files)."""
    if not path.endswith(".tar.xz"):
        return [(path, load(path))]
    import tarfile

    found: list[tuple[str, dict[str, Any]]] = []
    try:
        with tarfile.open(path, "r:xz") as archive:
            for member in sorted(archive.getmembers(), key=lambda m: m.name):
                if not (member.isfile() and member.name.endswith(".json")):
                    continue
                origin = f"{path}:{member.name}"
                handle = archive.extractfile(member)
                try:
                    doc: Any = json.load(handle) if handle is not None else None
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    raise ConfigError(f"{origin} is not valid JSON: {exc}") from None
                validate(doc, origin)
                found.append((origin, doc))
    except FileNotFoundError:
        raise ConfigError(f"results archive {path!r} does not exist") from None
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise ConfigError(f"cannot read results archive {path!r}: {exc}") from None
    if not found:
        raise ConfigError(f"results archive {path!r} holds no results file")
    return found


def validate(doc: Any, origin: str = "<results>") -> None:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ConfigError(f"{origin} is not an mpconform results file (no format: {FORMAT!r})")
    version = doc.get("format_version")
    if version not in READABLE_VERSIONS:
        readable = " and ".join(str(v) for v in READABLE_VERSIONS)
        raise ConfigError(
            f"{origin} has format_version {version!r}; this mpconform reads {readable}"
        )
    if not isinstance(doc.get("run"), dict) or not isinstance(doc.get("results"), list):
        raise ConfigError(f"{origin} is corrupt: 'run' must be an object and 'results' a list")
    for i, item in enumerate(doc["results"]):
        if not isinstance(item, dict):
            raise ConfigError(f"{origin} is corrupt: results[{i}] is not an object")
        missing = [k for k in ("nodeid", "backend", "start_method", "status") if k not in item]
        if missing:
            raise ConfigError(f"{origin} is corrupt: results[{i}] lacks {', '.join(missing)}")
        if item["status"] not in _STATUSES:
            raise ConfigError(f"{origin} is corrupt: results[{i}] has status {item['status']!r}")
        expected = item.get("expected")
        if expected is not None and not (
            isinstance(expected, list) and all(e in _STATUSES for e in expected)
        ):
            raise ConfigError(f"{origin} is corrupt: results[{i}] has expected {expected!r}")


def read(doc: Any, origin: str = "<results>") -> Document:
    """The typed form of a results document of any readable version (validated first)."""
    validate(doc, origin)
    run = dict(doc["run"])
    try:
        run["backends"] = [
            BackendInfo(**_fields(BackendInfo, b)) for b in run.get("backends") or []
        ]
        if doc["format_version"] == 1:
            for backend in run["backends"]:
                _upgrade_modules(backend)
        info = RunInfo(**_fields(RunInfo, run))
        found = [TestResult(**_fields(TestResult, _with_defaults(r))) for r in doc["results"]]
    except TypeError as exc:  # a required field is missing
        raise ConfigError(f"{origin} is corrupt: {exc}") from None
    return Document(info, found)


# What the built-in backends import: version 1 did not record it, and a plain repro script of
# a version 1 run needs it. A custom backend's stays unknown (its scripts replay the property).
_BUILTIN_MODULES = {
    "stdlib": "multiprocessing",
    "billiard": "billiard",
    "multiprocess": "multiprocess",
}


def _upgrade_modules(backend: BackendInfo) -> None:
    spec = backend.spec or backend.name
    if spec == "dummy":
        backend.modules = {m: "multiprocessing.dummy" for m in backend.start_methods}
    elif spec in _BUILTIN_MODULES:
        backend.modules = {m: _BUILTIN_MODULES[spec] for m in backend.start_methods}


def _fields(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of ``data`` that ``cls`` has: a field a later version adds is not an error."""
    names = set(cls.__dataclass_fields__)  # type: ignore[attr-defined]
    return {k: v for k, v in data.items() if k in names}


def _with_defaults(result: Mapping[str, Any]) -> dict[str, Any]:
    """A result with what older writers (and a crashed worker's stand-in) may leave out."""
    nodeid = str(result["nodeid"])
    feature = nodeid.split("::")[-1].split("[", 1)[0]
    defaults = {
        "module": "",
        "line": 0,
        "area": "unknown",
        "feature": feature,
        "title": "",
        "basis": "docs",
        "duration": 0.0,
    }
    return {**defaults, **{k: v for k, v in result.items() if v is not None or k not in defaults}}


def merge_jobs(docs: Sequence[Mapping[str, Any]], duration: float) -> dict[str, Any]:
    """One results document from the documents of the jobs of one run.

    The jobs ran disjoint slices of the same tests with the same settings (each backend in
    jobs of its own), so their results are simply joined; the run information is the first
    job's, with what differs combined: the backends are every job's,
    the run is interrupted or incomplete if any job was, an expectation line is unmatched only
    if no job matched it, and the duration is the whole run's wall time.
    """
    if not docs:
        raise ValueError("no job wrote results")
    # The run facts come from a document that knows the backends (one written for a killed
    # job before its first checkpoint knows only when it started).
    docs = sorted(docs, key=lambda doc: not doc["run"].get("backends"))
    run = dict(docs[0]["run"])
    runs = [doc["run"] for doc in docs]
    run["started"] = min(r.get("started", "") for r in runs)
    run["finished"] = max(r.get("finished", "") for r in runs)
    run["duration"] = round(duration, 3)
    run["workers"] = len(docs)
    run["interrupted"] = any(r.get("interrupted") for r in runs)
    run["complete"] = all(r.get("complete", True) for r in runs)
    run["exitstatus"] = max((r.get("exitstatus", 0) for r in runs), key=lambda c: c != 0)
    run["leftovers"] = [x for r in runs for x in r.get("leftovers", [])]
    run["shared_interpreter"] = list(
        dict.fromkeys(name for r in runs for name in r.get("shared_interpreter") or ())
    )
    backends: dict[str, Any] = {}
    for r in runs:
        for backend in r.get("backends") or ():
            backends.setdefault(backend["name"], backend)
    run["backends"] = list(backends.values())
    if run.get("expectations") is not None:
        unmatched = [set((r.get("expectations") or {}).get("unmatched") or []) for r in runs]
        run["expectations"] = dict(run["expectations"])
        run["expectations"]["unmatched"] = sorted(set.intersection(*unmatched))
    typed = read({**docs[0], "run": run})
    merged = [r for doc in docs for r in read(doc).results]
    return document(typed.run, merged)
