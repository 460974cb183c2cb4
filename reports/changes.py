"""What changed between two runs: the question a backend maintainer asks of every new build.

Results are matched by test id and Python minor version (the test id already names the backend
and start method). Changes are grouped by what they mean for the maintainer, most urgent first:
a PASS that became FAIL matters more than a FAIL that became TIMEOUT, and a feature that went
from PASS to UNSUPPORTED lost coverage even though both verdicts conform.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mpconform import results
from mpconform.status import Status

from .matrix import python_of

# Heading, explanation; in the order they are printed.
KINDS: tuple[tuple[str, str], ...] = (
    ("regressions", "conformed before, do not now"),
    ("new failures", "tests that did not exist before and do not conform"),
    ("changed failures", "did not conform before and still do not, differently"),
    ("lost coverage", "passed before, are now skipped or unsupported"),
    ("fixes", "did not conform before, do now"),
    ("other changes", "conform before and after, with another status"),
    ("new tests", "tests that did not exist before and conform"),
    ("removed tests", "tests that no longer ran"),
)
# Kinds that make ``mpconform diff`` exit 1, so it can gate a CI job.
ALARMING = frozenset({"regressions", "new failures"})


@dataclass(frozen=True)
class Change:
    kind: str
    key: tuple[str, str]  # (test id, python)
    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None

    @property
    def label(self) -> str:
        nodeid, python = self.key
        return f"{nodeid} ({python})"

    def line(self) -> str:
        old = self.old["status"] if self.old else "-"
        new = self.new["status"] if self.new else "-"
        text = f"  {old:>11} -> {new:<11} {self.label}"
        message = (self.new or {}).get("message") or ""
        if message and self.new is not None and not Status(self.new["status"]).conforms:
            first = message.strip().splitlines()[0] if message.strip() else ""
            text += f"\n{'':30}{first[:200]}"
        return text


def _indexed(doc: Mapping[str, Any]) -> dict[tuple[str, str], Mapping[str, Any]]:
    python = python_of(results.read(doc).run)[0]
    return {(str(r["nodeid"]), python): r for r in doc["results"]}


def _kind(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> str | None:
    if old is None:
        assert new is not None
        return "new tests" if Status(new["status"]).conforms else "new failures"
    if new is None:
        return "removed tests"
    before, after = Status(old["status"]), Status(new["status"])
    if before is after:
        return None
    if before.conforms and not after.conforms:
        return "regressions"
    if not before.conforms and after.conforms:
        return "fixes"
    if not before.conforms:
        return "changed failures"
    if before is Status.PASS:
        return "lost coverage"
    return "other changes"


def compare(old_doc: Mapping[str, Any], new_doc: Mapping[str, Any]) -> list[Change]:
    """Every change, grouped in :data:`KINDS` order, each group in test id order."""
    old, new = _indexed(old_doc), _indexed(new_doc)
    order = {kind: i for i, (kind, _) in enumerate(KINDS)}
    found = []
    for key in sorted(set(old) | set(new)):
        kind = _kind(old.get(key), new.get(key))
        if kind is not None:
            found.append(Change(kind, key, old.get(key), new.get(key)))
    found.sort(key=lambda c: (order[c.kind], c.key))
    return found


def render(changes: list[Change], old_name: str, new_name: str) -> str:
    if not changes:
        return f"no changes between {old_name} and {new_name}\n"
    lines = [f"changes from {old_name} to {new_name}:"]
    for kind, explanation in KINDS:
        group = [c for c in changes if c.kind == kind]
        if group:
            lines.append(f"\n{kind} ({len(group)}): {explanation}")
            lines.extend(c.line() for c in group)
    return "\n".join(lines) + "\n"
