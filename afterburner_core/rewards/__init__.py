"""Rewards: score executed completions (the paper's reward, fixed; a human-percentile reward; a
same-batch speed-up reward; and any plugin's), usable directly as TRL GRPO reward functions
(`rewards.trl`), as verl custom reward functions (`rewards.verl`) and behind OpenRLHF's remote
reward (`rewards.openrlhf`), all through one engine (`ExecutionReward`)."""

from afterburner_core.rewards.base import (
    OBJECTIVES,
    Reward,
    RewardInput,
    RewardOutput,
    get_reward,
    installed_rewards,
    metric_of,
)
from afterburner_core.rewards.execution import ExecutionReward, RewardTask, ScoredCompletion
from afterburner_core.rewards.extract import completion_text, extract_code
from afterburner_core.rewards.labels import RewardLabel, parse_label

__all__ = [
    "OBJECTIVES",
    "ExecutionReward",
    "Reward",
    "RewardInput",
    "RewardLabel",
    "RewardOutput",
    "RewardTask",
    "ScoredCompletion",
    "completion_text",
    "extract_code",
    "get_reward",
    "installed_rewards",
    "metric_of",
    "parse_label",
]
