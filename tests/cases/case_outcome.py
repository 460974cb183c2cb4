"""Fault-behaviour cases: an outcome marker accepts TIMEOUT, a note reports what passed."""

import pytest

from mpconform.outcomes import TestTimeout

pytestmark = pytest.mark.mp_area("Harness self-test")


@pytest.mark.mp_outcome("TIMEOUT", reason="the reference hangs here")
def test_hangs_like_the_reference(mp):
    """Ends as TIMEOUT, which its outcome marker accepts."""
    raise TestTimeout("never returned (bounded by the test)")


@pytest.mark.mp_outcome("TIMEOUT", reason="the reference hangs here")
def test_fails_outright(mp):
    """A FAIL is not one of the outcomes the marker names."""
    raise AssertionError("wrong value")


def test_passes_with_a_note(mp, mp_note):
    """Passes and says what it saw."""
    mp_note("raised WorkerLostError")
