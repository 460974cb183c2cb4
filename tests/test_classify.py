"""The verdict of a test combines its phases the way a backend maintainer would read them."""

from __future__ import annotations

import pytest
from childrun import suite_args
from hypothesis.errors import FlakyFailure

from mpconform.classify import combine, falsifying_example, phase_message, phase_status
from mpconform.outcomes import ChildCrashed, LeakDetected, TestTimeout, Unsupported
from mpconform.status import Status

P, F, E, L, U = Status.PASS, Status.FAIL, Status.ERROR, Status.LEAK, Status.UNSUPPORTED


class _Info:
    def __init__(self, exc: BaseException) -> None:
        self.value = exc

    def exconly(self) -> str:
        return f"{type(self.value).__name__}: {self.value}"


@pytest.mark.parametrize(
    "when, outcome, exc, wasxfail, expected",
    [
        ("call", "passed", None, False, Status.PASS),
        ("call", "passed", None, True, Status.XPASS),
        ("call", "skipped", None, True, Status.XFAIL),
        ("setup", "skipped", Unsupported("no Pool"), False, Status.UNSUPPORTED),
        ("call", "skipped", pytest.skip.Exception("later"), False, Status.SKIP),
        ("call", "failed", AssertionError("x"), False, Status.FAIL),
        ("setup", "failed", RuntimeError("fixture"), False, Status.ERROR),
        ("call", "failed", TestTimeout("hung"), False, Status.TIMEOUT),
        ("call", "failed", ChildCrashed("SIGSEGV"), False, Status.CRASH),
        ("teardown", "failed", LeakDetected("pid 1"), False, Status.LEAK),
    ],
)
def test_phase_status(when, outcome, exc, wasxfail, expected):
    info = _Info(exc) if exc is not None else None
    assert phase_status(when, outcome, info, wasxfail, "") is expected


def test_strict_xpass_is_xpass_not_fail():
    assert phase_status("call", "failed", None, False, "[XPASS(strict)] known bug") is Status.XPASS


@pytest.mark.parametrize(
    "phases, expected",
    [
        ({"setup": (P, ""), "call": (P, ""), "teardown": (P, "")}, (P, "")),
        ({"setup": (U, "no kill")}, (U, "no kill")),
        ({"setup": (E, "boom"), "teardown": (L, "pid 3")}, (E, "boom")),
        ({"setup": (P, ""), "call": (P, ""), "teardown": (L, "pid 3")}, (L, "pid 3")),
        (
            {"setup": (P, ""), "call": (F, "bad"), "teardown": (L, "pid 3")},
            (F, "bad\n[teardown: LEAK] pid 3"),
        ),
        ({"setup": (P, "")}, (E, "test did not run to completion")),
        ({"???": (Status.CRASH, "worker died")}, (Status.CRASH, "worker died")),
    ],
)
def test_combine(phases, expected):
    assert combine(phases) == expected


def test_falsifying_example_is_taken_from_hypothesis_notes():
    exc = AssertionError("x")
    exc.__notes__ = ["something else", "Falsifying example: test(\n    n=3,\n)"]
    assert falsifying_example(exc) == "Falsifying example: test(\n    n=3,\n)"
    assert falsifying_example(AssertionError()) is None
    newer = AssertionError("x")
    newer.__notes__ = ["Failing test case: test(\n    n=5,\n)"]
    assert falsifying_example(newer) == "Failing test case: test(\n    n=5,\n)"


def test_falsifying_example_reaches_the_results_file(child_run):
    """End to end: the example Hypothesis found is in results.json next to the FAIL."""
    run = child_run(
        *suite_args(
            "--pyargs",
            "mpconform.conformance",
            "--mp-backend",
            "dummy",
            "-k",
            "test_sys_exit_code_is_exitcode",
        )
    )
    result = run.result("test_sys_exit_code_is_exitcode[dummy-thread]")
    assert result["status"] == "FAIL"
    assert "code=" in (result["falsifying_example"] or ""), result


def test_a_flaky_failure_shows_what_failed_the_first_time() -> None:
    try:
        raise FlakyFailure("Hypothesis saw a failure it could not reproduce", [ValueError("x=3")])
    except FlakyFailure:
        info = pytest.ExceptionInfo.from_current()
    message = phase_message(info, "failed", "")
    assert "could not reproduce" in message and "first failure: ValueError: x=3" in message
