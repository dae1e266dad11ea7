"""Statistics and windowed integrals (pure functions)."""

from __future__ import annotations

import random

from afterburner_core.sandbox.measurement import stats
from afterburner_core.sandbox.measurement.analysis import windowed_integral


def test_median_interval_covers_the_median_and_tightens_with_n() -> None:
    rng = random.Random(1)
    small = [rng.gauss(100, 5) for _ in range(10)]
    large = [rng.gauss(100, 5) for _ in range(200)]
    for values in (small, large):
        lo, hi = stats.median_interval(values)
        assert lo <= stats.median(values) <= hi
    assert (stats.median_interval(large)[1] - stats.median_interval(large)[0]) < (
        stats.median_interval(small)[1] - stats.median_interval(small)[0]
    )


def test_median_interval_coverage_is_about_95_percent() -> None:
    rng = random.Random(7)
    hits = 0
    trials = 2000
    for _ in range(trials):
        values = [rng.expovariate(1.0) for _ in range(15)]
        lo, hi = stats.median_interval(values)
        hits += lo <= 0.6931 <= hi  # the true median of Exp(1) is ln 2
    assert 0.93 <= hits / trials <= 0.995


def test_small_samples_use_the_full_range() -> None:
    assert stats.median_interval([3.0, 1.0, 2.0]) == (1.0, 3.0)


def test_auto_repeat_rule() -> None:
    assert not stats.auto_repeat_done([100.0] * 5)
    assert stats.auto_repeat_done([100.0] * 6)
    noisy = [100.0, 150.0, 80.0, 120.0, 60.0, 140.0]
    assert not stats.auto_repeat_done(noisy)
    assert stats.auto_repeat_done(noisy * 5)  # the cap


def test_windowed_integral_is_an_area() -> None:
    # constant 1000 KiB sampled every 1 ms for 100 ms; windows [10, 20) and [50, 80) ms
    samples = [(t * 1_000_000, 1000) for t in range(101)]
    area, inside = windowed_integral(samples, [(10_000_000, 20_000_000), (50_000_000, 80_000_000)])
    assert abs(area - 1000 * 40) < 1e-6
    assert inside == 40


def test_windowed_integral_follows_a_step() -> None:
    samples = [(0, 100), (10_000_000, 300), (20_000_000, 300)]
    area, _ = windowed_integral(samples, [(5_000_000, 15_000_000)])
    assert abs(area - (100 * 5 + 300 * 5)) < 1e-6
