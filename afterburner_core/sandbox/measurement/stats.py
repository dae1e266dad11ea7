"""Medians and distribution-free 95 % intervals over repeated measurements."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

AUTO_MIN_REPEATS = 6
AUTO_MAX_REPEATS = 30
AUTO_TARGET_HALF_WIDTH = 0.02  # repeat=auto stops when the time interval is within ±2 % of the median


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def median_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    """A 95 % confidence interval for the median from order statistics (binomial, no normality).

    For n < 6 no pair of order statistics reaches 95 % coverage, so the full range is returned
    (coverage 1 - 2^(1-n)) — honest rather than falsely tight.
    """
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        raise ValueError("no values")
    if n < 6:
        return float(ordered[0]), float(ordered[-1])
    # widest-first search for the tightest symmetric (j, n-1-j) pair with coverage >= confidence
    best = (0, n - 1)
    for j in range(n // 2):
        coverage = sum(math.comb(n, i) for i in range(j + 1, n - j)) / 2**n
        if coverage >= confidence:
            best = (j, n - 1 - j)
        else:
            break
    return float(ordered[best[0]]), float(ordered[best[1]])


def relative_half_width(values: Sequence[float]) -> float:
    lo, hi = median_interval(values)
    mid = median(values)
    return (hi - lo) / 2 / mid if mid > 0 else 0.0


def auto_repeat_done(times: Sequence[float]) -> bool:
    """The stopping rule of repeat=auto."""
    if len(times) >= AUTO_MAX_REPEATS:
        return True
    if len(times) < AUTO_MIN_REPEATS:
        return False
    return relative_half_width(times) <= AUTO_TARGET_HALF_WIDTH


METRIC_ROUNDING = {"time_ms": 4, "cpu_ms": 4, "memory_kb": 1, "integral_kb_ms": 2}


def summarise(runs: Sequence[object]) -> tuple[dict[str, float], dict[str, tuple[float, float]], int | None]:
    """Medians, 95 % intervals and the instruction count of repeated runs, as a report carries them.

    `runs` are anything with the report's metric attributes (an engine `Measurement`, a
    `RunReport`); a metric missing from a run is left out of that metric's values. The same code
    summarises the repeats of one request and the rounds of `sandbox.rounds`.
    """
    medians: dict[str, float] = {}
    intervals: dict[str, tuple[float, float]] = {}
    for name, digits in METRIC_ROUNDING.items():
        values = [float(v) for v in (getattr(run, name) for run in runs) if v is not None]
        if values:
            medians[name] = round(median(values), digits)
            lo, hi = median_interval(values)
            intervals[name] = (round(lo, 4), round(hi, 4))
    counts = [getattr(run, "instructions", None) for run in runs]
    known = [float(c) for c in counts if c is not None]
    instructions = int(median(known)) if counts and len(known) == len(counts) else None
    return medians, intervals, instructions
