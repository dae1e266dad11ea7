"""Rewards by name: the reward contract (`RewardInput`, `RewardOutput`, `Reward`, defined with the
other plugin contracts in `afterburner_core.contracts`) and the lookup through the registry (hook
``afterburner_rewards``).

Units are the report's: time in ms, memory in KiB, integral in KiB·ms. Human values are the same
metrics of the problem's correct human solutions measured on this host (`litmus.humans`).
"""

from __future__ import annotations

from typing import Any

from afterburner_core.contracts import Reward, RewardInput, RewardOutput
from afterburner_core.errors import AfterburnerError
from afterburner_core.objectives import OBJECTIVES, value_of
from afterburner_core.plugins import get_registry
from afterburner_core.registry import Registry

metric_of = value_of  # the name rewards have used; objectives.value_of is the one definition


def wants_humans(reward: Any, item: RewardInput) -> bool:
    hook = getattr(reward, "wants_humans", None)
    if callable(hook):
        return bool(hook(item))
    return bool(getattr(reward, "needs_humans", False))


def installed_rewards(registry: Registry | None = None) -> dict[str, Reward]:
    """Every reward the installed plugins provide, by name (two plugins giving one name is an
    error when the registry is built)."""
    return (registry or get_registry()).rewards.as_dict()


def get_reward(name: str, *, registry: Registry | None = None, **options: Any) -> Reward:
    """A reward by name (built-in or from a plugin), configured with `options`."""
    reward: Any = (registry or get_registry()).rewards.require(name)
    configure = getattr(reward, "configure", None)
    if callable(configure):
        return configure(**options)
    if isinstance(reward, type):  # a class: options go to its constructor
        return reward(**options)
    if options:
        raise AfterburnerError(f"reward {name!r} takes no options (got: {', '.join(sorted(options))})")
    return reward


__all__ = [
    "OBJECTIVES",
    "Reward",
    "RewardInput",
    "RewardOutput",
    "get_reward",
    "installed_rewards",
    "metric_of",
    "wants_humans",
]
