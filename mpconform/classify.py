"""Maps one pytest phase report to an mpconform status, and phases to one verdict.

Kept apart from the plugin hooks so the mapping can be unit-tested without running pytest.
"""

from __future__ import annotations

from typing import Any

from .outcomes import ChildCrashed, LeakDetected, TestTimeout, Unsupported
from .status import Status

MAX_MESSAGE = 2000


def _short(text: str, limit: int = MAX_MESSAGE) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


# Hypothesis has worded this note differently across versions.
_EXAMPLE_PREFIXES = (
    "Falsifying example",
    "Falsifying explicit example",
    "Failing test case",
    "Failing explicit example",  # what Hypothesis 6.1xx prints for a failing @example
)


def falsifying_example(exc: BaseException) -> str | None:
    """The 'Falsifying example: ...' note Hypothesis attaches to the failure, if any."""
    notes = getattr(exc, "__notes__", None) or []
    for note in notes:
        if isinstance(note, str) and note.startswith(_EXAMPLE_PREFIXES):
            return note
    return None


def phase_status(when: str, outcome: str, excinfo: Any, wasxfail: bool, longrepr: str) -> Status:
    """Status of one phase; ``excinfo`` is pytest's ExceptionInfo or None."""
    exc = excinfo.value if excinfo is not None else None
    if outcome == "passed":
        return Status.XPASS if wasxfail else Status.PASS
    if outcome == "skipped":
        if wasxfail:
            return Status.XFAIL
        if isinstance(exc, Unsupported) or longrepr.find(Unsupported.PREFIX) >= 0:
            return Status.UNSUPPORTED
        return Status.SKIP
    if isinstance(exc, TestTimeout):
        return Status.TIMEOUT
    if isinstance(exc, ChildCrashed):
        return Status.CRASH
    if isinstance(exc, LeakDetected):
        return Status.LEAK
    if "[XPASS(strict)]" in longrepr:
        return Status.XPASS
    return Status.FAIL if when == "call" else Status.ERROR


def phase_message(excinfo: Any, outcome: str, longrepr: str) -> str:
    if excinfo is not None:
        exc = excinfo.value
        if isinstance(exc, Unsupported):
            return _short(str(exc.msg)[len(Unsupported.PREFIX) :])
        text = str(getattr(exc, "msg", None) or "") or excinfo.exconly()
        first = _first_of_group(exc)
        if first is not None:
            # Hypothesis's FlakyFailure: a race that did not repeat while shrinking. What it
            # saw the first time is the reason a reader needs.
            text = f"{text}\nfirst failure: {type(first).__name__}: {first}"
        return _short(text)
    if outcome == "skipped":
        return _short(longrepr)
    return ""


def _first_of_group(exc: BaseException) -> BaseException | None:
    inner = getattr(exc, "exceptions", None)
    if isinstance(inner, (list, tuple)) and inner and isinstance(inner[0], BaseException):
        return inner[0]
    return None


def combine(phases: dict[str, tuple[Status, str]]) -> tuple[Status, str]:
    """One verdict from the setup/call/teardown phase statuses (and messages).

    Setup decides when it did not pass (the test body never ran). Otherwise the call decides,
    and a teardown problem (a leak, a fixture error) downgrades only a PASS, while its message
    is kept next to a worse verdict.
    """
    setup = phases.get("setup")
    if setup is not None and setup[0] is not Status.PASS:
        return setup
    call = phases.get("call")
    if call is None:  # interrupted, or a crash report with no phases
        status, message = phases.get("???", (Status.ERROR, "test did not run to completion"))
    else:
        status, message = call
    teardown = phases.get("teardown")
    if teardown is not None and teardown[0] is not Status.PASS:
        if status is Status.PASS:
            return teardown
        message = f"{message}\n[teardown: {teardown[0]}] {teardown[1]}".strip()
    return status, message
