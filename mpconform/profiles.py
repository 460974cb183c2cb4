"""Hypothesis budgets per profile, scaled by what one example costs.

Process start-up dominates these properties (spawn is 50-100 ms), so a flat
``max_examples`` either wastes minutes or tests nothing. Each property declares its cost
class and the active profile decides the count. Profiles are applied per test through
:func:`budget` rather than by loading a global Hypothesis profile, so installing mpconform
never changes the settings of unrelated Hypothesis tests in the same environment.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, settings

from .errors import ConfigError


@dataclass(frozen=True)
class Profile:
    name: str
    examples: dict[str, int]  # cost class -> max_examples
    derandomize: bool
    use_database: bool
    timeout: float  # seconds per test before TIMEOUT
    description: str
    stress_seconds: float = 3.0  # how long each stress workload runs; < 1 s is a smoke


PROFILES: dict[str, Profile] = {
    "dev": Profile(
        name="dev",
        examples={"cheap": 25, "process": 4, "heavy": 2},
        derandomize=False,
        use_database=True,
        timeout=60.0,
        description="fast feedback",
        stress_seconds=0.5,
    ),
    "ci": Profile(
        name="ci",
        examples={"cheap": 20, "process": 3, "heavy": 2},
        derandomize=True,
        use_database=False,
        timeout=180.0,
        description="default; derandomized so every run tries the same examples; stress "
        "workloads as a smoke",
        stress_seconds=0.5,
    ),
    "thorough": Profile(
        name="thorough",
        examples={"cheap": 1000, "process": 120, "heavy": 40},
        derandomize=False,
        use_database=True,
        timeout=1800.0,
        description="nightly runs",
        stress_seconds=60.0,
    ),
}
COSTS = ("cheap", "process", "heavy")

_state = {"profile": "ci", "seeded": False}


def get(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigError(
            f"unknown profile {name!r}; choose one of: {', '.join(PROFILES)}"
        ) from None


def activate(name: str, *, seeded: bool = False) -> Profile:
    """Select the profile for tests collected from now on.

    ``seeded``: the user passed ``--hypothesis-seed``; derandomization would ignore it.
    """
    profile = get(name)
    _state["profile"] = name
    _state["seeded"] = seeded
    return profile


def active() -> Profile:
    return PROFILES[str(_state["profile"])]


def budget(cost: str) -> settings:
    """Hypothesis settings for a property whose examples cost ``cost`` (see COSTS)."""
    if cost not in COSTS:
        raise ValueError(f"cost must be one of {COSTS}, not {cost!r}")
    profile = active()
    kwargs: dict = {}
    if not profile.use_database:
        kwargs["database"] = None
    if cost != "cheap":
        # The explain phase replays a failing example a hundred times or more to say which
        # parts matter; at a process start per replay that is minutes per known difference.
        kwargs["phases"] = [p for p in Phase if p is not Phase.explain]
    return settings(
        max_examples=profile.examples[cost],
        deadline=None,
        derandomize=profile.derandomize and not _state["seeded"],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        **kwargs,
    )
