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
