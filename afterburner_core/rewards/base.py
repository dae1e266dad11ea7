"""The reward contract: what a reward sees (`RewardInput`), what it returns (`RewardOutput`), and
how rewards are found by name through the plugin manager (hook ``afterburner_rewards``).

Units are the report's: time in ms, memory in KiB, integral in KiB·ms. Human values are the same
metrics of the problem's correct human solutions measured on this host (`litmus.humans`).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from afterburner_core.errors import AfterburnerError
from afterburner_core.models import Problem, RunReport
from afterburner_core.objectives import OBJECTIVES, Objective, value_of


@dataclass
class RewardInput:
    """One completion to score, after execution.

    `code` is None when nothing could be extracted from the completion (unparsable); `report` is
    then None too. `baseline` is the report of the code being improved (None: no baseline, which
    counts as a failed one). `humans` maps a metric (time / memory / integral) to the values of the
    problem's correct human solutions; it is empty when the reward did not ask for them or there
    are none.
    """

    problem: Problem
    language: str
    objective: Objective
    completion: str
    code: str | None
    report: RunReport | None
    baseline: RunReport | None = None
    humans: dict[str, list[float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise AfterburnerError(f"unknown objective {self.objective!r} (one of: {', '.join(OBJECTIVES)})")

    @property
    def parsable(self) -> bool:
        return self.code is not None

    @property
    def passed(self) -> bool:
        return self.report is not None and self.report.passed

    @property
    def baseline_passed(self) -> bool:
        return self.baseline is not None and self.baseline.passed

    def value(self) -> float | None:
        """The candidate's objective metric (None unless it passed and was measured)."""
        return metric_of(self.report, self.objective) if self.passed else None

    def baseline_value(self) -> float | None:
        return metric_of(self.baseline, self.objective) if self.baseline_passed else None

    def human_median(self) -> float | None:
        values = self.humans.get(self.objective) or []
        return float(statistics.median(values)) if values else None


@dataclass
class RewardOutput:
    """A score: `total` is what the trainer optimises, `components` its named parts (for logging)."""

    total: float
    components: dict[str, float] = field(default_factory=dict)


@runtime_checkable
class Reward(Protocol):
    """What a reward plugin returns from ``afterburner_rewards``.

    Optional: ``wants_humans(item) -> bool`` (or a ``needs_humans`` bool attribute) tells the TRL
    adapter to look up the human distribution for that item before scoring; ``configure(**options)``
    returns a reward configured with options (else the object itself is used, options refused);
    ``component_names`` (a tuple) lists every key ``components`` may hold, so loggers that need the
    same keys for every sample (verl, OpenRLHF) can log them all.
    """

    name: str

    def score(self, items: Sequence[RewardInput]) -> list[RewardOutput]: ...


metric_of = value_of  # the name rewards have used; objectives.value_of is the one definition


def wants_humans(reward: Any, item: RewardInput) -> bool:
    hook = getattr(reward, "wants_humans", None)
    if callable(hook):
        return bool(hook(item))
    return bool(getattr(reward, "needs_humans", False))


def installed_rewards() -> dict[str, Any]:
    """Every reward the installed plugins provide, by name. On a name clash the first one seen wins,
    which is the plugin registered *last* (pluggy calls the last registered first)."""
    from afterburner_core.plugins import get_manager

    found: dict[str, Any] = {}
    for rewards in get_manager().hook.afterburner_rewards():
        for reward in rewards or []:
            found.setdefault(str(reward.name), reward)
    return found


def get_reward(name: str, **options: Any) -> Reward:
    """A reward by name (built-in or from a plugin), configured with `options`."""
    rewards = installed_rewards()
    if name not in rewards:
        raise AfterburnerError(f"unknown reward {name!r} (installed: {', '.join(sorted(rewards)) or 'none'})")
    reward = rewards[name]
    configure = getattr(reward, "configure", None)
    if callable(configure):
        return configure(**options)
    if isinstance(reward, type):  # a class: options go to its constructor
        return reward(**options)
    if options:
        raise AfterburnerError(f"reward {name!r} takes no options (got: {', '.join(sorted(options))})")
    return reward
