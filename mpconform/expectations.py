"""Expectation files: what a backend's own CI accepts from the suite, one line per test.

A backend never matches CPython everywhere, and its CI must still go red on a *new* failure.
Each line names a test id or id prefix, an outcome and, optionally, when it applies and why::

    # billiard: SimpleQueue.__init__ skips the base class init
    test_queues.py::test_simple_queue_empty     xfail                 # billiard#123
    test_pool.py::test_killed_worker            PASS|TIMEOUT  if start_method=fork
    test_pipes.py::                             skip  if python<3.10 platform=linux  # not yet

Outcomes: ``skip`` (not run), ``xfail`` (a known failure: not run by default, because shrinking
an already-known failure again costs minutes; run with ``--mp-run-known-failures`` to check it,
and a pass is then reported as XPASS), or a ``|``-separated set of statuses that are all
accepted (``PASS|TIMEOUT``). Conditions: ``backend=``, ``start_method=``, ``platform=``
(a ``sys.platform`` prefix) and ``python`` with ``=``, ``>=``, ``>``, ``<=`` or ``<`` and a
``major.minor`` version. The first matching line wins. Ids match a node id or any part of it
that starts after a ``/``, so ``test_queues.py::test_x`` matches wherever the suite is
installed; an id is a prefix, so ``test_queues.py::`` names a whole module.
"""

from __future__ import annotations

import operator
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import ConfigError
from .status import Status

SKIP, XFAIL = "skip", "xfail"
# What "xfail" accepts when the known failure is run anyway: any way of not conforming.
FAILING = tuple(s.value for s in Status if not s.conforms and s is not Status.XPASS)
CONDITION_KEYS = ("backend", "start_method", "platform", "python")
_LINE = re.compile(
    r"^(?P<id>\S+)\s+(?P<outcome>\S+)(?:\s+if\s+(?P<conds>[^#]*?))?\s*(?:#\s*(?P<reason>.*))?$"
)
_CONDITION = re.compile(r"^(?P<key>[a-z_]+)(?P<op>>=|<=|=|>|<)(?P<value>\S+)$")
_VERSION = re.compile(r"^\d+\.\d+$")
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}


@dataclass(frozen=True)
class Condition:
    key: str
    op: str
    value: str

    def holds(self, facts: Mapping[str, str]) -> bool:
        actual = facts.get(self.key, "")
        if self.key == "python":
            return _OPERATORS[self.op](_version(actual), _version(self.value))
        if self.key == "platform":
            return actual.startswith(self.value)
        return actual == self.value

    def __str__(self) -> str:
        return f"{self.key}{self.op}{self.value}"


@dataclass(frozen=True)
class Expectation:
    id: str
    outcome: str  # "skip", "xfail" or "STATUS|STATUS..."
    conditions: tuple[Condition, ...] = ()
    reason: str = ""
    origin: str = ""  # file:line, for messages

    @property
    def allowed(self) -> tuple[str, ...]:
        """Statuses accepted when the test runs."""
        if self.outcome == XFAIL:
            return FAILING
        if self.outcome == SKIP:
            return ()
        return tuple(self.outcome.split("|"))

    def applies(self, nodeid: str, facts: Mapping[str, str]) -> bool:
        return matches(self.id, nodeid) and all(c.holds(facts) for c in self.conditions)

    def describe(self) -> str:
        text = f"{self.outcome} ({self.origin})"
        return f"{text}: {self.reason}" if self.reason else text

    def line(self) -> str:
        text = f"{self.id}  {self.outcome}"
        if self.conditions:
            text += "  if " + " ".join(str(c) for c in self.conditions)
        if self.reason:
            text += f"  # {self.reason}"
        return text


@dataclass
class Expectations:
    entries: list[Expectation] = field(default_factory=list)
    path: str = ""
    used: set[int] = field(default_factory=set)

    def find(self, nodeid: str, facts: Mapping[str, str]) -> Expectation | None:
        """The first line that applies; every line that applies counts as matched, so a line
        shadowed by an earlier one is not reported as matching nothing."""
        found = None
        for index, entry in enumerate(self.entries):
            if entry.applies(nodeid, facts):
                self.used.add(index)
                found = found or entry
        return found

    def unmatched(self) -> list[str]:
        """Entries no collected test matched: usually a renamed test or a typo."""
        return [f"{e.origin}: {e.id}" for i, e in enumerate(self.entries) if i not in self.used]


def matches(entry_id: str, nodeid: str) -> bool:
    if nodeid.startswith(entry_id):
        return True
    return any(nodeid[i + 1 :].startswith(entry_id) for i, c in enumerate(nodeid) if c == "/")


def facts_of(backend: str, start_method: str) -> dict[str, str]:
    return {
        "backend": backend,
        "start_method": start_method,
        "platform": sys.platform,
        "python": f"{sys.version_info[0]}.{sys.version_info[1]}",
    }


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".")[:2] if p.isdigit())


def parse(text: str, path: str = "<expectations>") -> Expectations:
    entries = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        origin = f"{path}:{number}"
        match = _LINE.match(line)
        if match is None:
            raise ConfigError(
                f"{origin}: expected 'TEST-ID OUTCOME [if CONDITION...] [# reason]', got {line!r}"
            )
        outcome = _outcome(match.group("outcome"), origin)
        conditions = tuple(_condition(c, origin) for c in (match.group("conds") or "").split())
        reason = (match.group("reason") or "").strip()
        entries.append(Expectation(match.group("id"), outcome, conditions, reason, origin))
    return Expectations(entries, path)


def _outcome(text: str, origin: str) -> str:
    if text.lower() in (SKIP, XFAIL):
        return text.lower()
    statuses = text.split("|")
    known = {s.value for s in Status}
    bad = [s for s in statuses if s not in known]
    if bad:
        raise ConfigError(
            f"{origin}: unknown outcome {', '.join(map(repr, bad))}; use skip, xfail or "
            f"statuses joined by | (from {', '.join(sorted(known))})"
        )
    return "|".join(statuses)


def _condition(text: str, origin: str) -> Condition:
    match = _CONDITION.match(text)
    if match is None or match.group("key") not in CONDITION_KEYS:
        raise ConfigError(
            f"{origin}: bad condition {text!r}; use KEY=VALUE with KEY one of "
            f"{', '.join(CONDITION_KEYS)} (python also takes >=, >, <=, <)"
        )
    key, op, value = match.group("key", "op", "value")
    if key == "python" and not _VERSION.match(value):
        raise ConfigError(f"{origin}: python version must look like 3.12, not {value!r}")
    if key != "python" and op != "=":
        raise ConfigError(f"{origin}: only python takes {op!r}; write {key}={value}")
    return Condition(key, op, value)


def load(path: str) -> Expectations:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise ConfigError(f"expectation file {path!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read expectation file {path!r}: {exc}") from None
    return parse(text, path)


# -- writing expectations from results ---------------------------------------------------------


def short_id(nodeid: str) -> str:
    """The id from the test file's name on: it matches wherever the suite is installed."""
    head, sep, tail = nodeid.partition("::")
    return head.rsplit("/", 1)[-1] + sep + tail


def from_results(docs: Sequence[Mapping[str, Any]], exact: bool = False) -> list[Expectation]:
    """One entry per test that did not conform, in any of ``docs``.

    A test that fails on only some of the Pythons the documents cover gets one entry per
    Python; one that fails on all of them gets a single unconditional entry. ``exact`` writes
    the observed status as the accepted outcome (the test keeps running, and any change in how
    it fails is reported); otherwise ``xfail``, which skips it.
    """
    outcomes: dict[str, dict[str, tuple[str, str]]] = {}
    pythons: set[str] = set()
    for doc in docs:
        version = str((doc["run"].get("python") or {}).get("version") or "")
        python = ".".join(version.split(".")[:2])
        pythons.add(python)
        for result in doc["results"]:
            status = Status(result["status"])
            if status.conforms:
                continue
            message = str(result.get("message") or "").strip().splitlines()
            reason = f"{status.value}: {message[0][:160]}" if message else status.value
            entry = outcomes.setdefault(short_id(str(result["nodeid"])), {})
            entry[python] = (status.value if exact else XFAIL, reason)
    found = []
    for test_id, per_python in sorted(outcomes.items()):
        kinds = set(per_python.values())
        if set(per_python) == pythons and len({o for o, _ in kinds}) == 1:
            outcome, reason = next(iter(per_python.values()))
            found.append(Expectation(test_id, outcome, (), reason))
            continue
        for python, (outcome, reason) in sorted(per_python.items()):
            found.append(Expectation(test_id, outcome, (Condition("python", "=", python),), reason))
    return found


def render(entries: Iterable[Expectation], header: str) -> str:
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines += [entry.line() for entry in entries]
    return "\n".join(lines) + "\n"
