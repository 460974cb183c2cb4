"""A test that notes which backend ran in which test process, for the CLI's tests of how it
places backends in interpreters (tests/test_cli.py)."""

import os

import pytest
from mutants import faults

from mpconform.waiting import finish

pytestmark = pytest.mark.mp_area("Harness self-test")


def test_a_child_starts_and_its_interpreter_is_noted(mp):
    """A child that returns normally exits with code 0; the test process notes its backend."""
    p = mp.Process(target=faults.return_normally)
    p.start()
    assert finish(p) == 0
    with open(os.environ["CASE_INTERPRETERS_FILE"], "a") as fh:
        fh.write(f"{mp.adapter.name} {os.getpid()}\n")
