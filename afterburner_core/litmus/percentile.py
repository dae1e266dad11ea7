"""The "beyond-human" percentile, with ties handled explicitly.

The original counted a tie as a win without saying so (`bisect_left`). Here a human value counts
as *beaten* when it is worse than the sample's by more than the tie tolerance, as *tied* when
within it, and ties count half (mid-rank). Measured numbers always carry noise, so exact equality
is the wrong notion of a tie: the default tolerance is 2 % of the sample's value, the same
half-width `repeat=auto` aims for.

That fixed tolerance is narrower than a shared host's noise for short programs: two runs of one
20 ms C++ solution differ by 5-15 % here, so the fastest human solution, re-measured, "beat" or
"lost to" its own copy depending on the run. When both values come with their repeats' 95 %
intervals (`ci` of the reports, kept in the calibration), a human whose interval overlaps the
sample's also counts as a tie: the measurements cannot tell them apart. Single runs have no
interval and fall back to the tolerance alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

DEFAULT_TIE_TOLERANCE = 0.02

Span = tuple[float, float]


class Standing(str, Enum):
    """Where a sample stands against the humans on one metric."""

    beyond = "beyond"  # better than every human (beyond all ties)
    equal = "equal"  # within the human range
    below = "below"  # worse than every human
    failed = "failed"  # did not pass


def _ties(value: float, humans: Sequence[float], tolerance: float, interval: Span | None,
          human_intervals: Sequence[Span | None] | None) -> list[bool]:
    """Per human value: is it tied with `value` (within the tolerance, or overlapping intervals)?"""
    margin = abs(value) * tolerance
    spans: Sequence[Span | None] = human_intervals if human_intervals is not None else [None] * len(humans)
    if len(spans) != len(humans):
        raise ValueError("human_intervals must be parallel to humans")
    tied = []
    for human, span in zip(humans, spans, strict=True):
        overlap = interval is not None and span is not None and interval[0] <= span[1] and span[0] <= interval[1]
        tied.append(abs(human - value) <= margin or overlap)
    return tied


def beyond(value: float, humans: Sequence[float], tolerance: float = DEFAULT_TIE_TOLERANCE,
           interval: Span | None = None, human_intervals: Sequence[Span | None] | None = None) -> float | None:
    """Fraction of human values this (lower-is-better) value beats, ties counting half.

    `interval` and `human_intervals` (parallel to `humans`, None where unknown) are the 95 %
    intervals of the measurements; overlapping ones tie. Returns None when there is no human value
    to compare with (the original returned 0).
    """
    if not humans:
        return None
    tied = _ties(value, humans, tolerance, interval, human_intervals)
    beaten = sum(1 for human, tie in zip(humans, tied, strict=True) if not tie and human > value)
    return (beaten + 0.5 * sum(tied)) / len(humans)


def standing(passed: bool, value: float | None, humans: Sequence[float],
             tolerance: float = DEFAULT_TIE_TOLERANCE, interval: Span | None = None,
             human_intervals: Sequence[Span | None] | None = None) -> Standing | None:
    """Beyond / Equal / Below / Failed, or None when there are no humans to compare with."""
    if not passed or value is None:
        return Standing.failed
    if not humans:
        return None
    tied = _ties(value, humans, tolerance, interval, human_intervals)
    if all(not tie and human > value for human, tie in zip(humans, tied, strict=True)):
        return Standing.beyond
    if all(not tie and human < value for human, tie in zip(humans, tied, strict=True)):
        return Standing.below
    return Standing.equal
