"""The built-in rewards: afterburner (the paper's, unit bug fixed), percentile (against the humans)
and speedup (against the batch's baseline)."""

from __future__ import annotations

from afterburner_core.contracts import Reward
from afterburner_core.hookspecs import hookimpl
from afterburner_core.rewards.builtin import AfterburnerReward, PercentileReward, SpeedupReward


@hookimpl
def afterburner_rewards() -> list[Reward]:
    return [AfterburnerReward(), PercentileReward(), SpeedupReward()]
