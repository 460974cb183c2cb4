"""Plain-code repro scripts: backend and stdlib only, right on CPython, and they reproduce.

A script is judged by running it, the way a backend maintainer would: every template, shown
with its sample, must observe the same thing twice on CPython (exit 0) without raising, and
the known differences below must reproduce on their backend (exit 1) and not when the script
is pointed at CPython's multiprocessing (exit 0).
"""

from __future__ import annotations

import ast
import builtins
import importlib
import json
import os
import pkgutil
import signal
import subprocess
import symtable
import sys
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from test_reports import document, result

import mpconform.conformance
from mpconform import plain, reports

TEMPLATES = plain.load_all()
SCRIPT_LIMIT = 180  # seconds: a liveness bound for one script (two sides, each bounded)


def run_script(path: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(path), *argv],
        capture_output=True,
        text=True,
        timeout=SCRIPT_LIMIT,
        cwd=path.parent,  # far from the checkout: the script must not need mpconform
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )


def write(tmp_path: Path, feature: str, backend: str, method: str, args: dict[str, Any]) -> Path:
    found = TEMPLATES[feature]
    text = plain.render(
        found,
        {name: plain.source_of(value) for name, value in args.items()},
        backend=backend,
        start_method=method,
        headline=f"{feature} under {backend}",
    )
    path = tmp_path / f"{feature}.py"
    path.write_text(text)
    return path


def properties() -> set[str]:
    found = set()
    for info in pkgutil.iter_modules(mpconform.conformance.__path__):
        if info.name.startswith("test_"):
            module = importlib.import_module(f"mpconform.conformance.{info.name}")
            found |= {name for name in vars(module) if name.startswith("test_")}
    return found


def test_every_template_is_of_a_property_and_has_a_sample_for_each_parameter() -> None:
    assert TEMPLATES, "no plain_* module registered a template"
    unknown = sorted(set(TEMPLATES) - properties())
    assert not unknown, f"templates for no property: {unknown}"
    unsampled = {f: t.parameters for f, t in TEMPLATES.items() if set(t.parameters) - set(t.sample)}
    assert not unsampled, f"templates whose sample lacks parameters: {unsampled}"


def _undefined_globals(text: str) -> set[str]:
    """Names a function of the script reads as globals that the script never defines."""
    table = symtable.symtable(text, "<script>", "exec")
    defined = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    missing = set()
    stack = list(table.get_children())
    while stack:
        child = stack.pop()
        stack.extend(child.get_children())
        for symbol in child.get_symbols():
            name = symbol.get_name()
            if symbol.is_global() and name not in defined and not hasattr(builtins, name):
                missing.add(name)
    return missing


@pytest.mark.parametrize("feature", sorted(TEMPLATES))
def test_a_script_defines_every_name_it_uses_and_imports_only_the_stdlib(
    tmp_path: Path, feature: str
) -> None:
    text = write(tmp_path, feature, "billiard", "fork", TEMPLATES[feature].sample).read_text()
    assert not _undefined_globals(text)
    imported = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)


@pytest.mark.parametrize("feature", sorted(TEMPLATES))
def test_every_template_observes_the_same_twice_on_cpython(tmp_path: Path, feature: str) -> None:
    path = write(tmp_path, feature, "multiprocessing", "fork", TEMPLATES[feature].sample)
    out = run_script(path)
    assert out.returncode == 0, out.stdout + out.stderr
    first = out.stdout.splitlines()[0]
    observed = first.split(": ", 1)[1]
    assert not observed.startswith(("raised", "hung", "crashed")), first


class Difference(NamedTuple):
    feature: str
    backend: str
    start_method: str
    args: dict[str, Any]


# Known differences (each confirmed in the closing note of issue 16): at least one per area.
REPRODUCES = [
    Difference("test_sys_exit_code_is_exitcode", "billiard", "fork", {"code": None}),
    Difference("test_sys_exit_code_is_exitcode", "multiprocessing.dummy", "thread", {"code": 3}),
    Difference(
        "test_signal_death_gives_negative_signal_number",
        "billiard",
        "forkserver",
        {"signum": signal.SIGTERM},
    ),
    Difference("test_terminate_gives_minus_sigterm", "billiard", "forkserver", {"wait_ready": 0}),
    Difference(
        "test_closed_simple_queue_raises_os_error", "billiard", "fork", {"variant": "empty"}
    ),
    Difference("test_simple_queue_empty_put_get", "billiard", "spawn", {"values": []}),
    Difference(
        "test_unpicklable_item_is_dropped_and_later_items_still_arrive",
        "multiprocessing.dummy",
        "thread",
        {},
    ),
    Difference(
        "test_simplex_ends_refuse_the_other_direction", "multiprocessing.dummy", "thread", {}
    ),
    Difference(
        "test_send_bytes_sends_the_slice",
        "multiprocessing.dummy",
        "thread",
        {"case": (b"\x00", 1, None)},
    ),
    Difference(
        "test_send_of_an_unpicklable_object_raises_and_sends_nothing",
        "multiprocessing.dummy",
        "thread",
        {},
    ),
    Difference(
        "test_nested_proxy_writes_are_visible",
        "billiard",
        "fork",
        {"items": [("a", 0)], "extra": 0},
    ),
    Difference(
        "test_shutdown_ends_the_manager_process",
        "multiprocessing.dummy",
        "thread",
        {"variant": "with"},
    ),
    Difference(
        "test_value_without_initial_value_holds_zero", "billiard", "fork", {"variant": "Value"}
    ),
    Difference(
        "test_stores_are_read_back_by_the_other_process",
        "multiprocessing.dummy",
        "thread",
        {"variant": "Value", "writes": [("f", 0, 2.5314181077185716e-234)], "writer": "child"},
    ),
    Difference(
        "test_wrong_type_raises_type_error_and_keeps_value",
        "multiprocessing.dummy",
        "thread",
        {"case": ("Value", ("d", 0.0, None), "child")},
    ),
    Difference("test_wrong_type_raises_type_error_and_keeps_value", "billiard", "spawn", {}),
    Difference(
        "test_array_bad_index_or_slice_length_raises",
        "multiprocessing.dummy",
        "thread",
        {"variant": "Array"},
    ),
    Difference(
        "test_lock_follows_its_sequential_model",
        "multiprocessing.dummy",
        "thread",
        {"steps": [(0, "release")]},
    ),
    Difference(
        "test_negative_timeout_acts_as_zero",
        "multiprocessing.dummy",
        "thread",
        {"which": 0, "timeout": -0.5},
    ),
    Difference("test_condition_notify_wakes_exactly_n", "billiard", "fork", {"waiters": 1, "n": 0}),
    Difference(
        "test_a_lock_of_the_fork_context_is_refused_by_another_start_method",
        "billiard",
        "forkserver",
        {},
    ),
    Difference("test_get_logger_is_the_logger_named_multiprocessing", "multiprocess", "fork", {}),
    Difference(
        "test_callbacks_are_called_once_with_the_outcome",
        "billiard",
        "fork",
        {"api": "apply_async", "items": [0], "fails": True},
    ),
    Difference("test_successful_before_ready_raises_value_error", "billiard", "spawn", {}),
    Difference("test_join_before_close_raises_value_error", "billiard", "forkserver", {}),
    Difference("test_submitting_after_close_raises_value_error", "billiard", "fork", {}),
    Difference("test_thread_pool_computes_what_sequential_calls_compute", "billiard", "fork", {}),
    Difference("test_daemonic_process_cannot_start_children", "billiard", "spawn", {}),
    Difference(
        "test_daemonic_process_cannot_start_children", "multiprocessing.dummy", "thread", {}
    ),
    Difference("test_sentinel_stays_valid_after_join", "billiard", "fork", {}),
    Difference(
        "test_daemonic_children_end_with_their_parent",
        "billiard",
        "fork",
        {"ending": (("return",), 0)},
    ),
    Difference("test_daemon_flag_is_kept_and_seen_by_child", "multiprocessing.dummy", "thread", {}),
    Difference(
        "test_default_names_number_children_in_order",
        "multiprocessing.dummy",
        "thread",
        {"count": 1},
    ),
    Difference(
        "test_join_before_start_raises_assertion_error", "multiprocessing.dummy", "thread", {}
    ),
    Difference("test_join_self_raises_assertion_error", "multiprocessing.dummy", "thread", {}),
    Difference(
        "test_start_twice_raises_assertion_error",
        "multiprocessing.dummy",
        "thread",
        {"when": "running"},
    ),
]


@pytest.mark.parametrize("case", REPRODUCES, ids=lambda c: f"{c.feature}-{c.start_method}")
def test_a_difference_reproduces_on_its_backend_and_not_on_cpython(
    tmp_path: Path, case: Difference
) -> None:
    pytest.importorskip(case.backend)
    path = write(tmp_path, case.feature, case.backend, case.start_method, case.args)
    out = run_script(path)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "DIFFERENT" in out.stdout
    against_cpython = run_script(path, "multiprocessing")
    assert against_cpython.returncode == 0, against_cpython.stdout + against_cpython.stderr


def test_a_script_that_cannot_import_its_backend_exits_2(tmp_path: Path) -> None:
    feature = "test_sys_exit_code_is_exitcode"
    path = write(tmp_path, feature, "no_such_backend_module", "fork", {"code": 1})
    out = run_script(path)
    assert out.returncode == 2
    assert "no_such_backend_module is not importable" in out.stderr


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        (
            "Falsifying example: test_x(\n    mp=<mp billiard-fork>,\n    code=None,\n)",
            {"code": "None"},
        ),
        (
            "Failing test case: check(\n    # The test always failed when commented parts"
            " were varied together.\n    api='apply_async',  # or any other generated value\n"
            "    items=[0],\n)",
            {"api": "'apply_async'", "items": "[0]"},
        ),
        (
            "Falsifying example: t(\n    signum=<Signals.SIGTERM: 15>,\n)",
            {"signum": "signal.SIGTERM"},
        ),
        ("Falsifying example: t(\n    exc_type=ValueError,\n)", {"exc_type": "ValueError"}),
        (
            "TypeError: x\nFailing explicit example: t(\n"
            "    mp=<mp dummy-thread>,\n    daemon=True,\n)",
            {"daemon": "True"},
        ),
        ("Falsifying example: t(\n    path=PosixPath('/x'),\n    n=2,\n)", {"n": "2"}),
        ("Falsifying example: t(\n    data=data(...),\n)", {}),
        (None, {}),
        ("something else", None),
    ],
)
def test_example_arguments_are_read_as_source(example: str | None, expected: Any) -> None:
    assert plain.example_arguments(example) == expected


def test_an_example_quoted_in_a_message_is_found_and_a_message_without_one_gives_none() -> None:
    message = "TypeError: x\nFailing explicit example: t(\n    daemon=True,\n)"
    assert plain.example_in(message) == "Failing explicit example: t(\n    daemon=True,\n)"
    assert plain.example_in("AssertionError: no example here") is None


def test_a_variant_parameter_gets_the_pytest_parameter_id() -> None:
    def observe(mp, variant, n):
        return variant, n

    found = plain.Template("test_x", observe, sample={"variant": "Value", "n": 1})
    example = "Falsifying example: test_x(\n    n=2,\n)"
    assert plain.arguments_for(found, example, "RawArray") == {"variant": "'RawArray'", "n": "2"}


def test_a_parameter_with_a_default_may_be_missing_from_the_example() -> None:
    def observe(mp, variant, writes=(1,), writer="child"):
        return variant, writes, writer

    found = plain.Template("test_x", observe, sample={"variant": "V", "writes": [], "writer": "c"})
    assert plain.arguments_for(found, None, "Value") == {"variant": "'Value'"}
    example = "Falsifying example: test_x(\n    writes=[2],\n)"
    assert plain.arguments_for(found, example, "V") == {"variant": "'V'", "writes": "[2]"}
    assert plain.arguments_for(plain.Template("test_x", lambda mp, n: n), None) is None


def test_the_report_writes_a_plain_script_for_a_templated_failure_and_replays_the_rest(
    tmp_path: Path,
) -> None:
    failing = result(
        "test_sys_exit_code_is_exitcode",
        "billiard",
        "fork",
        "FAIL",
        example="Falsifying example: test_sys_exit_code_is_exitcode(\n    code=None,\n)",
    )
    untemplated = result("test_no_template_here", "billiard", "fork", "FAIL", line=20)
    doc = document([failing, untemplated])
    doc["run"]["backends"][0]["modules"] = {"fork": "billiard"}
    reports.render_all([doc], str(tmp_path))
    scripts = sorted((tmp_path / "repro").iterdir())
    assert len(scripts) == 2
    plain_text = next(p for p in scripts if "exit_code" in p.name).read_text()
    assert "BACKEND = 'billiard'" in plain_text and "ARGS = dict(code=None)" in plain_text
    assert "mpconform" not in _imports(plain_text)
    replay_text = next(p for p in scripts if "no_template" in p.name).read_text()
    assert "pytest" in replay_text  # no template: the replaying script, as before
    json.dumps(doc)  # the document stayed serialisable with the added field


def _imports(text: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
    return names
