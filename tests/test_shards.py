"""Sharding a run over CI jobs and merging the shards gives the report one run gives."""

from __future__ import annotations

import pytest
from childrun import CASES, suite_args

from mpconform.errors import ConfigError
from mpconform.options import parse_shard
from mpconform.reports.matrix import build


def _cells(docs: list) -> dict:
    matrix = build(docs)
    return {(c.row.name, c.column.label): c.status.value for c in matrix.ordered_cells()}


def test_shards_partition_the_run_and_merge_into_the_same_matrix(child_run) -> None:
    base = (str(CASES), "--mp-backend", "stdlib", "--mp-start-method", "fork,spawn")
    whole = child_run(*suite_args(*base))
    shards = [child_run(*suite_args(*base, "--mp-shard", f"{k}/3")) for k in (1, 2, 3)]
    assert whole.returncode == 0 and all(s.returncode == 0 for s in shards)
    ids = [set(s.statuses) for s in shards]
    assert all(ids), "every shard got some tests"
    assert ids[0].isdisjoint(ids[1]) and ids[1].isdisjoint(ids[2]) and ids[0].isdisjoint(ids[2])
    assert set().union(*ids) == set(whole.statuses)
    assert _cells([s.doc for s in shards]) == _cells([whole.doc])


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0", "-1/2"])
def test_a_bad_shard_is_one_readable_error(text: str) -> None:
    with pytest.raises(ConfigError, match="K/N with 1 <= K <= N"):
        parse_shard(text)


def test_a_good_shard_parses() -> None:
    assert parse_shard("2/4") == (2, 4) and parse_shard(None) is None


class _Item:
    def __init__(self, nodeid: str, together: bool) -> None:
        self.nodeid, self.together = nodeid, together

    def get_closest_marker(self, name: str) -> object:
        return object() if name == "mp_shard_together" and self.together else None


class _Config:
    class hook:
        @staticmethod
        def pytest_deselected(items: list) -> None:
            pass


def test_a_module_marked_shard_together_goes_to_one_shard_whole() -> None:
    """Its tests share session resources (the interop peers): one shard starts them once."""
    from mpconform.plugin import _keep_shard

    items = [_Item(f"test_a.py::t{i}", False) for i in range(7)]
    items += [_Item(f"test_interop.py::t{i}[p-{m}]", True) for i in range(4) for m in "xyz"]
    kept = []
    for k in (1, 2, 3):
        mine = list(items)
        _keep_shard(_Config(), mine, k, 3)
        kept.append({item.nodeid for item in mine})
    assert set().union(*kept) == {item.nodeid for item in items}
    assert sum(len(shard) for shard in kept) == len(items)
    holding = [shard for shard in kept if any("test_interop" in n for n in shard)]
    assert len(holding) == 1 and sum("test_interop" in n for n in holding[0]) == 12
