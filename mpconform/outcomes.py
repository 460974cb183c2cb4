"""Exceptions a test raises to end with a specific status.

TestTimeout and ChildCrashed derive from BaseException on purpose: Hypothesis shrinks every
``Exception`` by re-running the test, and re-running a test that just hung or crashed would
multiply the damage. BaseException makes Hypothesis stop at once and report the example.
"""

from __future__ import annotations

import pytest


class TestTimeout(BaseException):
    """A bounded wait ran out: the test ends as TIMEOUT."""

    __test__ = False  # not a pytest test class despite the name


class ChildCrashed(BaseException):
    """A child died from a signal nobody sent on purpose: the test ends as CRASH."""


class LeakDetected(Exception):
    """Processes or semaphores outlived the test that made them: the test ends as LEAK."""


class Unsupported(pytest.skip.Exception):  # type: ignore[name-defined]
    """The backend lacks a capability the test needs: the test ends as UNSUPPORTED.

    A skip, not a failure: a missing optional feature must never turn the run red or
    cascade into unrelated failures.
    """

    PREFIX = "UNSUPPORTED: "

    def __init__(self, reason: str) -> None:
        super().__init__(self.PREFIX + reason, allow_module_level=False)
