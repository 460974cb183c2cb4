"""Renders results documents into Markdown and HTML compatibility matrices, and JUnit XML.

Imported at the end of every pytest session that writes results, so it stays light: the
standard library and mpconform's own result format, never pytest.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from . import html, junit, markdown, repro
from .matrix import Matrix, build

__all__ = ["Matrix", "build", "render_all"]

REPORTS = (
    ("report.md", markdown.render),
    ("report.html", html.render),
    ("junit.xml", junit.render),
)
#: The files render_all writes next to the results file, in the order it lists them.
NAMES = tuple(name for name, _ in REPORTS)


def render_all(
    docs: Sequence[Mapping[str, Any]],
    out_dir: str,
    sources: Sequence[str] | None = None,
    repro_scope: str = "all",
) -> list[str]:
    """Build the matrix once and write every report; returns the report paths written.

    Repro scripts for the failing cells go to ``out_dir/repro/`` (linked from the reports);
    ``repro_scope`` "one-per-area" keeps one representative per area (see repro.plan).

    Both files are rendered before either is written, so a rendering error cannot leave a
    fresh report.md next to a stale report.html.
    """
    matrix = build(docs, sources)
    scripts = repro.plan(matrix, repro_scope)
    rendered = [(name, render(matrix, scripts)) for name, render in REPORTS]
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for name, text in rendered:
        path = os.path.join(out_dir, name)
        _write_atomically(path, text)
        paths.append(path)
    repro.write_all(matrix, out_dir, scripts)
    return paths


def _write_atomically(path: str, text: str) -> None:
    """A reader (a CI artifact upload, a browser refresh) never sees half a report.

    The temporary file is created with the umask's usual permissions rather than mkstemp's
    0600, because os.replace keeps them and a report is meant to be read by others.
    """
    directory, name = os.path.split(path)
    tmp = os.path.join(directory, f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
