"""A stress-shaped case for the harness tests: loops over rounds and records figures."""

import os
import time

import pytest

pytestmark = pytest.mark.mp_area("Harness self-test")


def test_counts_rounds(mp, mp_stress):
    """Counts how many rounds fit in the budget and reports them."""
    marker = os.environ.get("CASE_STARTED_FILE")
    for done, _ in enumerate(mp_stress.rounds(), 1):
        mp_stress.record(operations=done, ops_per_s=done / max(mp_stress.elapsed, 1e-9))
        if marker and done == 3:
            with open(marker, "a") as fh:
                fh.write("looping\n")
        time.sleep(0.01)
