"""Adapters load, probe capabilities, and fail with one readable line on bad input."""

from __future__ import annotations

import multiprocessing
import multiprocessing.managers
import multiprocessing.pool
import subprocess
import sys
import textwrap

import pytest

from mpconform import registry
from mpconform.adapter import KNOWN_CAPABILITIES, Adapter
from mpconform.adapters._thirdparty import load_mirror
from mpconform.errors import BackendNotInstalled, ConfigError
from mpconform.outcomes import Unsupported
from mpconform.target import Target


def test_stdlib_offers_every_start_method_of_the_platform():
    adapter = registry.resolve("stdlib")
    assert adapter.start_methods == tuple(multiprocessing.get_all_start_methods())
    ctx = adapter.get_context("spawn")
    assert ctx.get_start_method() == "spawn"
    assert {k: v for k, v in adapter.capabilities(ctx).items() if v} == {}


def test_dummy_declares_what_threads_cannot_do_and_probes_the_rest():
    adapter = registry.resolve("dummy")
    assert adapter.start_methods == ("thread",)
    caps = adapter.capabilities(adapter.get_context("thread"))
    assert "threads cannot be signalled" in caps["Process.terminate"]
    assert caps["SimpleQueue"] == "dummy has no SimpleQueue"
    assert caps["parent_process"] == "dummy has no parent_process"
    assert caps["Queue"] is None and caps["Process.join"] is None
    assert caps["pool.ThreadPool"] is None
    assert caps["managers.BaseManager"] == "dummy provides no managers module"


@pytest.mark.parametrize("name", ["billiard", "multiprocess"])
def test_third_party_backends_load_with_their_version(name):
    module = pytest.importorskip(name)
    adapter = registry.resolve(name)
    assert adapter.version == module.__version__
    assert "spawn" in adapter.start_methods
    assert adapter.connection is not None and hasattr(adapter.connection, "wait")
    # Their own submodules, not the stdlib's: a Pool test must exercise the backend's pool.
    assert adapter.pool.__name__ == f"{name}.pool"
    assert adapter.managers.__name__ == f"{name}.managers"


def test_missing_backend_names_the_pip_command():
    with pytest.raises(BackendNotInstalled) as info:
        load_mirror("mpconform_no_such_backend", "no-such-backend", "")
    assert "pip install 'mpconform[mpconform_no_such_backend]'" in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("nope", "unknown backend 'nope'; known: stdlib, dummy, billiard, multiprocess"),
        ("", "empty backend name"),
        ("no_such_module_xyz:adapter", "cannot import module 'no_such_module_xyz'"),
        ("os:no_such_attr", "module 'os' has no 'no_such_attr'"),
        ("os:sep", "is a str, not an mpconform Adapter"),
        ("os:getpid", "produced a int, expected mpconform.adapter.Adapter"),
        (":x", "must look like package.module:attribute"),
        ("json:loads", "adapter factory raised TypeError"),
    ],
)
def test_bad_backend_specs_give_one_line(spec, expected):
    with pytest.raises(ConfigError) as info:
        registry.resolve(spec)
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_get_context_of_a_multiprocessing_like_module():
    adapter = registry.resolve("multiprocessing:get_context")
    assert adapter.name == "multiprocessing"
    assert adapter.start_methods == tuple(multiprocessing.get_all_start_methods())
    assert adapter.connection is multiprocessing.connection
    assert adapter.pool is multiprocessing.pool
    assert adapter.managers is multiprocessing.managers


def test_documented_example_adapter_loads(monkeypatch):
    monkeypatch.syspath_prepend("examples")
    adapter = registry.resolve("adapter_example:adapter")
    assert (adapter.name, adapter.start_methods) == ("spawn-only", ("spawn",))
    target = Target(adapter, "spawn")
    with pytest.raises(Unsupported, match="ships no manager"):
        target.Manager  # noqa: B018 - the attribute access is the behaviour under test
    assert target.Process is multiprocessing.get_context("spawn").Process


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"name": ""}, "name must be a non-empty string"),
        ({"get_context": None}, "get_context must be callable"),
        ({"start_methods": ()}, "start_methods must be a non-empty sequence"),
        ({"max_jobs": 0}, "max_jobs must be at least 1"),
    ],
)
def test_malformed_adapters_are_rejected(kwargs, expected):
    base = {"name": "x", "get_context": multiprocessing.get_context, "start_methods": ("fork",)}
    with pytest.raises(ConfigError, match=expected):
        Adapter(**{**base, **kwargs})


def test_a_pool_only_context_offers_a_pool_and_keeps_its_signature():
    """Everything but Pool is a missing capability (UNSUPPORTED, never FAIL), and Pool keeps the
    backend's signature, so a keyword it lacks is visible to the properties."""
    from mpconform.adapters._pool_only import PoolOnlyContext

    started = []

    def make_pool(processes=None, initializer=None):  # a backend without maxtasksperchild
        return ("pool", processes, initializer)

    ctx = PoolOnlyContext("x", make_pool, TimeoutError, before_pool=lambda: started.append(1))
    adapter = Adapter("x", lambda method: ctx, ("cluster",), areas=("Pool",))
    target = Target(adapter, "cluster")
    assert target.Pool(2) == ("pool", 2, None) and started == [1]
    assert "maxtasksperchild" not in __import__("inspect").signature(target.Pool).parameters
    for name in ("Process", "Queue", "Lock", "Manager", "Value"):
        with pytest.raises(Unsupported, match=f"x has no {name}"):
            getattr(target, name)
    assert target.module == ""  # no Process: the repro script replays through the adapter
    assert adapter.outside("Pool") is None
    assert adapter.outside("Queues") == "x provides only Pool: nothing else to check"
    assert Adapter("y", multiprocessing.get_context, ("fork",)).outside("Queues") is None


def test_capability_names_cover_the_documented_api():
    assert {"Process", "Queue", "Pool", "Manager", "connection.wait", "Barrier"} <= set(
        KNOWN_CAPABILITIES
    )


def test_entry_point_registration(tmp_path):
    """A third-party package registers itself in the mpconform.adapters group."""
    (tmp_path / "thirdparty_backend.py").write_text(
        textwrap.dedent(
            """
            import multiprocessing
            from mpconform.adapter import Adapter
            def make():
                return Adapter(name="third", get_context=multiprocessing.get_context,
                               start_methods=("fork",))
            """
        )
    )
    dist = tmp_path / "thirdparty_backend-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: thirdparty-backend\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(
        "[mpconform.adapters]\nthird = thirdparty_backend:make\n"
    )
    code = (
        "from mpconform import registry; a = registry.resolve('third');"
        "print(a.name, a.start_methods, 'third' in registry.known_names())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(tmp_path), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.strip() == "third ('fork',) True", out.stderr
