"""Renders results files into Markdown and HTML compatibility matrices."""
from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any


def render_all(docs: Sequence[dict[str, Any]], out_dir: str) -> list[str]:
    paths = []
    for name in ("report.md", "report.html"):
        path = os.path.join(out_dir, name)
        with open(path, "w") as fh:
            fh.write("TODO\n")
        paths.append(path)
    return paths
