"""Drift anchors: bring a calibration measured earlier to the host's speed *now*.

The default evaluation ranks samples against humans measured earlier (the calibration). A shared
host's speed drifts by several per cent between minutes (frequency, neighbours' cache and memory
traffic), and on this project's 2-core CI machine three `afterburner demo` runs with one
calibration scored Time% 35.2, 33.1 and 36.4: in the 33.1 run five of six languages scored lower
together, a drift of the host between calibration and evaluation, not of the code.

Full re-measurement of every human next to the samples (`--paired`) removes that drift at the cost
of all the humans' runs. An anchor costs one: for each sampled (problem, language), the calibrated
human solution in the middle of its group is run again in the same interleaved rounds as the
samples. Its ratio now / then, per metric, is the drift of that group; the median of the ratios of
one language's anchors is that language's drift (one anchor alone is as noisy as the drift it
corrects), and the language's calibrated time, CPU time and integral are scaled by it. Peak memory
does not move with host speed, so it is never rescaled (its ratio is still reported).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from afterburner_core import calibration, venus
from afterburner_core.litmus.humans import FIELDS, HumanDistribution
from afterburner_core.models import Limits, Problem, ProblemRunRequest, RunReport

RESCALED = ("time", "cpu", "integral")  # the quantities host speed moves; memory is not among them


@dataclass
class Anchor:
    """One calibrated human solution re-measured with the samples, and its calibrated values."""

    problem: Problem
    language: str
    job: venus.SolutionJob
    calibrated: dict[str, float]  # quantity ("time", "cpu", "memory", "integral") -> calibrated value

    def request(self, limits: Limits) -> ProblemRunRequest:
        return ProblemRunRequest(problem=self.problem, code=self.job.code, language=self.language, limits=limits)


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
        if job is not None:
            anchors.append(Anchor(problem, language, job, {q: float(middle[q]) for q in FIELDS}))
    return anchors


def _positive(value: object) -> bool:
    return isinstance(value, int | float) and value > 0


@dataclass
class Drift:
    """Per language, the factor (now / calibrated) each quantity's calibrated values are scaled by,
    and every anchor's own ratios (for the report's meta)."""

    factors: dict[str, dict[str, float]]
    ratios: list[dict[str, Any]]

    def meta(self) -> dict[str, Any]:
        return {"anchors": len(self.ratios), "factors": self.factors, "ratios": self.ratios}


def measure_drift(anchors: list[Anchor], reports: list[RunReport]) -> Drift:
    """The drift of each language from its anchors' reports (a failed anchor is left out)."""
    ratios = []
    by_language: dict[str, list[dict[str, float]]] = {}
    for anchor, report in zip(anchors, reports, strict=True):
        now = {q: getattr(report, field) for q, (_, field) in FIELDS.items()}
        if not report.passed or not all(_positive(v) for v in now.values()):
            continue
        ratio = {q: now[q] / anchor.calibrated[q] for q in FIELDS}
        by_language.setdefault(anchor.language, []).append(ratio)
        ratios.append({"problem_id": str(anchor.problem.problem_id), "language": anchor.language,
                       "solution": anchor.job.index, **{q: round(r, 4) for q, r in ratio.items()}})
    factors = {language: {q: round(statistics.median(r[q] for r in rows), 4) for q in FIELDS}
               for language, rows in sorted(by_language.items())}
    return Drift(factors, ratios)


def rescale(humans: HumanDistribution, drift: Drift) -> HumanDistribution:
    """A copy of `humans` with each language's time, CPU time and integral values (and their
    intervals) scaled by its drift factor; languages without anchors are left as they are."""
    scaled = HumanDistribution(source=dict(humans.source), calibration=humans.calibration)
    for key, values in humans.entries.items():
        factors = drift.factors.get(key[1], {})
        spans = humans.intervals.get(key, {})
        scaled.entries[key] = {}
        scaled.intervals[key] = {}
        for quantity, measured in values.items():
            factor = factors.get(quantity, 1.0) if quantity in RESCALED else 1.0
            scaled.entries[key][quantity] = [v * factor for v in measured]
            scaled.intervals[key][quantity] = [None if s is None else (s[0] * factor, s[1] * factor)
                                               for s in spans.get(quantity, [None] * len(measured))]
    return scaled


__all__ = ["RESCALED", "Anchor", "Drift", "choose_anchors", "measure_drift", "rescale"]
