"""A stress kind is one entry of programs.KINDS: everything else reads the table."""

from __future__ import annotations

import multiprocessing

import pytest

from mpconform.stress import programs, runner, scenarios


def test_every_kind_has_its_judge_and_every_judge_a_kind() -> None:
    judges = {kind.judge for kind in programs.KINDS.values()}
    assert judges == set(runner.JUDGES)
    assert tuple(programs.KINDS) == scenarios.KINDS


@pytest.mark.parametrize("name", sorted(programs.KINDS))
def test_a_kind_makes_its_objects_and_names_its_nemeses(name: str) -> None:
    kind = programs.KINDS[name]
    objects = programs.make_objects(multiprocessing.get_context("fork"), name)
    assert objects, f"{name} made no shared object"
    programs.release_objects(objects, clean=True)
    nemeses = scenarios.allowed_nemeses(name)
    assert ("kill" in nemeses) == kind.killable and ("exit" in nemeses) == kind.feeder
    assert scenarios.allowed_nemeses(name, has_signals=False) == ("none",)


def test_a_one_consumer_kind_lets_only_worker_zero_get() -> None:
    from hypothesis import given, settings

    @settings(max_examples=20, deadline=None)
    @given(scenarios.program("simple_queue", 1))
    def check(steps: tuple) -> None:
        assert all(step.op == "put" for step in steps)

    check()


def test_an_unknown_kind_or_step_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown scenario kind"):
        programs.make_objects(multiprocessing.get_context("fork"), "heap")
    with pytest.raises(ValueError, match="unknown step 'inc' of a queue program"):
        programs._perform(0, "queue", "inc", None, 0.0, {}, None, {"acquire_timeout": 1.0})


@pytest.mark.parametrize("name", sorted(programs.KINDS))
def test_every_step_takes_the_step_arguments(name: str) -> None:
    """(wid, objs, arg, hold, log, timeout): a step of another signature (or a helper of the
    same name defined later in the module, shadowing it) breaks only when a worker runs it."""
    for op, step in programs.KINDS[name].steps.items():
        names = step.__code__.co_varnames[: step.__code__.co_argcount]
        assert names == ("wid", "objs", "arg", "hold", "log", "timeout"), (name, op, names)
