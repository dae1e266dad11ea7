"""Rewards: score executed completions (the paper's reward, fixed; a human-percentile reward; a
same-batch speed-up reward; and any plugin's), usable directly as TRL GRPO reward functions."""

from afterburner_core.rewards.base import (
    OBJECTIVES,
    Reward,
    RewardInput,
    RewardOutput,
    get_reward,
    installed_rewards,
    metric_of,
)
from afterburner_core.rewards.extract import completion_text, extract_code

__all__ = [
    "OBJECTIVES", "Reward", "RewardInput", "RewardOutput", "completion_text", "extract_code", "get_reward",
    "installed_rewards", "metric_of",
]
