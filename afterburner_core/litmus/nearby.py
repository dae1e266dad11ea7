"""Paired where it matters (the default evaluation): each sample is measured in the same interleaved
rounds as the human solutions that could rank either side of it; the rest come from the calibration.

Why. Ranking samples against a calibration measured earlier makes every score depend on how the
host ran *then*: on this project's 2-core machine, calibrated human solutions re-measured an hour
later ran at 0.55-1.41 times their calibrated CPU time (one run, 18 anchors), and the drift
anchors that corrected for it (litmus/drift.py) left three `afterburner demo` runs 2.0-3.1 Time%
points apart. A calibration error in one direction moves every sample near a human the same way,
so it does not average out. Measuring the humans beside the samples (`--pairing all`) removes
it, at the cost of every human's runs (the demo: 10+ minutes instead of 3).

Most of those runs decide nothing. A comparison is uncertain only where the two values are close:
with both measured to 5 %, a human 1.5x slower than the sample is beaten with p > 0.9999 whatever
the host did. So:

1. **Screen.** Each sample runs once (samples that fail are done: a failure is a failure).
2. **Choose.** A calibrated human is *near* when its calibrated value is within `NEAR_FACTOR` (3x,
   either way) of a passing sample of its (problem, language) on the time basis or the integral:
   wide enough to cover the calibration's staleness (up to 1.8x seen) and the screen's noise.
3. **Pair.** The passing samples and the near humans are measured together in `rounds` interleaved
   rounds. Groups the calibration does not hold have every correct human paired, and those
   measurements become the calibration (the first run on a host measures each human once, not
   twice).
4. **The far humans** keep their calibrated values, scaled by the drift the paired humans show
   (now / calibrated, median per measurement mode: litmus/drift.py) and given the scatter of those
   ratios as their noise: far from every sample, they decide nothing either way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from afterburner_core import calibration, venus
from afterburner_core.litmus.drift import RESCALED, Drift, calibrated_anchor, measure_drift
from afterburner_core.litmus.humans import FIELDS, QUANTITY_FIELD, HumanDistribution
from afterburner_core.models import Limits, Problem, ProblemRunRequest, RunReport
from afterburner_core.plugins import get_registry
from afterburner_core.sandbox.scheduling.rounds import run_together

NEAR_FACTOR = 3.0  # a calibrated human within this factor of a passing sample is re-measured with it
STALE_NOISE = 0.3  # relative noise of a calibrated value when no paired human says how stale it is
TINY = 1e-3  # values below this (ms, KiB·ms) compare as this: a zero is no infinitely better than 0.001
PAIRED_SOURCE = "paired"
CALIBRATED_SOURCE = "calibration"

# stage name, done, total
Progress = Callable[[str, int, int], None]


@dataclass
class _Group:
    """One sampled (problem, language): its samples, its correct human solutions and what the
    calibration holds for them (None: not calibrated for this content)."""

    problem: Problem
    language: str
    samples: list[int] = field(default_factory=list)
    jobs: list[venus.SolutionJob] = field(default_factory=list)
    calibrated: dict[int, dict[str, Any]] | None = None  # solution index -> passed calibration entry


@dataclass
class Nearby:
    """What a near-paired measurement produced: the humans to score against, the samples' reports
    (in sample order), the drift of the calibrated humans, and the meta that says how."""

    humans: HumanDistribution
    reports: list[RunReport]
    drift: Drift | None
    meta: dict[str, Any]


def measure_nearby(
    samples: Sequence[Any],
    problems: dict[str, Problem],
    dataset: str,
    sandbox: Any,
    rounds: int,
    limits: Limits,
    time_quantity: str = "cpu",
    progress: Progress | None = None,
) -> Nearby:
    """Samples (litmus `Sample`s; `problems` maps their problem_id to the problem) measured beside
    the humans near them, in `rounds` interleaved rounds (see the module)."""
    report = progress or (lambda stage, done, total: None)
    document = calibration.load_calibration(dataset)
    groups = _groups(samples, problems, document)
    group_of = {index: group for group in groups.values() for index in group.samples}
    finished: dict[int, RunReport] = {}  # sample index -> its final report

    # 1. screen the samples of calibrated groups (the others pair with every human anyway)
    screened = [i for g in groups.values() if g.calibrated is not None for i in g.samples]
    first = run_together(
        sandbox,
        [_request(samples[i].code, group_of[i], limits) for i in screened],
        1,
        lambda done, total: report("samples: first run", done, total),
    )
    screen = dict(zip(screened, first, strict=True))
    finished.update({i: r for i, r in screen.items() if not r.passed})

    # 2. choose the humans near a passing sample; 3. pair them with the samples still standing
    standing = [i for i in range(len(samples)) if i not in finished]
    chosen: list[tuple[_Group, venus.SolutionJob]] = []
    for group in groups.values():
        passing = [screen[i] for i in group.samples if i in screen and screen[i].passed]
        for job in group.jobs:
            if group.calibrated is None or _near(group.calibrated.get(job.index), passing, time_quantity):
                chosen.append((group, job))
    requests = [_request(samples[i].code, group_of[i], limits) for i in standing]
    requests += [_request(job.code, group, limits) for group, job in chosen]
    measured = run_together(
        sandbox, requests, rounds, lambda done, total: report("samples and nearby humans", done, total)
    )
    finished.update(zip(standing, measured[: len(standing)], strict=True))
    human_reports = measured[len(standing) :]

    # 4. the distribution: paired humans as measured, far ones from the calibration
    humans, drift = _distribution(groups, chosen, human_reports)
    fresh = [(job, r) for (group, job), r in zip(chosen, human_reports, strict=True) if group.calibrated is None]
    if fresh:
        calibration.merge_calibration(dataset, [job for job, _ in fresh], [r for _, r in fresh], rounds)
        document = calibration.load_calibration(dataset)
    humans.calibration = calibration.describe(
        document,
        calibration.calibration_path(dataset),
        {(str(g.problem.problem_id), g.language) for g in groups.values()},
    )
    paired = len(chosen) - len(fresh)
    meta = {
        "near_factor": NEAR_FACTOR,
        "humans_paired": paired,
        "humans_from_calibration": sum(len(g.calibrated or {}) for g in groups.values()) - paired,
        "humans_calibrated_now": len(fresh),
        "screened_samples": len(screened),
    }
    return Nearby(humans, [finished[i] for i in range(len(samples))], drift, meta)


def _groups(
    samples: Sequence[Any], problems: dict[str, Problem], document: dict | None
) -> dict[tuple[str, str], _Group]:
    registry = get_registry()
    groups: dict[tuple[str, str], _Group] = {}
    for index, sample in enumerate(samples):
        problem = problems[str(sample.problem_id)]
        key = (str(problem.problem_id), registry.resolve_language(sample.language).key)
        if key not in groups:
            group = groups[key] = _Group(problem, key[1])
            group.jobs = venus.solution_jobs([problem], [key[1]], only_correct=True)
            entries = calibration.entries_for(document, problem, key[1])
            if entries is not None:
                group.calibrated = {int(e.get("index", -1)): e for e in entries if e.get("passed") and _usable(e)}
        groups[key].samples.append(index)
    return groups


def _usable(entry: dict[str, Any]) -> bool:
    return all(isinstance(entry.get(q), int | float) and entry[q] >= 0 for q in FIELDS)


def _request(code: str, group: _Group, limits: Limits) -> ProblemRunRequest:
    return ProblemRunRequest(problem=group.problem, code=code, language=group.language, limits=limits)


def _near(entry: dict[str, Any] | None, samples: Sequence[RunReport], time_quantity: str) -> bool:
    """Whether a calibrated human is close enough to a passing sample, on the time basis or the
    integral, for the comparison to be in doubt (a human the calibration lacks: not comparable)."""
    if entry is None:
        return False
    reach = math.log(NEAR_FACTOR)
    for sample in samples:
        for quantity in (time_quantity, "integral"):
            value = getattr(sample, QUANTITY_FIELD[quantity])
            if value is not None and abs(math.log(max(float(entry[quantity]), TINY) / max(value, TINY))) <= reach:
                return True
    return False


def _distribution(
    groups: dict[tuple[str, str], _Group],
    human_slots: Sequence[tuple[_Group, venus.SolutionJob]],
    human_reports: Sequence[RunReport],
) -> tuple[HumanDistribution, Drift | None]:
    """Paired humans as measured; the others from the calibration, scaled by the paired humans'
    drift and carrying its scatter (STALE_NOISE where nothing was paired) as their noise."""
    anchors, anchor_reports = [], []
    for (group, job), measured in zip(human_slots, human_reports, strict=True):
        entry = (group.calibrated or {}).get(job.index)
        anchor = calibrated_anchor(group.problem, group.language, job, entry) if entry is not None else None
        if anchor is not None:
            anchors.append(anchor)
            anchor_reports.append(measured)
    drift = measure_drift(anchors, anchor_reports) if anchors else None
    noise = drift.noise if drift and drift.noise else STALE_NOISE
    humans = HumanDistribution()
    paired = {(id(group), job.index) for group, job in human_slots}
    for (group, _job), measured in zip(human_slots, human_reports, strict=True):
        humans.add(group.problem.problem_id, group.language, measured, PAIRED_SOURCE)
    for group in groups.values():
        for index, entry in sorted((group.calibrated or {}).items()):
            if (id(group), index) in paired:
                continue
            values = {}
            for quantity in FIELDS:
                factor = drift.factor(group.language, quantity) if drift and quantity in RESCALED else 1.0
                value = float(entry[quantity]) * factor
                spread = math.exp(1.96 * noise) if quantity in RESCALED else None
                values[quantity] = (value, (value / spread, value * spread) if spread else _stored(entry, quantity))
            humans.add_values(group.problem.problem_id, group.language, values, CALIBRATED_SOURCE)
    return humans, drift


def _stored(entry: dict[str, Any], quantity: str) -> object:
    stored = entry.get("ci")
    return stored.get(QUANTITY_FIELD[quantity]) if isinstance(stored, dict) else None


__all__ = ["CALIBRATED_SOURCE", "NEAR_FACTOR", "PAIRED_SOURCE", "Nearby", "measure_nearby"]
