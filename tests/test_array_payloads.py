"""Arrays (torch tensors, numpy arrays) as payloads: compared by element type, shape and every
element, both where the child describes what it received and where the test compares."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from mpconform.checkers import same
from mpconform.conformance.children_common import describe


class Array:
    """Just enough of an array: what the comparisons read."""

    def __init__(self, values: list, dtype: str) -> None:
        self.values, self.dtype, self.shape = values, dtype, (len(values),)

    def tolist(self) -> list:
        return list(self.values)

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("ambiguous, as a tensor's truth value is")


def test_arrays_differ_by_element_type_shape_or_any_element() -> None:
    a = Array([1.0, -0.0], "float32")
    assert describe(a) == describe(Array([1.0, -0.0], "float32"))
    assert same(a, Array([1.0, -0.0], "float32"))
    for other in (Array([1.0, 0.0], "float32"), Array([1.0, -0.0], "float64"), Array([1.0], "f")):
        assert describe(a) != describe(other)
        assert not same(a, other)


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
def test_torch_tensors_travel_through_pipes_and_queues(tmp_path) -> None:
    """The torch backend's payload properties draw tensors, and they arrive intact."""
    report = tmp_path / "report"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "mpconform.cli",
            "run",
            "--backend",
            "torch",
            "--start-method",
            "spawn",
            "--report",
            str(report),
            "-k",
            "test_queue_payloads_arrive_intact or test_pipe_send_recv_preserves_payloads",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    doc = json.loads((report / "results.json").read_text())
    assert sorted(r["status"] for r in doc["results"]) == ["PASS", "PASS"]
    assert doc["run"]["backends"][0]["modules"] == {"spawn": "torch.multiprocessing"}
