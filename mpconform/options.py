"""Options of the pytest plugin, each settable on the command line, in ini or by env var.

Precedence: command line, then ini file, then environment, then default. Resolution checks
everything up front and raises ConfigError, so a typo fails in a second with one line, not
after minutes of collection.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from . import expectations, profiles, registry
from .adapter import Adapter
from .errors import ConfigError
from .expectations import Expectations
from .target import Target

if TYPE_CHECKING:
    from . import peers


@dataclass(frozen=True)
class Option:
    """One setting of a run, declared once: ``mpconform run --<name>`` (when ``cli``), the
    plugin's ``--mp-<name>``, the ini key ``mp_<name>`` and ``MPCONFORM_<NAME>``. Values are
    read as text wherever they come from and checked in one place, :func:`settings`."""

    name: str
    help: str
    many: bool = False  # comma-separated or repeated
    flag: bool = False  # on when given (env: any value but "" and "0")
    cli: bool = True  # also an option of ``mpconform run`` (which forwards it to pytest)
    metavar: str | None = None

    @property
    def key(self) -> str:
        return "mp_" + self.name.replace("-", "_")

    @property
    def pytest_flag(self) -> str:
        return f"--mp-{self.name}"

    @property
    def cli_flag(self) -> str:
        return f"--{self.name}"

    @property
    def env(self) -> str:
        return "MPCONFORM_" + self.name.replace("-", "_").upper()


OPTIONS: tuple[Option, ...] = (
    Option(
        "backend",
        "backend(s) to test: stdlib, dummy, billiard, multiprocess, an entry-point name or "
        "module:attr; comma-separated or repeated (default: stdlib)",
        many=True,
    ),
    Option(
        "start-method",
        "start method(s), comma-separated or repeated (default: every one the backend supports)",
        many=True,
    ),
    Option("profile", f"Hypothesis budget: one of {', '.join(profiles.PROFILES)} (default: ci)"),
    Option(
        "report-dir",
        "write results.json, report.md and report.html here",
        cli=False,  # mpconform run has --report and gives each of its jobs a folder of its own
        metavar="DIR",
    ),
    Option("timeout", "seconds per test before it ends as TIMEOUT (default: set by the profile)"),
    Option(
        "stress-seconds",
        "seconds each stress workload runs, from seconds (CI) to hours (default: by profile)",
    ),
    Option(
        "shard",
        "K/N: run only the K-th of N equal slices of the tests (CI sharding; merge the shards' "
        "results.json with 'mpconform report')",
        metavar="K/N",
    ),
    Option(
        "expectations",
        "expectation file: known failures and accepted outcomes, one test id per line",
        metavar="FILE",
    ),
    Option(
        "run-known-failures",
        "run tests the expectation file marks xfail instead of skipping them; a pass is "
        "reported as XPASS",
        flag=True,
    ),
    Option(
        "peer-python",
        "a Python on the other side of 3.12's handshake change, the interop properties' second "
        "peer (default: the nearest one on PATH or among pyenv's versions)",
        metavar="PYTHON",
    ),
)
BY_NAME = {option.name: option for option in OPTIONS}

#: Option name -> the values given for it, as text (a flag that is on: ["1"]).
Values = dict[str, list[str]]


def add_options(parser: pytest.Parser) -> None:
    """The plugin's options, from the table."""
    group = parser.getgroup("mpconform", "multiprocessing backend conformance")
    for option in OPTIONS:
        text = f"{option.help} [env {option.env}]"
        if option.flag:
            group.addoption(option.pytest_flag, dest=option.key, action="store_true", help=text)
        else:
            group.addoption(
                option.pytest_flag, dest=option.key, action="append", default=None, help=text
            )
        if not option.flag:
            parser.addini(option.key, help=option.help, default=None)


def add_cli_options(parser: argparse.ArgumentParser) -> None:
    """``mpconform run``'s share of the table (read back with :func:`from_namespace`)."""
    for option in OPTIONS:
        if not option.cli:
            continue
        text = f"{option.help} [env {option.env}]"
        if option.flag:
            parser.add_argument(option.cli_flag, dest=option.key, action="store_true", help=text)
            continue
        metavar = option.metavar or option.name.replace("-", "_").upper()
        parser.add_argument(
            option.cli_flag, dest=option.key, action="append", metavar=metavar, help=text
        )


def _given(option: Option, given: Any) -> list[str] | None:
    """A parsed command line's value as text values (None when not given)."""
    if option.flag:
        return ["1"] if given else None
    return list(given) if given else None


def _from_env(option: Option) -> list[str] | None:
    text = os.environ.get(option.env)
    if option.flag:
        return ["1"] if text not in (None, "", "0") else None
    return [text] if text else None


def from_pytest(config: pytest.Config) -> Values:
    """Each option's values: command line, else ini file, else environment."""
    found: Values = {}
    for option in OPTIONS:
        given = config.getoption(option.key)
        raw = _given(option, given)
        if raw is None and not option.flag:
            ini = config.getini(option.key)
            if ini:
                raw = [ini] if isinstance(ini, str) else list(ini)
        if raw is None:
            raw = _from_env(option)
        if raw:
            found[option.name] = raw
    return found


def from_namespace(args: argparse.Namespace) -> Values:
    """``mpconform run``'s values: its command line, else the environment (which its pytest
    processes read too)."""
    found: Values = {}
    for option in OPTIONS:
        if not option.cli:
            continue
        raw = _given(option, getattr(args, option.key, None)) or _from_env(option)
        if raw:
            found[option.name] = raw
    return found


def pytest_args(values: Values) -> list[str]:
    """The plugin's command-line arguments that carry ``values``."""
    out: list[str] = []
    for name, raw in values.items():
        option = BY_NAME[name]
        if option.flag:
            out.append(option.pytest_flag)
            continue
        for value in raw:
            out += [option.pytest_flag, value]
    return out


def split_list(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for value in values or []:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out


def _single(values: Values, name: str) -> str | None:
    found = split_list(values.get(name))
    if len(found) > 1:
        raise ConfigError(f"--{name} takes one value, got {', '.join(found)}")
    return found[0] if found else None


@dataclass(frozen=True)
class Settings:
    adapters: tuple[Adapter, ...]
    targets: tuple[Target, ...]
    profile: profiles.Profile
    timeout: float
    report_dir: str | None = None
    seed: Any | None = None
    expectations: Expectations | None = None
    run_known_failures: bool = False
    shard: tuple[int, int] | None = None
    # adapter name -> what the user wrote to get it (a module:attr for custom backends), so a
    # repro script can load the same backend again.
    specs: dict[str, str] = field(default_factory=dict)
    stress_seconds: float = 2.0
    #: The interop properties' peer across the handshake change, when the user named one.
    peer_python: peers.Interpreter | None = None


def settings(values: Values, seed: Any | None = None, activate: bool = True) -> Settings:
    """Every option checked, in one place, for the plugin and ``mpconform run`` alike: a bad
    value is one ConfigError line before anything runs. ``activate`` registers the profile
    with Hypothesis (the CLI only checks)."""
    names = split_list(values.get("backend")) or ["stdlib"]
    adapters: list[Adapter] = []
    specs: dict[str, str] = {}
    for name in dict.fromkeys(names):
        adapters.append(registry.resolve(name))
        specs[adapters[-1].name] = name
    methods = list(dict.fromkeys(split_list(values.get("start-method"))))
    targets = [
        Target(a, m, specs.get(a.name))
        for a in adapters
        for m in choose_start_methods(a, methods, adapters)
    ]
    name = _single(values, "profile") or "ci"
    seeded = seed is not None
    profile = profiles.activate(name, seeded=seeded) if activate else profiles.get(name)
    report_dir = _single(values, "report-dir")
    expectations_path = _single(values, "expectations")
    peer_python = _single(values, "peer-python")
    return Settings(
        adapters=tuple(adapters),
        targets=tuple(targets),
        profile=profile,
        timeout=_seconds(_single(values, "timeout"), "timeout", profile.timeout),
        report_dir=check_writable_dir(report_dir) if report_dir is not None else None,
        seed=seed,
        expectations=expectations.load(expectations_path) if expectations_path else None,
        run_known_failures=bool(values.get("run-known-failures")),
        shard=parse_shard(_single(values, "shard")),
        specs=specs,
        stress_seconds=_seconds(
            _single(values, "stress-seconds"), "stress-seconds", profile.stress_seconds
        ),
        peer_python=_peer(peer_python) if peer_python is not None else None,
    )


def _peer(path: str) -> peers.Interpreter:
    from . import peers  # imported (and its Python asked) only when the option is given

    return peers.named(path)


def resolve(config: pytest.Config) -> Settings:
    return settings(from_pytest(config), seed=config.getoption("hypothesis_seed", None))


def _seconds(text: str | None, name: str, default: float) -> float:
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"--{name} must be a number of seconds, not {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise ConfigError(f"--{name} must be a positive number of seconds")
    return value


def parse_shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    index, sep, count = text.partition("/")
    if sep and index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count):
        return int(index), int(count)
    raise ConfigError(f"--shard must look like K/N with 1 <= K <= N (e.g. 2/4), not {text!r}")


def choose_start_methods(
    adapter: Adapter, requested: list[str], adapters: Sequence[Adapter]
) -> list[str]:
    """The requested start methods this backend offers (all it offers if none requested).

    With several backends a method only some of them offer applies to those; a method that
    no chosen backend offers, or a backend left with none, is an error.
    """
    if not requested:
        return list(adapter.start_methods)
    for method in requested:
        if not any(method in a.start_methods for a in adapters):
            raise ConfigError(
                f"backend {adapter.name!r} has no start method {method!r}; "
                f"it offers: {', '.join(adapter.start_methods)}"
                if len(adapters) == 1
                else f"no chosen backend has start method {method!r}"
            )
    chosen = [m for m in requested if m in adapter.start_methods]
    if not chosen:
        raise ConfigError(
            f"backend {adapter.name!r} offers none of {', '.join(requested)}; "
            f"it offers: {', '.join(adapter.start_methods)}"
        )
    return chosen


def check_writable_dir(path: str) -> str:
    path = os.path.abspath(path)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"report directory {path!r} cannot be created: {exc.strerror}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(
            f"report directory {path!r} is not writable; choose another report directory"
        )
    return path
