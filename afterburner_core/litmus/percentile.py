"""The "beyond-human" percentile, with ties handled explicitly.

The original counted a tie as a win without saying so (`bisect_left`). Here a human value counts
as *beaten* when it is worse than the sample's by more than the tie tolerance, as *tied* when
within it, and ties count half (mid-rank). Measured numbers always carry noise, so exact equality
is the wrong notion of a tie: the default tolerance is 2 % of the sample's value, the same
half-width `repeat=auto` aims for.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

DEFAULT_TIE_TOLERANCE = 0.02


class Standing(str, Enum):
    """Where a sample stands against the humans on one metric."""

    beyond = "beyond"  # better than every human (beyond all ties)
    equal = "equal"  # within the human range
    below = "below"  # worse than every human
    failed = "failed"  # did not pass


def beyond(value: float, humans: Sequence[float], tolerance: float = DEFAULT_TIE_TOLERANCE) -> float | None:
    """Fraction of human values this (lower-is-better) value beats, ties counting half.

    Returns None when there is no human value to compare with (the original returned 0).
    """
    if not humans:
        return None
    margin = abs(value) * tolerance
    beaten = sum(1 for h in humans if h > value + margin)
    tied = sum(1 for h in humans if abs(h - value) <= margin)
    return (beaten + 0.5 * tied) / len(humans)


def standing(passed: bool, value: float | None, humans: Sequence[float],
             tolerance: float = DEFAULT_TIE_TOLERANCE) -> Standing | None:
    """Beyond / Equal / Below / Failed, or None when there are no humans to compare with."""
    if not passed or value is None:
        return Standing.failed
    if not humans:
        return None
    margin = abs(value) * tolerance
    if all(h > value + margin for h in humans):
        return Standing.beyond
    if all(h < value - margin for h in humans):
        return Standing.below
    return Standing.equal
