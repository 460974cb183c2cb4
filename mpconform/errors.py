"""Errors that mean "the user asked for something that cannot work".

They carry a single readable line; the CLI and the pytest plugin turn them into exit code 2
instead of a traceback, because a traceback for a typo in a backend name hides the fix.
"""

from __future__ import annotations

USAGE_EXIT_CODE = 2
# pytest.ExitCode.USAGE_ERROR and NO_TESTS_COLLECTED, for code that does not import pytest.
PYTEST_USAGE, PYTEST_NO_TESTS = 4, 5


class ConfigError(Exception):
    """Bad input: unknown backend, broken adapter, unsupported start method, bad option."""


class BackendNotInstalled(ConfigError):
    """A known backend whose package is missing; the message names the pip command."""

    def __init__(self, name: str, requirement: str, extra: str | None = None) -> None:
        self.name = name
        self.requirement = requirement
        super().__init__(
            f"backend {name!r} is not installed; install it with: "
            f"pip install 'mpconform[{extra or name}]' (or pip install {requirement})"
        )
