"""The compatibility matrix: any number of results documents merged into one grid.

Both renderers read this model and nothing else, so a Markdown and an HTML report of the
same documents cannot disagree. Merging is where a report could start to lie, so it is
strict: two documents that claim one cell with different outcomes stop the build instead of
one of them silently winning.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from mpconform import results
from mpconform.errors import ConfigError
from mpconform.status import Status

from . import differences
from .differences import Difference

REFERENCE_BACKEND = "stdlib"
# The stdlib documents its start methods in this order; readers expect the columns to match.
_START_METHOD_ORDER = ("fork", "spawn", "forkserver")
_PARAMS = re.compile(r"\[(?P<params>.*)\]$")


@dataclass(frozen=True)
class Row:
    """One feature; a feature parametrized beyond the backend gets one row per variant."""

    area: str
    feature: str
    variant: str = ""
    title: str = field(default="", compare=False)
    basis: str = field(default="docs", compare=False)
    module: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)
    # The documented API elements the property checks (see mpconform.api).
    api: tuple[str, ...] = field(default=(), compare=False)

    @property
    def name(self) -> str:
        return f"{self.feature}[{self.variant}]" if self.variant else self.feature

    @property
    def cpython_basis(self) -> bool:
        """True when the docs are silent and CPython's behaviour stands in as the spec."""
        return self.basis == "cpython"


@dataclass(frozen=True)
class Column:
    backend: str
    start_method: str
    python: str  # "py3.12": the minor version, because patch releases share one behaviour
    label: str = field(default="", compare=False)
    python_order: tuple[Any, ...] = field(default=(), compare=False)

    @property
    def is_reference(self) -> bool:
        return self.backend == REFERENCE_BACKEND


@dataclass(frozen=True, eq=False)
class Cell:
    """One result as the document gave it, plus where it came from and its evidence anchor."""

    row: Row
    column: Column
    result: results.TestResult
    source: str
    anchor: str
    # UNSUPPORTED because the backend provides no such area at all (a Pool-only backend's
    # Queue properties): said once per backend, not cell by cell (see Backend.areas).
    outside: bool = False

    @property
    def status(self) -> Status:
        return Status(self.result.status)

    @property
    def message(self) -> str:
        return self.result.message or ""

    @property
    def falsifying_example(self) -> str | None:
        return self.result.falsifying_example or None

    @property
    def details(self) -> str:
        return self.result.details or ""

    @property
    def nodeid(self) -> str:
        return self.result.nodeid

    @property
    def duration(self) -> float:
        return float(self.result.duration or 0.0)

    @property
    def metrics(self) -> Mapping[str, Any]:
        """What a stress workload measured; empty for a property."""
        return self.result.metrics or {}

    @property
    def module(self) -> str:
        return self.result.module

    @property
    def expectation(self) -> str:
        """The expectation file line that applied to this test, if any, with its reason."""
        return self.result.expectation or ""

    @property
    def expected(self) -> bool:
        """A non-conforming result that an outcome marker or the expectation file accepts."""
        return not self.status.conforms and self.status.value in (self.result.expected or ())

    @property
    def conforms(self) -> bool:
        """The property held (PASS, or XPASS: held although a failure was expected)."""
        return self.status in (Status.PASS, Status.XPASS)

    @property
    def accepted(self) -> bool:
        """Did not conform, and that is accepted: a known failure (XFAIL) or an expected outcome."""
        return self.status is Status.XFAIL or self.expected

    @property
    def differs(self) -> bool:
        """Applies, and neither conforms nor is accepted: what counts against the score."""
        left_out = self.status in (Status.UNSUPPORTED, Status.SKIP)
        return not (left_out or self.conforms or self.accepted)


@dataclass(frozen=True)
class ColumnSummary:
    """Counts and score of one column.

    The score counts what conforms or is accepted among the results that apply. UNSUPPORTED
    and SKIP are left out: a backend that declares a feature missing is honest, not broken, and
    should not look worse than one that lies. An accepted outcome (an outcome marker: CPython
    itself ends that way; or an expectation file's entry, shown with its reason) is not a
    failure: the reference backend scores 100% even where CPython's documented behaviour is a
    hang.
    """

    counts: Mapping[Status, int]
    not_run: int
    # None when no stdlib column of the same Python exists to compare against.
    differences: tuple[Difference, ...] | None
    # Results that do not conform but are accepted: XFAIL, or a status the test's outcome
    # marker or the expectation file lists (Cell.expected).
    accepted: int = 0
    # Unaccepted non-conforming results by kind, for the headline.
    failing: Mapping[Status, int] = field(default_factory=dict)

    @property
    def ran(self) -> int:
        return sum(self.counts.values())

    @property
    def passed(self) -> int:
        """The property held (XPASS too: held although the expectation file said it would not)."""
        return self.counts.get(Status.PASS, 0) + self.counts.get(Status.XPASS, 0)

    @property
    def applicable(self) -> int:
        excluded = self.counts.get(Status.UNSUPPORTED, 0) + self.counts.get(Status.SKIP, 0)
        return self.ran - excluded

    @property
    def conforming(self) -> int:
        return self.passed + self.accepted

    @property
    def score(self) -> float | None:
        return self.conforming / self.applicable if self.applicable else None


@dataclass(frozen=True)
class Backend:
    name: str
    python: str
    version: str
    description: str
    start_methods: tuple[str, ...]
    missing_capabilities: Mapping[str, Mapping[str, str]]
    areas: tuple[str, ...] = ()  # the areas it provides, when not all


@dataclass(frozen=True)
class Source:
    """One merged document, kept so the report can say which runs it is made of."""

    name: str
    run: results.RunInfo
    python: str
    result_count: int


@dataclass(frozen=True)
class Matrix:
    rows: tuple[Row, ...]
    columns: tuple[Column, ...]
    cells: Mapping[tuple[Row, Column], Cell]
    summaries: Mapping[Column, ColumnSummary]
    sources: tuple[Source, ...]
    backends: tuple[Backend, ...]
    multi_python: bool
    # Pythons whose backend columns have no stdlib column to be compared with.
    unreferenced_pythons: tuple[str, ...]

    def cell(self, row: Row, column: Column) -> Cell | None:
        return self.cells.get((row, column))

    def areas(self) -> list[tuple[str, list[Row]]]:
        grouped: dict[str, list[Row]] = {}
        for row in self.rows:
            grouped.setdefault(row.area, []).append(row)
        return list(grouped.items())

    def ordered_cells(self) -> Iterator[Cell]:
        """Row by row, left to right: the order the evidence sections follow."""
        for row in self.rows:
            for column in self.columns:
                cell = self.cells.get((row, column))
                if cell is not None:
                    yield cell

    @property
    def reference_available(self) -> bool:
        return any(column.is_reference for column in self.columns)

    @property
    def differences(self) -> list[Difference]:
        """Every column's differences, in matrix order (row by row)."""
        row_index = {row: i for i, row in enumerate(self.rows)}
        found: list[Difference] = []
        for column in self.columns:
            found.extend(self.summaries[column].differences or ())
        found.sort(key=lambda d: row_index[d.row])  # stable: columns stay left to right
        return found


def build(docs: Sequence[Mapping[str, Any]], sources: Sequence[str] | None = None) -> Matrix:
    """Merge results documents; ``sources`` names them (file paths, say) in error messages."""
    names = _source_names(docs, sources)
    merger = _Merger()
    for doc, name in zip(docs, names):
        merger.add(results.read(doc, name), name)
    return merger.finish()


def _source_names(docs: Sequence[Mapping[str, Any]], sources: Sequence[str] | None) -> list[str]:
    if sources is not None:
        if len(sources) != len(docs):
            raise ConfigError(f"{len(docs)} results documents but {len(sources)} source names")
        return [str(s) for s in sources]
    names = []
    for i, doc in enumerate(docs, 1):
        run = doc.get("run") if isinstance(doc, Mapping) else None
        started = run.get("started") if isinstance(run, Mapping) else None
        names.append(f"results document #{i}" + (f" (started {started})" if started else ""))
    return names


def python_of(run: results.RunInfo) -> tuple[str, tuple[Any, ...]]:
    """Label and sort key of the interpreter a run used."""
    info = run.python or {}
    implementation = str(info.get("implementation") or "CPython")
    parts = str(info.get("version") or "").split(".")
    if len(parts) < 2 or not (parts[0].isdigit() and parts[1].isdigit()):
        return "python?", (True, "~", 0, 0)
    prefix = "py" if implementation == "CPython" else implementation.lower()
    major, minor = int(parts[0]), int(parts[1])
    return f"{prefix}{major}.{minor}", (implementation != "CPython", implementation, major, minor)


def variant_of(nodeid: str, backend: str, start_method: str) -> str:
    """The test's own parameters, with the backend-and-start-method id taken out."""
    match = _PARAMS.search(nodeid)
    if match is None:
        return ""
    params = match.group("params")
    target = f"{backend}-{start_method}"
    if params == target:
        return ""
    if params.startswith(target + "-"):
        return params[len(target) + 1 :]
    if params.endswith("-" + target):
        return params[: -len(target) - 1]
    inner = params.find(f"-{target}-")
    if inner >= 0:
        return params[:inner] + params[inner + len(target) + 1 :]
    return params


def _definition_order(row: Row) -> tuple[Any, ...]:
    # Results recovered from a crashed worker may know no module; they go last.
    return (row.module == "", row.module, row.line)


def _start_method_order(name: str) -> tuple[int, str]:
    if name in _START_METHOD_ORDER:
        return _START_METHOD_ORDER.index(name), ""
    return len(_START_METHOD_ORDER), name


class _Merger:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.cells: dict[
            tuple[tuple[str, str, str], tuple[str, str, str]], tuple[results.TestResult, str]
        ] = {}
        self.columns: dict[tuple[str, str, str], tuple[Any, ...]] = {}
        self.backends: dict[tuple[str, str], dict[str, Any]] = {}
        self.backend_rank: dict[str, int] = {REFERENCE_BACKEND: 0}
        self.sources: list[Source] = []

    def add(self, doc: results.Document, name: str) -> None:
        run = doc.run
        python, python_order = python_of(run)
        self.sources.append(Source(name, run, python, len(doc.results)))
        for info in run.backends:
            self._declare_backend(info, python)
            for method in info.start_methods:
                self._declare_column(info.name, method, python, python_order)
        for result in doc.results:
            backend, method = result.backend, result.start_method
            self._declare_backend(results.BackendInfo(backend, start_methods=[method]), python)
            column = self._declare_column(backend, method, python, python_order)
            row = self._declare_row(result)
            self._place(row, column, result, name)

    def _declare_backend(self, info: results.BackendInfo, python: str) -> None:
        name = info.name
        self.backend_rank.setdefault(name, len(self.backend_rank))
        known = self.backends.setdefault(
            (name, python),
            {"version": "", "description": "", "start_methods": [], "missing": {}, "areas": ()},
        )
        known["areas"] = known["areas"] or tuple(info.areas or ())
        known["version"] = known["version"] or str(info.version or "")
        known["description"] = known["description"] or info.description
        for method in info.start_methods:
            if method not in known["start_methods"]:
                known["start_methods"].append(str(method))
        for method, caps in info.missing_capabilities.items():
            known["missing"].setdefault(str(method), {}).update(caps or {})

    def _declare_column(
        self, backend: str, method: str, python: str, python_order: tuple[Any, ...]
    ) -> tuple[str, str, str]:
        key = (backend, method, python)
        self.columns.setdefault(key, python_order)
        return key

    def _declare_row(self, result: results.TestResult) -> tuple[str, str, str]:
        feature = result.feature or result.nodeid
        variant = variant_of(result.nodeid, result.backend, result.start_method)
        key = (result.area or "unknown", feature, variant)
        known = self.rows.setdefault(
            key,
            {"title": "", "basis": "docs", "module": "", "line": 0, "basis_set": False, "api": ()},
        )
        known["api"] = known["api"] or tuple(result.api or ())
        if not known["module"] and result.module:
            known["module"] = result.module
            known["line"] = int(result.line or 0)
        known["title"] = known["title"] or result.title
        if not known["basis_set"] and result.basis:
            known["basis"], known["basis_set"] = result.basis, True
        return key

    def _place(
        self,
        row: tuple[str, str, str],
        column: tuple[str, str, str],
        result: results.TestResult,
        source: str,
    ) -> None:
        previous = self.cells.get((row, column))
        if previous is None:
            self.cells[(row, column)] = (result, source)
            return
        earlier, earlier_source = previous
        if earlier == result:
            return  # the same document twice, or overlapping shards: nothing to decide
        differing = sorted(
            f.name for f in fields(result) if getattr(earlier, f.name) != getattr(result, f.name)
        )
        feature = f"{row[1]}[{row[2]}]" if row[2] else row[1]
        raise ConfigError(
            f"conflicting results for {feature} under {column[0]}-{column[1]} on {column[2]}: "
            f"{earlier_source} says {earlier.status}, {source} says {result.status} "
            f"(they differ in {', '.join(differing)})"
        )

    def finish(self) -> Matrix:
        rows = sorted(
            (
                Row(*key, info["title"], info["basis"], info["module"], info["line"], info["api"])
                for key, info in self.rows.items()
            ),
            key=_definition_order,
        )
        area_first: dict[str, tuple[Any, ...]] = {}
        for row in rows:
            area_first.setdefault(row.area, _definition_order(row))
        rows.sort(key=lambda r: (area_first[r.area], _definition_order(r)))

        multi_python = len({python for (_, _, python) in self.columns}) > 1
        columns = sorted(
            (
                Column(b, m, p, f"{b}-{m} {p}" if multi_python else f"{b}-{m}", order)
                for (b, m, p), order in self.columns.items()
            ),
            key=lambda c: (
                self.backend_rank[c.backend],
                c.backend,
                c.python_order,
                _start_method_order(c.start_method),
            ),
        )
        row_by_key = {(r.area, r.feature, r.variant): r for r in rows}
        column_by_key = {(c.backend, c.start_method, c.python): c for c in columns}
        placed = {(row_by_key[r], column_by_key[c]): value for (r, c), value in self.cells.items()}
        cells: dict[tuple[Row, Column], Cell] = {}
        for row in rows:
            for column in columns:
                if (row, column) in placed:
                    result, source = placed[(row, column)]
                    areas = self.backends[(column.backend, column.python)]["areas"]
                    outside = (
                        result.status == Status.UNSUPPORTED.value
                        and bool(areas)
                        and row.area not in areas
                    )
                    anchor = f"ev-{len(cells) + 1}"
                    cells[(row, column)] = Cell(row, column, result, source, anchor, outside)

        compared = differences.compare(rows, columns, cells)
        summaries = {}
        for column in columns:
            column_cells = [cells[(r, column)] for r in rows if (r, column) in cells]
            counts = Counter(cell.status for cell in column_cells)
            summaries[column] = ColumnSummary(
                counts=dict(counts),
                not_run=len(rows) - len(column_cells),
                differences=compared.get(column),
                accepted=sum(cell.accepted for cell in column_cells),
                failing=dict(Counter(c.status for c in column_cells if c.differs)),
            )
        return Matrix(
            rows=tuple(rows),
            columns=tuple(columns),
            cells=cells,
            summaries=summaries,
            sources=tuple(self.sources),
            backends=self._backends(columns),
            multi_python=multi_python,
            unreferenced_pythons=differences.unreferenced_pythons(columns),
        )

    def _backends(self, columns: Sequence[Column]) -> tuple[Backend, ...]:
        seen: list[Backend] = []
        for column in columns:
            if any(b.name == column.backend and b.python == column.python for b in seen):
                continue
            info = self.backends[(column.backend, column.python)]
            seen.append(
                Backend(
                    name=column.backend,
                    python=column.python,
                    version=info["version"],
                    description=info["description"],
                    start_methods=tuple(info["start_methods"]),
                    missing_capabilities=info["missing"],
                    areas=info["areas"],
                )
            )
        return tuple(seen)
