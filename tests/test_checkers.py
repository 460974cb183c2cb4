"""The history checkers: exact on small hand-written histories, and never a false alarm.

Hand-written cases pin each model's rules. The property tests simulate correct concurrent
executions (every op takes effect at a random moment inside its call, and for
``multiprocessing.Queue`` a small replica of its buffers, feeder threads, pipe and reader lock),
require that nothing is flagged, then break one thing and require that the screens and the
linearizability search both notice.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from mpconform.checkers import (
    EMPTY,
    NO_OWNER,
    Counter,
    FifoQueue,
    History,
    HistoryError,
    Model,
    ModelError,
    Mutex,
    Op,
    Register,
    RelaxedQueue,
    Section,
    Verdict,
    check,
    enter_owned,
    exit_owned,
    screen_counter,
    screen_critical_sections,
    screen_holders,
    screen_mutex,
    screen_queue,
)

# The search is exponential in concurrency by nature; a slow example is not a failure here.
SEARCH = settings(deadline=None)


def put(p: Hashable, v: Any, t0: int, t1: int | None) -> Op:
    return Op(p, "put", (v,), None, t0, t1)


def get(p: Hashable, result: Any, t0: int, t1: int | None) -> Op:
    return Op(p, "get", (), result, t0, t1)


def verdict(ops: Sequence[Op], model: Model, **kw: Any) -> Verdict:
    return check(ops, model, **kw).verdict


OK, BAD, UNKNOWN = Verdict.OK, Verdict.VIOLATION, Verdict.UNKNOWN


# -- history ----------------------------------------------------------------------------------
def test_history_sorts_by_invocation_and_round_trips_through_json():
    ops = [
        get("c", EMPTY, 50, 60),
        put("p", ("x", [1, 2]), 1_000_000_000, 1_000_000_010),
        Op("p", "put", (3,), None, 10, 20, obj="q2"),
        get("c", ("x", (1, 2)), 70, None),
    ]
    h = History(ops)
    assert [o.t_invoke for o in h] == [10, 50, 70, 1_000_000_000]
    assert h[3].args == (("x", (1, 2)),)  # lists frozen to tuples
    text = h.to_json()
    assert " " not in text
    assert History.from_json(text) == h


@pytest.mark.parametrize(
    "doc",
    [
        {"format": "other", "ops": []},
        {"format": "mpconform-history", "format_version": 1, "ops": []},
        {"format": "mpconform-history", "format_version": 1, "t0": 0, "ops": [["p", "put"]]},
        {
            "format": "mpconform-history",
            "format_version": 1,
            "t0": 0,
            "ops": [[0, 0, 0, 0, "x", 1]],
        },
    ],
)
def test_history_documents_are_checked(doc):
    with pytest.raises(HistoryError, match=r"mpconform-history|row"):
        History.from_jsonable(doc)


@pytest.mark.parametrize(
    "ops, message",
    [
        ([put("p", 1, 10, 5)], "returned before"),
        ([put("p", 1, 0, 10), put("p", 2, 5, 15)], "overlapping"),
        ([put("p", 1, 0, None), put("p", 2, 5, 15)], "never returned"),
        ([put("p", 1, 0.5, 1)], "ints"),
    ],
)
def test_history_rejects_impossible_runs(ops, message):
    with pytest.raises(HistoryError, match=message):
        History(ops)


def test_history_refuses_unhashable_values():
    with pytest.raises(TypeError, match="hashable"):
        put("p", {"a": 1}, 0, 1)


def test_partition_by_object():
    ops = [Op("p", "write", (1,), None, 0, 1, obj="x"), Op("p", "read", (), 0, 2, 3, obj="y")]
    parts = History(ops).partition()
    assert set(parts) == {"x", "y"}
    assert [len(h) for h in parts.values()] == [1, 1]


# -- queues -----------------------------------------------------------------------------------
SEMANTICS_SCENARIO = [  # A's put returned, then B put, and B's item came out first
    put("A", "a", 0, 10),
    put("B", "b", 20, 30),
    get("C", "b", 40, 50),
    get("C", "a", 60, 70),
]


def test_semantics_scenario_is_legal_for_mp_queue_and_illegal_for_fifo():
    assert verdict(SEMANTICS_SCENARIO, RelaxedQueue()) is OK
    result = check(SEMANTICS_SCENARIO, FifoQueue())
    assert result.verdict is BAD
    # "b" left before any get could take "a", so B's put must precede A's, which returned
    # before B's was invoked: the search fails on A's put and says why
    assert result.order == ()
    assert result.blocked == SEMANTICS_SCENARIO[0]
    assert "results imply it took effect after B put('b')" in result.explain()
    assert screen_queue(SEMANTICS_SCENARIO) == []
    [v] = screen_queue(SEMANTICS_SCENARIO, cross_producer=True)
    assert v.kind == "order" and "real-time FIFO" in v.message


@pytest.mark.parametrize(
    "ops, fifo, relaxed",
    [
        pytest.param(
            [put("A", 1, 0, 10), put("B", 2, 5, 15), get("C", 2, 20, 30), get("C", 1, 40, 50)],
            OK,
            OK,
            id="concurrent-puts-either-order",
        ),
        pytest.param(
            [put("A", 1, 0, 10), put("A", 2, 20, 30), get("C", 2, 40, 50), get("C", 1, 60, 70)],
            BAD,
            BAD,
            id="per-producer-order",
        ),
        pytest.param([put("A", 1, 0, 10), get("C", EMPTY, 20, 30)], BAD, OK, id="empty-buffered"),
        pytest.param(
            [put("A", 1, 0, 10), Op("A", "flush", (), None, 20, 30), get("C", EMPTY, 40, 50)],
            BAD,
            BAD,
            id="empty-after-flush",
        ),
        pytest.param(
            [
                put("A", 1, 0, 10),
                Op("D", "flush", ("A",), None, 20, 30),  # e.g. the parent joined A
                get("C", EMPTY, 40, 50),
            ],
            BAD,
            BAD,
            id="empty-after-flush-seen-by-parent",
        ),
        pytest.param(
            [  # B's item may be in the pipe ahead of A's: A's flush does not order it
                put("B", 2, 0, 10),
                put("A", 1, 20, 30),
                Op("A", "flush", (), None, 40, 50),
                get("C", 2, 60, 70),
                get("C", 1, 80, 90),
            ],
            OK,
            OK,
            id="flush-does-not-order-earlier-puts",
        ),
        pytest.param(
            [  # but an item put after A's flush cannot overtake A's flushed items
                put("A", 1, 0, 10),
                Op("A", "flush", (), None, 20, 30),
                put("B", 2, 40, 50),
                get("C", 2, 60, 70),
            ],
            BAD,
            BAD,
            id="flushed-items-precede-later-puts",
        ),
        pytest.param(
            [  # C2's non-blocking get ran into C1 holding the reader lock
                put("A", 1, 0, 10),
                put("A", 2, 11, 12),
                Op("A", "flush", (), None, 20, 30),
                get("C1", 1, 40, 60),
                get("C2", EMPTY, 45, 50),
                get("C1", 2, 70, 80),
            ],
            BAD,
            OK,
            id="contended-empty",
        ),
        pytest.param([get("C", 7, 0, 10)], BAD, BAD, id="invented"),
        pytest.param(
            [put("A", 1, 0, 10), get("C", 1, 20, 30), get("D", 1, 40, 50)],
            BAD,
            BAD,
            id="duplicated",
        ),
        pytest.param(
            [put("A", 1, 0, 10), get("C", 1, 20, 30), get("C", EMPTY, 40, 50)],
            OK,
            OK,
            id="drained",
        ),
    ],
)
def test_queue_models(ops, fifo, relaxed):
    assert verdict(ops, FifoQueue()) is fifo
    assert verdict(ops, RelaxedQueue()) is relaxed


@pytest.mark.parametrize("model", [FifoQueue(), RelaxedQueue()], ids=lambda m: m.name)
def test_unreturned_calls_may_or_may_not_have_taken_effect(model):
    # a put that never returned: its item may appear, or never
    assert verdict([put("A", 1, 0, None), get("C", 1, 10, 20)], model) is OK
    assert verdict([put("A", 1, 0, None), get("C", EMPTY, 10, 20)], model) is OK
    # a killed consumer's get may have swallowed the head, but only after it was invoked
    swallowed = [put("A", 1, 0, 10), put("A", 2, 20, 30), get("K", None, 40, None)]
    assert verdict([*swallowed, get("C", 2, 50, 60)], model) is OK
    late = [put("A", 1, 0, 10), put("A", 2, 20, 30), get("C", 2, 50, 60), get("K", None, 70, None)]
    assert verdict(late, model) is BAD


def test_relaxed_explanation_shows_the_buffers():
    ops = [put("A", 1, 0, 10), Op("A", "flush", (), None, 20, 30), get("C", EMPTY, 40, 50)]
    text = check(ops, RelaxedQueue()).explain()
    assert "A: [1*]" in text and "flushed" in text


def test_fifo_accepts_repeated_values_without_pruning():
    twice = [put("A", 1, 0, 10), put("B", 1, 0, 10), get("C", 1, 20, 30), get("C", 1, 40, 50)]
    assert verdict(twice, FifoQueue()) is OK
    assert verdict([*twice, get("C", 1, 60, 70)], FifoQueue()) is BAD


def test_fifo_pruning_keeps_a_late_fault_cheap():
    # ten concurrent puts, drained in one order, then one get too many: without pruning the
    # search would try the puts in all 10! orders before giving up
    puts = [put(f"w{i}", i, 0, 100) for i in range(10)]
    drain = [
        get("d", v, 200 + 10 * k, 205 + 10 * k)
        for k, v in enumerate([3, 1, 4, 0, 5, 9, 2, 6, 8, 7])
    ]
    result = check([*puts, *drain, get("d", 7, 400, 410)], FifoQueue(), max_steps=100)
    assert result.verdict is BAD
    assert result.blocked.t_invoke == 400


def test_a_witness_order_is_returned():
    result = check(SEMANTICS_SCENARIO, RelaxedQueue())
    assert result.ok
    assert [o.op for o in result.order] == ["put", "put", "get", "get"]
    assert check([], Register()).ok


def test_unknown_operation_is_a_model_error():
    with pytest.raises(ModelError, match="qsize"):
        check([Op("A", "qsize", (), 0, 0, 1)], FifoQueue())


# -- registers, counters, mutexes -------------------------------------------------------------
def w(p, v, t0, t1):
    return Op(p, "write", (v,), None, t0, t1)


def r(p, v, t0, t1):
    return Op(p, "read", (), v, t0, t1)


@pytest.mark.parametrize(
    "ops, expected",
    [
        ([w("A", 1, 0, 10), r("B", 1, 20, 30)], OK),
        ([r("B", 0, 0, 10)], OK),
        ([w("A", 1, 0, 10), w("A", 2, 20, 30), r("B", 1, 40, 50)], BAD),
        ([w("A", 1, 0, 10), w("A", 2, 20, 30), r("B", 1, 25, 50)], OK),
        ([w("A", 1, 0, 10), r("B", 2, 5, 20), r("C", 1, 30, 40)], BAD),
        ([w("A", 7, 0, None), r("B", 7, 10, 20), r("B", 7, 30, 40)], OK),
        ([r("B", 7, 0, 5), w("A", 7, 10, None)], BAD),
        ([Op("A", "cas", (0, 1), True, 0, 10), Op("B", "cas", (0, 2), True, 20, 30)], BAD),
        ([Op("A", "cas", (0, 1), True, 0, 10), Op("B", "cas", (0, 2), False, 20, 30)], OK),
        ([Op("A", "cas", (0, 1), None, 0, None), r("B", 1, 20, 30)], OK),
    ],
)
def test_register(ops, expected):
    assert verdict(ops, Register(0)) is expected


def inc(p, v, t0, t1):
    return Op(p, "fetch_inc", (), v, t0, t1)


@pytest.mark.parametrize(
    "ops, expected",
    [
        ([inc("A", 0, 0, 10), inc("B", 1, 20, 30), r("C", 2, 40, 50)], OK),
        ([inc("A", 1, 0, 10), inc("B", 0, 5, 30)], OK),
        ([inc("A", 1, 0, 10), inc("B", 0, 20, 30)], BAD),
        ([inc("A", 0, 0, 10), inc("B", 0, 5, 30)], BAD),
        ([inc("A", None, 0, None), inc("B", 1, 10, 20)], OK),
        ([inc("A", None, 0, None), inc("B", 0, 10, 20), r("C", 1, 30, 40)], OK),
        ([Op("A", "fetch_add", (5,), 0, 0, 10), r("B", 5, 20, 30)], OK),
    ],
)
def test_counter(ops, expected):
    assert verdict(ops, Counter()) is expected


def acq(p, ok, t0, t1):
    return Op(p, "acquire", (), ok, t0, t1)


def rel(p, t0, t1):
    return Op(p, "release", (), None, t0, t1)


@pytest.mark.parametrize(
    "ops, expected",
    [
        ([acq("A", True, 0, 10), rel("A", 20, 30), acq("B", True, 40, 50)], OK),
        ([acq("A", True, 0, 10), acq("B", True, 20, 30), rel("A", 40, 50)], BAD),
        ([acq("A", True, 0, 10), acq("B", True, 20, 50), rel("A", 30, 40)], OK),
        ([acq("A", True, 0, 10), rel("B", 20, 30)], BAD),
        ([acq("A", True, 0, 10), acq("B", False, 20, 30)], OK),
        ([acq("A", False, 0, 10)], BAD),
        ([acq("A", True, 0, 10), acq("A", True, 20, 30)], BAD),
        ([acq("A", None, 0, None), acq("B", True, 10, 20)], OK),  # A died before getting it
        ([acq("A", True, 0, 10), rel("A", 20, None), acq("B", True, 30, 40)], OK),
    ],
)
def test_mutex(ops, expected):
    assert verdict(ops, Mutex()) is expected


def test_objects_are_checked_separately_and_the_violation_is_named():
    ops = [
        Op("A", "write", (1,), None, 0, 10, obj="x"),
        Op("A", "write", (1,), None, 20, 30, obj="y"),
        Op("B", "read", (), 1, 40, 50, obj="x"),
        Op("B", "read", (), 0, 60, 70, obj="y"),
    ]
    result = check(ops, Register(0))
    assert result.verdict is BAD
    assert result.obj == "y"
    assert {p.obj: p.verdict for p in result.parts} == {"x": OK, "y": BAD}
    assert "on 'y'" in result.explain()


def test_step_budget_gives_unknown_not_a_hang():
    # twelve concurrent writes, then a read of a value nobody wrote: to prove the violation
    # the search must exhaust every order of the writes it can reach
    ops = [w(p, p, 0, 100) for p in range(12)] + [r("R", 99, 200, 210)]
    small = check(ops, Register(0), max_steps=50)
    assert small.verdict is UNKNOWN
    assert small.steps == 50
    assert "budget" in small.explain()
    assert check(ops, Register(0)).verdict is BAD


# -- screens ----------------------------------------------------------------------------------
def kinds(violations):
    return sorted(v.kind for v in violations)


def test_queue_screen_integrity():
    ops = [
        put("A", 1, 0, 10),
        get("C", 1, 20, 30),
        get("D", 1, 40, 50),  # twice
        get("C", 9, 60, 70),  # never put
        get("C", 2, 80, 90),
        put("B", 2, 100, 110),  # put after it was dequeued
    ]
    found = screen_queue(ops)
    assert kinds(found) == ["duplicate", "early", "invented"]
    assert any("C get() -> 9" in v.message for v in found)


def test_queue_screen_order_needs_certainty():
    ordered = [put("A", 1, 0, 10), put("A", 2, 20, 30)]
    overlap = [*ordered, get("C", 2, 40, 60), get("D", 1, 50, 70)]
    assert screen_queue(overlap) == []
    assert verdict(overlap, RelaxedQueue()) is OK
    certain = [*ordered, get("C", 2, 40, 50), get("D", 1, 60, 70)]
    [v] = screen_queue(certain)
    assert v.kind == "order" and "A put(1)" in v.message
    # 1 never came out while 2 did: only an unreturned get invoked in time could have taken it
    missing = [*ordered, get("C", 2, 40, 50)]
    assert kinds(screen_queue(missing)) == ["order"]
    assert screen_queue([*missing, get("K", None, 35, None)]) == []
    assert kinds(screen_queue([*missing, get("K", None, 55, None)])) == ["order"]


def test_queue_screen_lost_after_drain():
    ops = [put("A", 1, 0, 10), put("B", 2, 0, 10), get("C", 1, 20, 30), get("C", EMPTY, 40, 50)]
    assert screen_queue(ops) == []
    [v] = screen_queue(ops, drained=True)
    assert v.kind == "lost" and "B put(2)" in v.message
    assert screen_queue(ops, drained=True, may_lose={"B"}) == []
    assert screen_queue([*ops, get("K", None, 60, None)], drained=True) == []


def test_queue_screen_needs_unique_values():
    with pytest.raises(ValueError, match="unique"):
        screen_queue([put("A", 1, 0, 10), put("B", 1, 0, 10)])


def test_critical_sections():
    assert screen_critical_sections([Section("a", 0, 10), Section("b", 10, 20)]) == []
    [v] = screen_critical_sections([Section("a", 0, 10), Section("b", 5, 20)])
    assert v.kind == "overlap" and "a held it" in v.message
    # a long section is compared with everything that starts inside it
    found = screen_critical_sections(
        [Section("a", 0, None), Section("b", 5, 6), Section("c", 7, 8)]
    )
    assert len(found) == 2


def test_mutex_screen():
    ok = [acq("A", True, 0, 10), rel("A", 20, 30), acq("B", True, 25, 40), rel("B", 50, 60)]
    assert screen_mutex(ok) == []
    both = [acq("A", True, 0, 10), acq("B", True, 5, 15), rel("A", 20, 30), rel("B", 40, 50)]
    assert kinds(screen_mutex(both)) == ["overlap"]
    never_released = [acq("A", True, 0, 10), acq("B", True, 100, 110)]
    assert kinds(screen_mutex(never_released)) == ["overlap"]
    assert kinds(screen_mutex([acq("A", True, 0, 1), acq("A", True, 2, 3)])) == ["reacquired"]
    assert screen_mutex([acq("A", False, 0, 1), acq("B", True, 2, 3)]) == []


def test_in_band_owner_check():
    cell = SimpleNamespace(value=NO_OWNER)
    assert enter_owned(cell, 1) is None
    assert exit_owned(cell, 1) is None and cell.value == NO_OWNER
    assert enter_owned(cell, 1) is None
    assert "1 was inside" in enter_owned(cell, 2).message
    assert "found owner 2" in exit_owned(cell, 1).message


def test_counter_screen():
    assert screen_counter([inc("A", 1, 0, 10), inc("B", 0, 5, 30), inc("C", 2, 40, 50)]) == []
    assert kinds(screen_counter([inc("A", 0, 0, 10), inc("B", 0, 20, 30)])) == ["duplicate"]
    assert kinds(screen_counter([inc("A", 1, 0, 10), inc("B", 0, 20, 30)])) == ["backwards"]
    assert kinds(screen_counter([inc("A", 1, 0, 10)])) == ["range"]
    assert screen_counter([inc("A", 1, 0, 10), inc("K", None, 0, None)]) == []
    assert screen_counter([inc("A", 5, 0, 10)], start=5) == []


# -- simulated correct executions -------------------------------------------------------------
Apply = Callable[[Any, Hashable, str, tuple], "tuple[Any, Any] | None"]
TICK = 10  # time between simulated events, leaving room for mutations in between

# Who dies when: worker index (modulo the number of workers) -> how many of its steps it takes
# before it is SIGKILLed. A plan rather than a kill probability, so that Hypothesis shrinks
# towards "nobody dies" and a failure names the victim.
deaths = st.dictionaries(st.integers(0, 5), st.integers(0, 30), max_size=2)


def victims(plan: dict[int, int], names: Sequence[str]) -> dict[str, int]:
    return {names[i % len(names)]: k for i, k in plan.items()}


def run_atomic(rnd: random.Random, scripts: dict, apply: Apply, state: Any, plan=None):
    """A linearizable object under a random schedule: each call takes effect atomically at a
    random moment inside its call. ``apply`` returns (result, new state), or None when the
    call must wait (a lock held elsewhere).

    Returns the ops, the final state and the last time used.
    """
    todo = {p: list(s) for p, s in scripts.items()}
    dies = victims(plan or {}, list(scripts))
    phase: dict[Hashable, str] = dict.fromkeys(scripts, "idle")
    started: dict[Hashable, int] = {}
    result: dict[Hashable, Any] = {}
    taken: dict[Hashable, int] = dict.fromkeys(scripts, 0)
    ops: list[Op] = []
    t = 0
    while True:
        moves = []
        for p, ph in phase.items():
            if ph == "idle" and todo[p]:
                moves.append((p, "invoke"))
            elif ph == "called" and apply(state, p, *todo[p][0]) is not None:
                moves.append((p, "apply"))
            elif ph == "done":
                moves.append((p, "return"))
        if not moves:
            break
        t += TICK
        p, move = rnd.choice(moves)
        name, args = todo[p][0]
        if dies.get(p) == taken[p]:
            if phase[p] != "idle":
                ops.append(Op(p, name, args, None, started[p], None))
            phase[p] = "dead"
            continue
        taken[p] += 1
        if move == "invoke":
            phase[p], started[p] = "called", t
        elif move == "apply":
            result[p], state = apply(state, p, name, args)
            phase[p] = "done"
        else:
            ops.append(Op(p, name, args, result[p], started[p], t))
            todo[p].pop(0)
            phase[p] = "idle"
    for p, ph in phase.items():  # waiting forever (the holder died): the harness times out
        if ph in ("called", "done"):
            ops.append(Op(p, todo[p][0][0], todo[p][0][1], None, started[p], None))
    return ops, state, t


def fifo_apply(state, p, name, args):
    if name == "put":
        return None, (*state, args[0])
    return (state[0], state[1:]) if state else (EMPTY, state)


def simulate_fifo(rnd, workers, length, plan=None):
    """A Manager-style queue; the run ends with a sequential drain until Empty."""
    values = iter(range(10**6))
    scripts = {
        f"w{i}": [
            ("put", (next(values),)) if rnd.choice((True, False)) else ("get", ())
            for _ in range(length)
        ]
        for i in range(workers)
    }
    ops, state, t = run_atomic(rnd, scripts, fifo_apply, (), plan)
    for item in (*state, EMPTY):
        ops.append(get("drain", item, t + 1, t + 2))
        t += TICK
    return ops


class MpQueueReplica:
    """CPython's ``multiprocessing.Queue`` reduced to its moving parts: a buffer and a feeder
    per producer, one pipe, and a reader lock that ``get(block=False)`` only tries. Producers
    end with ``close(); join_thread()`` (a recorded flush); a killed producer loses its buffer,
    a consumer killed inside get keeps the reader lock forever, as with the real lock."""

    def __init__(self, rnd, producers, consumers, puts, gets, plan):
        self.rnd = rnd
        values = iter(range(10**6))
        self.todo = {
            f"p{i}": [("put", (next(values),)) for _ in range(puts)] for i in range(producers)
        }
        for p in self.todo:
            self.todo[p].append(("flush", ()))
        self.todo.update({f"c{i}": [("get", ())] * gets for i in range(consumers)})
        self.dies = victims(plan or {}, list(self.todo))
        self.taken = dict.fromkeys(self.todo, 0)
        self.buffers = {p: deque() for p in self.todo if p.startswith("p")}
        self.pipe: deque = deque()
        self.rlock: str | None = None
        self.phase = dict.fromkeys(self.todo, "idle")
        self.started: dict[str, int] = {}
        self.result: dict[str, Any] = {}
        self.ops: list[Op] = []
        self.t = 0
        self.killed: set[str] = set()

    def moves(self):
        out = []
        for p, ph in self.phase.items():
            if ph == "idle" and self.todo[p]:
                out.append((p, "invoke"))
            elif ph == "called":
                if self.todo[p][0][0] != "flush" or not self.buffers[p]:
                    out.append((p, "act"))
            elif ph == "locked":
                out.append((p, "read"))
            elif ph == "done":
                out.append((p, "ret"))
            if ph != "dead" and self.buffers.get(p):
                out.append((p, "feed"))
        return out

    def run(self):
        while True:
            moves = self.moves()
            if not moves:
                break
            self.t += TICK
            p, move = self.rnd.choice(moves)
            if move != "feed" and self.dies.get(p) == self.taken[p]:
                self.die(p)
                continue
            self.taken[p] += move != "feed"
            getattr(self, move)(p)
        stuck = self.rlock is not None
        while True:  # the parent drains after everyone finished
            item = EMPTY if stuck or not self.pipe else self.pipe.popleft()
            self.ops.append(get("drain", item, self.t + 1, self.t + 2))
            self.t += TICK
            if item is EMPTY:
                return self.ops, not stuck

    def die(self, p):
        if self.phase[p] != "idle":
            name, args = self.todo[p][0]
            self.ops.append(Op(p, name, args, None, self.started[p], None))
        self.phase[p] = "dead"
        self.killed.add(p)
        if p in self.buffers:
            self.buffers[p].clear()  # the feeder thread died with it

    def invoke(self, p):
        self.phase[p], self.started[p] = "called", self.t

    def act(self, p):
        name, args = self.todo[p][0]
        self.result[p] = None
        if name == "put":
            self.buffers[p].append(args[0])
        elif name == "get":
            if self.rlock is not None:
                self.result[p] = EMPTY
            else:
                self.rlock = p
                self.phase[p] = "locked"
                return
        self.phase[p] = "done"

    def read(self, p):
        self.result[p] = self.pipe.popleft() if self.pipe else EMPTY
        self.rlock = None
        self.phase[p] = "done"

    def feed(self, p):
        self.pipe.append(self.buffers[p].popleft())

    def ret(self, p):
        name, args = self.todo[p].pop(0)
        self.ops.append(Op(p, name, args, self.result[p], self.started[p], self.t))
        self.phase[p] = "idle"


def simulate_mp_queue(rnd, producers, consumers, puts, gets, plan=None):
    """Returns (ops, drained, killed producers)."""
    replica = MpQueueReplica(rnd, producers, consumers, puts, gets, plan)
    ops, drained = replica.run()
    return ops, drained, {p for p in replica.killed if p.startswith("p")}


def mutex_apply(state, p, name, args):
    if name == "acquire":
        return (True, p) if state is None else None
    return None, None


def counter_apply(state, p, name, args):
    return state, state + 1 if name == "fetch_inc" else state


def register_apply(state, p, name, args):
    if name == "write":
        return None, args[0]
    if name == "cas":
        return (True, args[1]) if state == args[0] else (False, state)
    return state, state


schedules = st.randoms(use_true_random=False)
workers = st.integers(2, 4)
lengths = st.integers(3, 8)


@SEARCH
@given(schedules, workers, lengths, deaths)
def test_correct_fifo_histories_pass_everything(rnd, n, length, plan):
    ops = simulate_fifo(rnd, n, length, plan)
    assert History.from_json(History(ops).to_json()) == History(ops)
    result = check(ops, FifoQueue())
    assert result.verdict is OK, result.explain()
    assert check(ops, RelaxedQueue()).verdict is OK  # a real-time FIFO is also a relaxed one
    assert screen_queue(ops, drained=True, cross_producer=True) == []


@SEARCH
@given(schedules, st.integers(1, 3), st.integers(1, 3), lengths, deaths)
def test_correct_mp_queue_histories_pass_everything(rnd, producers, consumers, length, plan):
    ops, drained, lost = simulate_mp_queue(rnd, producers, consumers, length, length, plan)
    result = check(ops, RelaxedQueue())
    assert result.verdict is OK, result.explain()
    assert screen_queue(ops, drained=drained, may_lose=lost) == []


@SEARCH
@given(schedules, workers, st.integers(1, 4), deaths)
def test_correct_mutex_histories_pass_everything(rnd, n, rounds, plan):
    scripts = {f"w{i}": [("acquire", ()), ("release", ())] * rounds for i in range(n)}
    ops, _, _ = run_atomic(rnd, scripts, mutex_apply, None, plan)
    assert check(ops, Mutex()).verdict is OK
    assert screen_mutex(ops) == []


@SEARCH
@given(schedules, workers, lengths, deaths)
def test_correct_counter_histories_pass_everything(rnd, n, length, plan):
    scripts = {
        f"w{i}": [rnd.choice([("fetch_inc", ())] * 3 + [("read", ())]) for _ in range(length)]
        for i in range(n)
    }
    ops, _, _ = run_atomic(rnd, scripts, counter_apply, 0, plan)
    assert check(ops, Counter()).verdict is OK
    assert screen_counter(ops) == []


@SEARCH
@given(schedules, workers, lengths, deaths)
def test_correct_register_histories_pass(rnd, n, length, plan):
    def one():
        kind = rnd.choice(["read", "write", "cas"])
        if kind == "write":
            return "write", (rnd.randrange(3),)
        return ("cas", (rnd.randrange(3), rnd.randrange(3))) if kind == "cas" else ("read", ())

    scripts = {f"w{i}": [one() for _ in range(length)] for i in range(n)}
    ops, _, _ = run_atomic(rnd, scripts, register_apply, 0, plan)
    assert check(ops, Register(0)).verdict is OK


# -- one injected fault: the screens and the search must both see it ---------------------------
def drop_item(rnd, ops):
    gets = [i for i, o in enumerate(ops) if o.op == "get" and o.returned and o.result is not EMPTY]
    if not gets:
        return None
    i = rnd.choice(gets)
    return ops[:i] + ops[i + 1 :]


def duplicate_get(rnd, ops):
    gets = [o for o in ops if o.op == "get" and o.returned and o.result is not EMPTY]
    if not gets:
        return None
    end = max(o.t_return or o.t_invoke for o in ops)
    return [*ops, get("dup", rnd.choice(gets).result, end + 1, end + 2)]


def swap_producer_order(rnd, ops):
    """Swap two values of one producer whose items certainly left in their put order."""
    taken = {o.result: o for o in ops if o.op == "get" and o.returned and o.result is not EMPTY}
    pairs = []
    for p in sorted({o.process for o in ops if o.op == "put"}):
        mine = [i for i, o in enumerate(ops) if o.op == "put" and o.process == p]
        for x, i in enumerate(mine):
            for j in mine[x + 1 :]:
                gi, gj = taken.get(ops[i].args[0]), taken.get(ops[j].args[0])
                if gi and gj and gi.t_return < gj.t_invoke:
                    pairs.append((i, j))
    if not pairs:
        return None
    i, j = rnd.choice(pairs)
    out = list(ops)
    out[i], out[j] = replace(ops[i], args=ops[j].args), replace(ops[j], args=ops[i].args)
    return out


QUEUE_FAULTS = {"drop": drop_item, "duplicate": duplicate_get, "swap": swap_producer_order}


@SEARCH
@given(
    schedules,
    st.sampled_from(["fifo", "mp"]),
    st.sampled_from(sorted(QUEUE_FAULTS)),
    workers,
    lengths,
)
def test_queue_faults_are_caught_by_screen_and_search(rnd, kind, fault, n, length):
    if kind == "fifo":
        ops, model = simulate_fifo(rnd, n, length), FifoQueue()
    else:
        ops, _, _ = simulate_mp_queue(rnd, n - 1, n - 1, length, length)
        model = RelaxedQueue()
    broken = QUEUE_FAULTS[fault](rnd, ops)
    if broken is None:
        event(f"{fault} not applicable")
        return
    flagged = screen_queue(broken, drained=True)
    assert flagged, fault
    result = check(broken, model)
    assert result.verdict is BAD, fault
    assert result.explain().startswith("not linearizable")


def swap_two_results(rnd, ops):
    """Any wrong answer at all, not just the faults a screen is built for."""
    gets = [i for i, o in enumerate(ops) if o.op == "get" and o.returned]
    if len(gets) < 2:
        return None
    i, j = rnd.sample(gets, 2)
    out = list(ops)
    out[i], out[j] = replace(ops[i], result=ops[j].result), replace(ops[j], result=ops[i].result)
    return out


class UnprunedFifo(FifoQueue):
    """The bare specification: what the pruned search must agree with."""

    def specialize(self, ops):
        return self


@SEARCH
@given(
    schedules,
    st.sampled_from([None, swap_two_results, *QUEUE_FAULTS.values()]),
    st.integers(2, 3),
    st.integers(3, 6),
    deaths,
)
def test_fifo_pruning_never_changes_a_verdict(rnd, fault, n, length, plan):
    ops = simulate_fifo(rnd, n, length, plan)
    if fault is not None:
        ops = fault(rnd, ops) or ops
    reference = check(ops, UnprunedFifo(), max_steps=200_000)
    if reference.verdict is UNKNOWN:
        event("reference search ran out of steps")
        return
    assert check(ops, FifoQueue()).verdict is reference.verdict


@SEARCH
@given(schedules, workers, st.integers(1, 3), deaths)
def test_overlapping_critical_sections_are_caught(rnd, n, rounds, plan):
    scripts = {f"w{i}": [("acquire", ()), ("release", ())] * rounds for i in range(n)}
    ops, _, _ = run_atomic(rnd, scripts, mutex_apply, None, plan)
    by_process = History(ops).by_process()
    sections = [
        a
        for mine in by_process.values()
        for a, b in zip(mine, mine[1:])
        if a.op == "acquire" and a.result and b.op == "release"
    ]
    if not sections:
        event("no complete critical section")
        return
    a = rnd.choice(sections)  # an intruder enters and leaves while a's holder is inside
    t = a.t_return
    broken = [*ops, acq("intruder", True, t + 1, t + 2), rel("intruder", t + 3, t + 4)]
    assert kinds(screen_mutex(broken)) == ["overlap"]
    assert check(broken, Mutex()).verdict is BAD


@SEARCH
@given(schedules, workers, lengths, deaths)
def test_repeated_counter_values_are_caught(rnd, n, length, plan):
    scripts = {f"w{i}": [("fetch_inc", ())] * length for i in range(n)}
    ops, _, _ = run_atomic(rnd, scripts, counter_apply, 0, plan)
    done = [i for i, o in enumerate(ops) if o.returned]
    if len(done) < 2:
        event("fewer than two increments returned")
        return
    i, j = rnd.sample(done, 2)
    broken = list(ops)
    broken[j] = replace(ops[j], result=ops[i].result)
    assert "duplicate" in kinds(screen_counter(broken))
    assert check(broken, Counter()).verdict is BAD


# -- cost ---------------------------------------------------------------------------------------
def test_screens_handle_ten_thousand_op_histories():
    ops, drained, lost = simulate_mp_queue(random.Random(1), 8, 4, 625, 1300)
    assert len(ops) >= 10_000
    assert screen_queue(ops, drained=drained, may_lose=lost) == []
    scripts = {f"w{i}": [("acquire", ()), ("release", ())] * 625 for i in range(8)}
    assert screen_mutex(run_atomic(random.Random(2), scripts, mutex_apply, None)[0]) == []
    scripts = {f"w{i}": [("fetch_inc", ())] * 1250 for i in range(8)}
    assert screen_counter(run_atomic(random.Random(3), scripts, counter_apply, 0)[0]) == []


@pytest.mark.parametrize(
    ("spans", "slots", "caught"),
    [
        ([], 1, False),
        ([(0, 10), (10, 20)], 1, False),  # touching: one may have left at the very instant
        ([(0, 10), (9, 20)], 1, True),
        ([(0, 10), (9, 20)], 2, False),
        ([(0, 100), (10, 20), (15, 30), (20, 25)], 2, True),  # three inside during 20..25
        ([(0, 100), (10, 20), (15, 30), (20, 25)], 3, False),
        ([(0, None), (50, 60)], 1, True),  # a holder that never released holds to the end
    ],
)
def test_holder_screen_counts_certain_overlaps_only(spans: list, slots: int, caught: bool) -> None:
    """The semaphore screen never exceeds a correct n: touching sections do not overlap."""
    sections = [Section(f"p{i}", start, end) for i, (start, end) in enumerate(spans)]
    found = screen_holders(sections, slots)
    assert bool(found) == caught
    if caught:
        assert found[0].kind == "holders" and f"{slots}-slot" in found[0].message
