"""Options of the pytest plugin, each settable on the command line, in ini or by env var.

Precedence: command line, then ini file, then environment, then default. Resolution checks
everything up front and raises ConfigError, so a typo fails in a second with one line, not
after minutes of collection.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from . import expectations, profiles, registry
from .adapter import Adapter
from .errors import ConfigError
from .expectations import Expectations
from .target import Target

# (option name, ini/env key, help)
OPTIONS: tuple[tuple[str, str, str], ...] = (
    (
        "--mp-backend",
        "mp_backend",
        "backend(s) to test: stdlib, dummy, billiard, multiprocess, "
        "an entry-point name or module:attr; comma-separated or repeated (default: stdlib)",
    ),
    (
        "--mp-start-method",
        "mp_start_method",
        "start method(s), comma-separated (default: every one the backend supports)",
    ),
    (
        "--mp-profile",
        "mp_profile",
        "Hypothesis budget: dev, ci (default, derandomized) or thorough",
    ),
    ("--mp-report-dir", "mp_report_dir", "write results.json, report.md and report.html here"),
    (
        "--mp-timeout",
        "mp_timeout",
        "seconds per test before it ends as TIMEOUT (default: set by the profile)",
    ),
    (
        "--mp-stress-seconds",
        "mp_stress_seconds",
        "seconds each stress workload runs, from seconds (CI) to hours (default: by profile)",
    ),
    (
        "--mp-shard",
        "mp_shard",
        "K/N: run only the K-th of N equal slices of the tests (CI sharding; merge the "
        "shards' results.json with 'mpconform report')",
    ),
    (
        "--mp-expectations",
        "mp_expectations",
        "expectation file: known failures and accepted outcomes, one test id per line",
    ),
)


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("mpconform", "multiprocessing backend conformance")
    for flag, key, help_text in OPTIONS:
        env = "MPCONFORM_" + key[3:].upper()
        group.addoption(
            flag, dest=key, action="append", default=None, help=f"{help_text} [env {env}]"
        )
        parser.addini(key, help=help_text, default=None)
    group.addoption(
        "--mp-run-known-failures",
        dest="mp_run_known_failures",
        action="store_true",
        default=False,
        help="run tests the expectation file marks xfail instead of skipping them; a pass is "
        "reported as XPASS [env MPCONFORM_RUN_KNOWN_FAILURES=1]",
    )


def _raw(config: pytest.Config, key: str) -> list[str] | None:
    cli = config.getoption(key)
    if cli:
        return list(cli)
    ini = config.getini(key)
    if ini:
        return [ini] if isinstance(ini, str) else list(ini)
    env = os.environ.get("MPCONFORM_" + key[3:].upper())
    if env:
        return [env]
    return None


def split_list(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for value in values or []:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out


def _single(config: pytest.Config, key: str) -> str | None:
    values = split_list(_raw(config, key))
    if len(values) > 1:
        raise ConfigError(f"{key.replace('_', '-')} takes one value, got {', '.join(values)}")
    return values[0] if values else None


@dataclass(frozen=True)
class Settings:
    adapters: tuple[Adapter, ...]
    targets: tuple[Target, ...]
    profile: profiles.Profile
    timeout: float
    report_dir: str | None
    seed: Any | None
    expectations: Expectations | None = None
    run_known_failures: bool = False
    shard: tuple[int, int] | None = None
    # adapter name -> what the user wrote to get it (a module:attr for custom backends), so a
    # repro script can load the same backend again.
    specs: dict[str, str] = field(default_factory=dict)
    stress_seconds: float = 2.0


def resolve(config: pytest.Config) -> Settings:
    names = split_list(_raw(config, "mp_backend")) or ["stdlib"]
    adapters: list[Adapter] = []
    specs: dict[str, str] = {}
    for name in dict.fromkeys(names):
        adapters.append(registry.resolve(name))
        specs[adapters[-1].name] = name
    methods = list(dict.fromkeys(split_list(_raw(config, "mp_start_method"))))
    targets = [
        Target(a, m, specs.get(a.name))
        for a in adapters
        for m in choose_start_methods(a, methods, adapters)
    ]
    seed = config.getoption("hypothesis_seed", None)
    profile = profiles.activate(_single(config, "mp_profile") or "ci", seeded=seed is not None)
    timeout_text = _single(config, "mp_timeout")
    timeout = profile.timeout
    if timeout_text is not None:
        try:
            timeout = float(timeout_text)
        except ValueError:
            raise ConfigError(
                f"--mp-timeout must be a number of seconds, not {timeout_text!r}"
            ) from None
        if timeout <= 0:
            raise ConfigError("--mp-timeout must be positive")
    report_dir = _single(config, "mp_report_dir")
    if report_dir is not None:
        report_dir = check_writable_dir(report_dir)
    expectations_path = _single(config, "mp_expectations")
    known = expectations.load(expectations_path) if expectations_path is not None else None
    run_known = bool(config.getoption("mp_run_known_failures", False)) or os.environ.get(
        "MPCONFORM_RUN_KNOWN_FAILURES", ""
    ) not in ("", "0")
    shard = parse_shard(_single(config, "mp_shard"))
    stress_seconds = _positive(
        _single(config, "mp_stress_seconds"), "--mp-stress-seconds", profile.stress_seconds
    )
    return Settings(
        tuple(adapters),
        tuple(targets),
        profile,
        timeout,
        report_dir,
        seed,
        known,
        run_known,
        shard,
        specs,
        stress_seconds,
    )


def _positive(text: str | None, flag: str, default: float) -> float:
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{flag} must be a number of seconds, not {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise ConfigError(f"{flag} must be a positive number of seconds")
    return value


def parse_shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    index, sep, count = text.partition("/")
    if sep and index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count):
        return int(index), int(count)
    raise ConfigError(f"--mp-shard must look like K/N with 1 <= K <= N (e.g. 2/4), not {text!r}")


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
