"""Drift anchors: bring a calibration measured earlier to the host's speed *now*.

The default evaluation ranks samples against humans measured earlier (the calibration). A shared
host's speed drifts by several per cent between minutes (frequency, neighbours' cache and memory
traffic), and on this project's 2-core CI machine three `afterburner demo` runs with one
calibration scored Time% 35.2, 33.1 and 36.4: in the 33.1 run five of six languages scored lower
together, a drift of the host between calibration and evaluation, not of the code.

Full re-measurement of every human next to the samples (`--paired`) removes that drift at the cost
of all the humans' runs. An anchor costs one run per sampled (problem, language): the calibrated
human solution in the middle of that group is run again in the same interleaved rounds as the
samples. The median ratio
now / then over the anchors of one measurement mode (a process per test: C++, Go, Rust; a harness:
Java, JavaScript, Python) is that mode's drift, and the calibrated time, CPU time and integral of
its languages are scaled by it. Peak memory does not move with host speed, so it is never rescaled
(its ratio is still reported).

The anchors' scatter around that median also says how far apart two measurements of one program,
minutes apart, are on this host *today*: on the 2-core CI machine 10-16 % (median of 3 rounds),
not the 5 % `NOISE_FLOOR` assumes. The evaluation uses it as the comparisons' noise floor
(litmus/pipeline.py), so a sample is not ranked above a human by a difference the host makes on
its own.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from afterburner_core import calibration, venus
from afterburner_core.litmus.humans import FIELDS, HumanDistribution
from afterburner_core.models import Limits, Problem, ProblemRunRequest, RunReport
from afterburner_core.plugins import get_registry

RESCALED = ("time", "cpu", "integral")  # the quantities host speed moves; memory is not among them
MAD_TO_SIGMA = 1.4826  # median absolute deviation -> standard deviation of a normal distribution


@dataclass
class Anchor:
    """One calibrated human solution re-measured with the samples, and its calibrated values."""

    problem: Problem
    language: str
    job: venus.SolutionJob
    calibrated: dict[str, float]  # quantity ("time", "cpu", "memory", "integral") -> calibrated value
    mode: str = "process"  # how its language is measured: "process" per test, or in a "harness"

    def request(self, limits: Limits, repeat: int | str = 1) -> ProblemRunRequest:
        return ProblemRunRequest(
            problem=self.problem, code=self.job.code, language=self.language, limits=limits, repeat=repeat
        )


def choose_anchors(dataset: str, groups: Iterable[tuple[Problem, str]]) -> list[Anchor]:
    """The anchor of each (problem, language) that the calibration holds: its passed human
    solution with the median calibrated CPU time (a typical program of the group, not an outlier).
    Groups the calibration does not cover get none."""
    document = calibration.load_calibration(dataset)
    anchors = []
    for problem, language in groups:
        entries = calibration.entries_for(document, problem, language) or []
        usable = [e for e in entries if e.get("passed") and all(_positive(e.get(q)) for q in FIELDS)]
        if not usable:
            continue
        usable.sort(key=lambda e: (float(e["cpu"]), int(e.get("index", 0))))
        middle = usable[(len(usable) - 1) // 2]
        jobs = {job.index: job for job in venus.solution_jobs([problem], [language], only_correct=True)}
        job = jobs.get(int(middle.get("index", -1)))
        anchor = calibrated_anchor(problem, language, job, middle) if job is not None else None
        if anchor is not None:
            anchors.append(anchor)
    return anchors


def calibrated_anchor(problem: Problem, language: str, job: venus.SolutionJob, entry: dict) -> Anchor | None:
    """A calibrated human solution as an anchor: its calibration entry's values and its language's
    measurement mode. None unless every value is positive (a ratio to zero says nothing)."""
    if not all(_positive(entry.get(q)) for q in FIELDS):
        return None
    mode = get_registry().resolve_language(language).test_mode
    return Anchor(problem, language, job, {q: float(entry[q]) for q in FIELDS}, mode)


def _positive(value: object) -> bool:
    return isinstance(value, int | float) and value > 0


@dataclass
class Drift:
    """Per measurement mode, the factor (now / calibrated) each quantity's calibrated values are
    scaled by; the relative noise of one measurement taken now against one from the calibration
    (from the anchors' scatter); every anchor's ratios and each language's median (for the meta)."""

    factors: dict[str, dict[str, float]]  # mode -> quantity -> factor
    modes: dict[str, str]  # language -> mode, for the languages anchored
    noise: float | None
    ratios: list[dict[str, Any]]
    by_language: dict[str, dict[str, float]]

    def factor(self, language: str, quantity: str) -> float:
        mode = self.modes.get(language)
        return self.factors.get(mode, {}).get(quantity, 1.0) if mode else 1.0

    def meta(self) -> dict[str, Any]:
        return {
            "anchors": len(self.ratios),
            "factors": self.factors,
            "noise": self.noise,
            "by_language": self.by_language,
            "ratios": self.ratios,
        }


def measure_drift(anchors: list[Anchor], reports: list[RunReport]) -> Drift:
    """The host's drift from the anchors' reports (a failed anchor is left out).

    One factor per measurement mode: the median ratio over the anchors of every language measured
    that way. Programs run as a process per test carry each test's start-up (exec, loading, exit),
    which drifts with the host's memory and kernel state; programs timed inside a harness do not.
    Measured here, the two drifted apart (one run: C++, Go, Rust 1.32-1.47; Java, JavaScript,
    Python 1.00-1.07), while languages of one mode drifted alike within the anchors' own scatter --
    and the median of one language's three anchors is as noisy as the drift it would correct.
    The noise is the robust spread of the anchors' log ratios around their mode's median, divided
    by sqrt(2) since each ratio is two measurements.
    """
    ratios = []
    rows: dict[str, list[dict[str, float]]] = {}
    by_language: dict[str, list[dict[str, float]]] = {}
    modes: dict[str, str] = {}
    for anchor, report in zip(anchors, reports, strict=True):
        now = {q: getattr(report, field) for q, (_, field) in FIELDS.items()}
        if not report.passed or not all(_positive(v) for v in now.values()):
            continue
        ratio = {q: now[q] / anchor.calibrated[q] for q in FIELDS}
        rows.setdefault(anchor.mode, []).append(ratio)
        by_language.setdefault(anchor.language, []).append(ratio)
        modes[anchor.language] = anchor.mode
        ratios.append(
            {
                "problem_id": str(anchor.problem.problem_id),
                "language": anchor.language,
                "mode": anchor.mode,
                "solution": anchor.job.index,
                **{q: round(r, 4) for q, r in ratio.items()},
            }
        )
    factors = {
        mode: {q: round(statistics.median(r[q] for r in found), 4) for q in FIELDS}
        for mode, found in sorted(rows.items())
    }
    logs = [math.log(r["cpu"] / factors[mode]["cpu"]) for mode, found in rows.items() for r in found]
    noise = round(MAD_TO_SIGMA * statistics.median(abs(v) for v in logs) / math.sqrt(2), 4) if len(logs) >= 3 else None
    medians = {
        language: {q: round(statistics.median(r[q] for r in found), 4) for q in FIELDS}
        for language, found in sorted(by_language.items())
    }
    return Drift(factors, modes, noise, ratios, medians)


def rescale(humans: HumanDistribution, drift: Drift) -> HumanDistribution:
    """A copy of `humans` with time, CPU time and integral values (and their intervals) scaled by
    the drift of their language's measurement mode; memory, and languages without anchors, as they
    were."""
    scaled = HumanDistribution(source=dict(humans.source), calibration=humans.calibration)
    for key, values in humans.entries.items():
        spans = humans.intervals.get(key, {})
        scaled.entries[key] = {}
        scaled.intervals[key] = {}
        for quantity, measured in values.items():
            factor = drift.factor(key[1], quantity) if quantity in RESCALED else 1.0
            scaled.entries[key][quantity] = [v * factor for v in measured]
            scaled.intervals[key][quantity] = [
                None if s is None else (s[0] * factor, s[1] * factor)
                for s in spans.get(quantity, [None] * len(measured))
            ]
    return scaled


__all__ = [
    "MAD_TO_SIGMA",
    "RESCALED",
    "Anchor",
    "Drift",
    "calibrated_anchor",
    "choose_anchors",
    "measure_drift",
    "rescale",
]
