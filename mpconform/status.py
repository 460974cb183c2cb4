"""The verdict vocabulary shared by the plugin, the result files and the reports.

The statuses stay distinct all the way to the report: a backend maintainer acts very
differently on "the feature is missing" (UNSUPPORTED) than on "it hangs" (TIMEOUT).
"""

from __future__ import annotations

import enum


class Status(str, enum.Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"
    TIMEOUT = "TIMEOUT"
    CRASH = "CRASH"
    LEAK = "LEAK"
    UNSUPPORTED = "UNSUPPORTED"
    SKIP = "SKIP"
    XFAIL = "XFAIL"
    XPASS = "XPASS"

    def __str__(self) -> str:
        return self.value

    @property
    def conforms(self) -> bool:
        """Whether this outcome is compatible with calling the backend conformant."""
        return self in _CONFORMING


_CONFORMING = frozenset({Status.PASS, Status.UNSUPPORTED, Status.SKIP, Status.XFAIL})

# Display order for tables and summaries: most alarming first.
SEVERITY_ORDER: tuple[Status, ...] = (
    Status.CRASH,
    Status.TIMEOUT,
    Status.FAIL,
    Status.ERROR,
    Status.LEAK,
    Status.XPASS,
    Status.UNSUPPORTED,
    Status.XFAIL,
    Status.SKIP,
    Status.PASS,
)
