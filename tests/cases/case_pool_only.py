"""Two tests for a Pool-only backend: one in the Pool area, one outside it."""

import os

import pytest


@pytest.mark.mp_area("Pool")
def test_a_pool_maps(mp):
    """Pool.map squares; the service started for the session is not this test's leak."""
    with mp.Pool(1) as pool:
        assert pool.map(abs, [-1, -2]) == [1, 2]
    path = os.environ.get("CASE_INTERPRETERS_FILE")
    if path:
        with open(path, "a") as fh:
            fh.write(f"{mp.adapter.name} {os.getpid()}\n")


@pytest.mark.mp_area("Queues")
def test_a_queue_is_outside(mp):
    """Never runs on a Pool-only backend."""
    raise AssertionError("ran outside the backend's areas")
