"""The "beyond-human" percentile: how many human solutions a sample beats, measured noise included.

The original counted a tie as a win without saying so (`bisect_left`), and any hard threshold
makes a score jump when a measurement crosses it: a sample whose nearest human is 3 % slower
scored 1 in one run and 0.5 in the next, and Litmus scores moved by 6-8 points run to run.

Here each comparison is the probability that the sample really is better than that human, given
how precisely both were measured: with d = ln(human / sample) and σ the combined relative noise
of the two measurements, p = Φ(d / σ). Exactly equal values give ½ (a tie counts half, as
before); a human a factor of two slower gives 1.0; and a measurement that moves by a few per
cent moves the score by a little, not by a step. Each measurement's relative noise is its 95 %
interval's half-width in log space / 1.96 (its repeats), but never below `NOISE_FLOOR` -- the
run-to-run drift of this host, which one run's repeats cannot see (`benchmarks/litmus_repro.py`
measures it). `beyond` is the mean of p over the humans.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import Enum

# Relative standard deviation between runs of the same program, minutes apart, on this project's
# machines: 2-5 % for CPU time of programs over 10 ms (more for shorter ones, whose intervals say
# so), under 1 % for memory. One floor for all metrics keeps "5 % apart" meaning the same thing.
NOISE_FLOOR = 0.05
# The floor of time and integral comparisons in a Litmus evaluation: the between-run noise of one
# program's median-of-3 CPU time on this project's 2-core shared host, measured as the scatter of
# paired humans against their calibration (0.10-0.18 in one evaluation). Within one run the
# repeats see less than that; a comparison sharper than the host can repeat ranks the same samples
# differently run to run (Time% 28.5 and 30.9 at a 5 % floor, paired humans and all). An
# evaluation raises it further when its own paired humans show a noisier host (litmus/pipeline.py).
SPEED_NOISE_FLOOR = 0.15
CERTAIN = 0.975  # p at which a comparison counts as settled (beyond / below every human)

Span = tuple[float, float]


class Standing(str, Enum):
    """Where a sample stands against the humans on one metric."""

    beyond = "beyond"  # better than every human, beyond the noise
    equal = "equal"  # within the human range
    below = "below"  # worse than every human, beyond the noise
    failed = "failed"  # did not pass


def relative_noise(value: float, interval: Span | None, floor: float = NOISE_FLOOR) -> float:
    """A measurement's relative standard deviation: from its 95 % interval, at least `floor`. An
    interval reaching down to zero (a program whose work is within the start-up noise subtracted
    from it) is judged by its upper half, not ignored."""
    if interval is None or value <= 0 or interval[1] < interval[0] or interval[1] <= 0:
        return floor
    if interval[0] <= 0:
        return max(floor, math.log(max(interval[1], value) / value) / 1.96)
    return max(floor, (math.log(interval[1]) - math.log(interval[0])) / (2 * 1.96))


def absolute_noise(value: float, interval: Span | None, floor: float = NOISE_FLOOR) -> float:
    """A measurement's standard deviation in its own unit: its interval's half-width / 1.96, at
    least `floor` of the value."""
    spread = (interval[1] - interval[0]) / (2 * 1.96) if interval is not None and interval[1] >= interval[0] else 0.0
    return max(floor * value, spread)


def beat_probability(
    value: float, human: float, interval: Span | None = None, span: Span | None = None, floor: float = NOISE_FLOOR
) -> float:
    """P(the sample, lower being better, is really better than this human).

    Compared as a ratio (log scale) when both are positive. A zero -- a process-per-test program
    whose work beyond start-up was within the start-up noise -- is compared on the linear scale
    with both measurements' spreads: a zero that could as well have been 3 ms does not beat a
    human at 2 ms for certain. Only two exact measurements (no spread) fall back to exact order.
    """
    if value <= 0 or human <= 0:
        sigma = math.hypot(absolute_noise(value, interval, floor), absolute_noise(human, span, floor))
        if sigma == 0:
            return 0.5 if value == human else (1.0 if value < human else 0.0)
        return 0.5 * math.erfc(-(human - value) / sigma / math.sqrt(2))
    sigma = math.hypot(relative_noise(value, interval, floor), relative_noise(human, span, floor))
    z = (math.log(human) - math.log(value)) / sigma
    return 0.5 * math.erfc(-z / math.sqrt(2))


def _probabilities(
    value: float,
    humans: Sequence[float],
    interval: Span | None,
    human_intervals: Sequence[Span | None] | None,
    floor: float,
) -> list[float]:
    spans: Sequence[Span | None] = human_intervals if human_intervals is not None else [None] * len(humans)
    if len(spans) != len(humans):
        raise ValueError("human_intervals must be parallel to humans")
    return [beat_probability(value, human, interval, span, floor) for human, span in zip(humans, spans, strict=True)]


def beyond(
    value: float,
    humans: Sequence[float],
    floor: float = NOISE_FLOOR,
    interval: Span | None = None,
    human_intervals: Sequence[Span | None] | None = None,
) -> float | None:
    """The expected fraction of human values this (lower-is-better) value beats (ties half).

    `interval` and `human_intervals` (parallel to `humans`, None where unknown) are the 95 %
    intervals of the measurements. Returns None when there is no human value to compare with (the
    original returned 0).
    """
    if not humans:
        return None
    return sum(_probabilities(value, humans, interval, human_intervals, floor)) / len(humans)


def standing(
    passed: bool,
    value: float | None,
    humans: Sequence[float],
    floor: float = NOISE_FLOOR,
    interval: Span | None = None,
    human_intervals: Sequence[Span | None] | None = None,
) -> Standing | None:
    """Beyond / Equal / Below / Failed, or None when there are no humans to compare with."""
    if not passed or value is None:
        return Standing.failed
    if not humans:
        return None
    probabilities = _probabilities(value, humans, interval, human_intervals, floor)
    if all(p >= CERTAIN for p in probabilities):
        return Standing.beyond
    if all(p <= 1 - CERTAIN for p in probabilities):
        return Standing.below
    return Standing.equal
