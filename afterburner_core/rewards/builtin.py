"""The built-in rewards: ``afterburner`` (the paper's, fixed), ``percentile`` and ``speedup``.

Every one keeps the order GRPO needs on one problem: a faster passing candidate scores above a
slower passing one, which scores above a failing one, which scores above an unparsable completion
(no code found). All metrics are lower-is-better, in the report's units (ms, KiB, KiB·ms).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from afterburner_core.errors import AfterburnerError
from afterburner_core.litmus.percentile import NOISE_FLOOR, beyond
from afterburner_core.rewards.base import RewardInput, RewardOutput
from afterburner_core.rewards.extract import fenced_blocks

# The paper's pass-transition table, keyed by (baseline passed, candidate passed).
PASS_TRANSITION = {(False, False): -0.5, (True, True): 0.5, (False, True): 1.0, (True, False): -1.0}

_TAGGED = re.compile(r"\A\s*<thinking>.*?</thinking>\s*<solution>.*?</solution>\s*\Z", re.S)


def format_ok(text: str, require_tags: bool = True) -> bool:
    """The paper's format check (one ``<thinking>`` then one ``<solution>``, nothing around them),
    or, with ``require_tags=False``, exactly one fenced code block."""
    if not require_tags:
        return len(fenced_blocks(text)) == 1
    tags = ("<thinking>", "</thinking>", "<solution>", "</solution>")
    return all(text.count(tag) == 1 for tag in tags) and _TAGGED.match(text) is not None


class _Configurable:
    """`configure(**options)`: a copy with the options applied (unknown names refused)."""

    name: str

    def configure(self, **options: Any) -> Any:
        known = {f.name for f in dataclasses.fields(self)} - {"name"}  # type: ignore[arg-type]
        unknown = sorted(set(options) - known)
        if unknown:
            raise AfterburnerError(
                f"reward {self.name!r} has no option {', '.join(map(repr, unknown))} (options: {', '.join(sorted(known))})"
            )
        return dataclasses.replace(self, **options)  # type: ignore[type-var]


class _Gated(_Configurable):
    """Rewards with fixed scores for unparsable and failing candidates (`unparsable` < `failing`)."""

    unparsable: float
    failing: float

    def gate(self, item: RewardInput) -> RewardOutput | None:
        if not item.parsable:
            return RewardOutput(self.unparsable, {"passed": 0.0, "unparsable": 1.0})
        if not item.passed:
            return RewardOutput(self.failing, {"passed": 0.0, "unparsable": 0.0})
        return None

    def score(self, items: Sequence[RewardInput]) -> list[RewardOutput]:
        return [self.gate(item) or self.score_passing(item) for item in items]

    def score_passing(self, item: RewardInput) -> RewardOutput:
        """The score of a candidate that passed (subclasses define it)."""
        raise TypeError(f"{type(self).__name__} defines no score_passing")


@dataclass(frozen=True)
class AfterburnerReward(_Configurable):
    """The paper's GRPO reward (spec §3), with its unit bug fixed.

    ``R = w_improvement · imp + w_format · f − unparsable_penalty · [no code]`` where
    ``imp = r_pass + w_eff · tanh(g)``, ``r_pass`` is the pass-transition table (no baseline counts as
    a failed one) and the efficiency term is present only when the candidate passes:
    ``g = (B − X) / B`` on the objective, X the candidate's metric and B the baseline's, both from run
    reports in the same units (the original clipped milliseconds at 90, so its time gain was ~0).
    When the baseline failed (or is absent), B is the median of the human values if there are
    any, else there is no efficiency term (the original's bonus depended on how the baseline
    failed). ``g`` is not clipped, so faster always scores higher; ``tanh`` bounds the term.
    With the defaults a passing candidate always outscores a failing one, whatever the format.
    """

    name: str = "afterburner"
    # what `score_one` may put in `components` (loggers that need fixed keys read this)
    component_names: ClassVar[tuple[str, ...]] = (
        "pass",
        "passed",
        "gain",
        "efficiency",
        "improvement",
        "format",
        "unparsable",
    )
    w_improvement: float = 0.5
    w_eff: float = 0.5
    w_format: float = 0.2
    require_tags: bool = True
    unparsable_penalty: float = 0.1

    def wants_humans(self, item: RewardInput) -> bool:
        return item.passed and not item.baseline_passed

    def score_one(self, item: RewardInput) -> RewardOutput:
        passed = item.passed
        r_pass = PASS_TRANSITION[(item.baseline_passed, passed)]
        components: dict[str, float] = {"pass": r_pass, "passed": float(passed)}
        efficiency = 0.0
        if passed:
            x = item.value()
            b = item.baseline_value() if item.baseline_passed else item.human_median()
            if x is not None and b is not None and b > 0:
                gain = (b - x) / b
                efficiency = math.tanh(gain)
                components["gain"] = gain
        components["efficiency"] = efficiency
        improvement = r_pass + self.w_eff * efficiency
        fmt = float(format_ok(item.completion, self.require_tags))
        unparsable = 0.0 if item.parsable else 1.0
        components.update(improvement=improvement, format=fmt, unparsable=unparsable)
        total = self.w_improvement * improvement + self.w_format * fmt - self.unparsable_penalty * unparsable
        return RewardOutput(total, components)

    def score(self, items: Sequence[RewardInput]) -> list[RewardOutput]:
        return [self.score_one(item) for item in items]


@dataclass(frozen=True)
class PercentileReward(_Gated):
    """``passed × beyond-human percentile`` of the objective metric (what Litmus averages).

    The percentile is the expected fraction of this host's correct human solutions the candidate
    beats given the measurements' noise (at least ``noise``, relative; ties count half), so the
    reward moves smoothly with the candidate's speed instead of jumping at a threshold. With no human values to compare with the
    percentile is 0.5 (neutral), so such problems neither reward nor punish speed. Failing scores
    0, an unparsable completion −0.1 (so failing still ranks above unparsable). A passing candidate
    slower than every human also scores 0 unless ``pass_bonus`` (added to passing scores) is set.
    """

    name: str = "percentile"
    component_names: ClassVar[tuple[str, ...]] = ("passed", "unparsable", "humans", "percentile")
    noise: float = NOISE_FLOOR
    neutral: float = 0.5
    failing: float = 0.0
    unparsable: float = -0.1
    pass_bonus: float = 0.0

    def wants_humans(self, item: RewardInput) -> bool:
        return item.passed

    def score_passing(self, item: RewardInput) -> RewardOutput:
        value = item.value()
        humans = item.humans.get(item.objective) or []
        pct = beyond(value, humans, self.noise) if value is not None else None
        if pct is None:
            pct = self.neutral
        components = {"passed": 1.0, "unparsable": 0.0, "humans": float(len(humans)), "percentile": pct}
        return RewardOutput(self.pass_bonus + pct, components)


@dataclass(frozen=True)
class SpeedupReward(_Gated):
    """Log speed-up over the baseline measured in the same batch, so host drift cancels.

    ``l = clip(log(B / X), −clip, clip)`` on the objective; a passing candidate scores
    ``1 + tanh(l)`` ∈ (0, 2) (1 = as fast as the baseline), a failing one 0, an unparsable one −1.
    Without a passing baseline, B is the median human value when known, else l = 0.
    """

    name: str = "speedup"
    component_names: ClassVar[tuple[str, ...]] = ("passed", "unparsable", "log_ratio")
    clip: float = 3.0
    failing: float = 0.0
    unparsable: float = -1.0

    def wants_humans(self, item: RewardInput) -> bool:
        return item.passed and not item.baseline_passed

    def score_passing(self, item: RewardInput) -> RewardOutput:
        x = item.value()
        b = item.baseline_value() if item.baseline_passed else item.human_median()
        log_ratio = 0.0
        if x is not None and b is not None and b > 0:
            log_ratio = math.log(b / max(x, 1e-9))
        log_ratio = max(-self.clip, min(self.clip, log_ratio))
        return RewardOutput(1.0 + math.tanh(log_ratio), {"passed": 1.0, "unparsable": 0.0, "log_ratio": log_ratio})
