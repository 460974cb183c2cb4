"""The one agent protocol: replies, notes, resets, stopping, and warm agents kept across tests.

These run the protocol against stdlib under every start method with the built-in commands
every agent has (``pid``, ``echo``); the areas' own command tables are exercised by their
properties and meta-tests.
"""

from __future__ import annotations

import multiprocessing
import pickle

import pytest

from mpconform import agents, warm
from mpconform.agents import Reply

METHODS = multiprocessing.get_all_start_methods()
TABLE: dict = {}  # only the built-in commands; module level, so warm agents key on it


@pytest.fixture(params=METHODS)
def ctx(request: pytest.FixtureRequest):
    return multiprocessing.get_context(request.param)


def test_a_command_answers_with_its_value_and_times(ctx) -> None:
    with agents.started(ctx, TABLE, name="probe") as agent:
        reply = agent.call("echo", {"a": [1, 2]})
        assert reply.ok and reply.value == {"a": [1, 2]}
        assert 0 < reply.t_invoke <= reply.t_return
        assert agent.run("pid") == agent.pid


def test_a_raising_command_answers_with_class_names_and_message(ctx) -> None:
    with agents.started(ctx, TABLE, name="probe") as agent:
        reply = agent.call("no such command")
        assert reply.is_a("KeyError") and not reply.ok
        assert "no such command" in reply.message
        with pytest.raises(agents.AgentRaised, match="KeyError"):
            agent.run("no such command")


def test_a_reply_that_does_not_pickle_is_reported_not_fatal() -> None:
    ctx = multiprocessing.get_context("fork")
    with agents.started(ctx, TABLE, name="probe") as agent:
        lock = ctx.Lock()  # pickles only while spawning: the reply cannot carry it back
        reply = agent.call("echo", _Later(lock))
        assert reply.raised, reply
        assert agent.run("echo", 5) == 5  # the agent lives on


class _Later:
    """Pickles fine on the way in (empty), becomes unpicklable once unpickled in the agent."""

    def __init__(self, lock: object) -> None:
        self.lock = lock

    def __reduce__(self):
        return (_make_unpicklable, ())


def _make_unpicklable() -> object:
    return lambda: None  # a lambda's reply cannot be pickled back


def test_outcome_describes_a_local_call_like_an_agents_reply() -> None:
    good = agents.outcome(int, "7")
    bad = agents.outcome(int, "x")
    assert good == Reply(7, (), "", good.t_invoke, good.t_return)
    assert bad.raised[:2] == ("ValueError", "Exception") and "invalid literal" in bad.message
    assert pickle.loads(pickle.dumps(bad)) == bad


def test_stop_ends_the_agent_with_exit_code_0(ctx) -> None:
    with agents.started(ctx, TABLE, name="probe") as agent:
        pass
    assert agent.proc.exitcode == 0 and agent.stopped


def test_a_dead_agent_fails_the_wait_at_once(ctx) -> None:
    with (
        pytest.raises(agents.AgentDied, match="ended"),
        agents.started(ctx, TABLE, name="probe") as agent,
    ):
        agent.proc.kill()
        agent.proc.join(5)
        agent.call("pid")


def test_a_warm_agent_is_reused_and_a_failing_test_discards_it(ctx) -> None:
    try:
        with agents.warm(ctx, TABLE) as first:
            pid = first.run("pid")
        with agents.warm(ctx, TABLE) as again:
            assert again.run("pid") == pid, "a healthy warm agent is lent again"
        assert pid in warm.kept_pids()
        with pytest.raises(RuntimeError), agents.warm(ctx, TABLE):
            raise RuntimeError("the test failed while holding it")
        assert pid not in warm.kept_pids(), "a failed test's agent is never lent again"
        with agents.warm(ctx, TABLE) as fresh:
            assert fresh.run("pid") != pid
    finally:
        warm.close_all()
    assert not warm.kept_pids()


def test_crew_and_together_read_every_reply_in_order(ctx) -> None:
    with agents.crew(ctx, TABLE, 3, name="member") as team:
        replies = agents.together(team, "echo", [(i,) for i in range(3)])
        assert [r.value for r in replies] == [0, 1, 2]
        assert [a.name for a in team] == ["member 1", "member 2", "member 3"]
        assert len({a.run("pid") for a in team}) == 3


def test_a_standby_agent_serves_every_example_and_is_replaced_after_a_failure(ctx) -> None:
    def prepare():
        ours, theirs = ctx.Pipe(duplex=False)  # the test reads what the agent writes
        return (theirs,), (ours,)

    with agents.standby(ctx, TABLE, prepare, name="standby") as kept:
        with kept.example() as agent:
            first = agent.run("pid")
        with kept.example() as agent:
            assert agent.run("pid") == first  # a passing example keeps the agent
        with pytest.raises(RuntimeError), kept.example() as agent:
            agent.send("echo", "left in flight")
            raise RuntimeError("the example failed")
        old = agent.proc
        with kept.example() as agent:
            assert agent.run("pid") != first  # a fresh agent, with a fresh extra pipe
            assert kept.kept[0].poll(0) is False
        assert not old.is_alive()
        assert kept.examples == 4


def test_a_stray_message_fails_the_example_that_left_it(ctx) -> None:
    with agents.standby(ctx, TABLE, name="standby") as kept:
        with pytest.raises(AssertionError, match="stray message"), kept.example() as agent:
            agent.send("echo", "never read")
            agent.conn.poll(30)  # the reply is there before the example ends
        with kept.example() as agent:
            assert agent.run("echo", 1) == 1  # and the next example starts clean


def test_a_held_child_runs_until_released_then_ends_with_0(ctx) -> None:
    with agents.held(ctx) as child:
        assert child.proc.is_alive() and child.proc.exitcode is None
        child.proc.join(0.05)
        assert child.proc.is_alive()  # still holding: nothing ended it
        agents.release(child)
        child.proc.join(30)
        assert child.proc.exitcode == 0
    agents.release(child)  # a second release is a no-op


def test_a_held_child_killed_by_the_test_is_joined_without_a_verdict(ctx) -> None:
    with agents.held(ctx, wait_ready=False) as child:
        child.proc.kill()
    assert child.proc.exitcode == -9
