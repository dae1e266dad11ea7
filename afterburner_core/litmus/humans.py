"""The human distribution: measured metrics of each problem's correct human solutions, on this host.

Taken from this host's calibration (`afterburner dataset calibrate`) when it measured exactly the
problem in hand (`afterburner_core.calibration`: keyed by content); otherwise the solutions are
measured now, in the same run as the samples they will be compared with, and written into the
calibration so the next run reuses them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from afterburner_core import calibration, venus
from afterburner_core.litmus.percentile import Span
from afterburner_core.models import Limits, Problem, RunReport
from afterburner_core.objectives import OBJECTIVES, REPORT_FIELD
from afterburner_core.sandbox.api import Sandbox

METRICS = OBJECTIVES
# every measured quantity: its key in a calibration entry and its report field (the objectives,
# and "cpu": the program's CPU time, which Litmus ranks time by: see litmus/evaluate.py)
FIELDS = {**{name: (name, REPORT_FIELD[name]) for name in OBJECTIVES}, "cpu": ("cpu", "cpu_ms")}
QUANTITY_FIELD = {quantity: report_field for quantity, (_, report_field) in FIELDS.items()}


@dataclass
class HumanDistribution:
    """metric values of passed human solutions, per (problem_id, language), with their intervals.

    `intervals` runs parallel to `entries`: each value's 95 % interval over its repeats, or None
    where it was not recorded (a single run). `calibration` says which calibration the values came
    from (file, date, host, content keys), for the report's meta.
    """

    entries: dict[tuple[str, str], dict[str, list[float]]] = field(default_factory=dict)
    # "calibration", "measured" or "paired", or a mix of them joined by "+"
    source: dict[tuple[str, str], str] = field(default_factory=dict)
    intervals: dict[tuple[str, str], dict[str, list[Span | None]]] = field(default_factory=dict)
    calibration: dict[str, Any] = field(default_factory=dict)

    def values(self, problem_id: object, language: str, metric: str) -> list[float]:
        return self.entries.get((str(problem_id), language), {}).get(metric, [])

    def spans(self, problem_id: object, language: str, metric: str) -> list[Span | None]:
        """The intervals of `values(...)`, in the same order (None where unknown)."""
        found = self.intervals.get((str(problem_id), language), {}).get(metric)
        return found if found is not None else [None] * len(self.values(problem_id, language, metric))

    def has(self, problem_id: object, language: str) -> bool:
        return bool(self.values(problem_id, language, "time"))

    def add(self, problem_id: object, language: str, report: RunReport, source: str) -> None:
        if not report.passed:
            return
        self._append(
            str(problem_id),
            language,
            {
                metric: (getattr(report, report_field), getattr(report.ci, report_field))
                for metric, (_, report_field) in FIELDS.items()
            },
        )
        self._mark(str(problem_id), language, source)

    def add_values(
        self, problem_id: object, language: str, measured: dict[str, tuple[float, object]], source: str
    ) -> None:
        """One human's values, given directly: quantity -> (value, its 95 % interval or None)."""
        self._append(str(problem_id), language, dict(measured))
        self._mark(str(problem_id), language, source)

    def add_entries(self, problem_id: object, language: str, entries: list[dict], source: str) -> None:
        """Calibration entries (passed ones) of one (problem, language)."""
        for entry in entries:
            if not entry.get("passed"):
                continue
            stored = entry.get("ci")
            ci = stored if isinstance(stored, dict) else {}
            self._append(
                str(problem_id),
                language,
                {metric: (entry.get(key), ci.get(report_field)) for metric, (key, report_field) in FIELDS.items()},
            )
        if self.has(problem_id, language):
            self._mark(str(problem_id), language, source)

    def _mark(self, problem_id: str, language: str, source: str) -> None:
        """Record where a (problem, language)'s values came from; a mix reads "calibration+paired"."""
        key = (problem_id, language)
        known = set(self.source[key].split("+")) if key in self.source else set()
        self.source[key] = "+".join(sorted(known | {source}))

    def _append(self, problem_id: str, language: str, measured: dict[str, tuple[float | None, object]]) -> None:
        key = (problem_id, language)
        values = self.entries.setdefault(key, {m: [] for m in FIELDS})
        spans = self.intervals.setdefault(key, {m: [] for m in FIELDS})
        for metric, (value, span) in measured.items():
            if value is not None:
                values[metric].append(float(value))
                spans[metric].append(_span(span))


def _span(raw: object) -> Span | None:
    """A (lo, hi) interval from a report or a calibration file; None when absent or malformed."""
    if isinstance(raw, list | tuple) and len(raw) == 2 and all(isinstance(v, int | float) for v in raw):
        lo, hi = float(raw[0]), float(raw[1])
        return (lo, hi) if lo <= hi else None
    return None


def calibrated_humans(dataset: str, problems: Iterable[Problem], languages: Iterable[str]) -> HumanDistribution:
    """What this host's calibration holds for exactly these problems (nothing is measured): the
    (problem, language) pairs it does not cover are simply absent."""
    document = calibration.load_calibration(dataset)
    humans = HumanDistribution()
    pairs: set[tuple[str, str]] = set()
    for job in venus.solution_jobs(list(problems), sorted(set(languages)), only_correct=True):
        key = (str(job.problem.problem_id), job.language)
        if key in pairs:
            continue
        pairs.add(key)
        entries = calibration.entries_for(document, job.problem, job.language)
        if entries is not None:
            humans.add_entries(job.problem.problem_id, job.language, entries, "calibration")
    humans.calibration = calibration.describe(document, calibration.calibration_path(dataset), pairs)
    return humans


def human_distribution(
    dataset: str,
    problems: Iterable[Problem],
    languages: Iterable[str],
    sandbox: Sandbox | None = None,
    repeat: int | str = 3,
    limits: Limits | None = None,
    progress: Callable[[venus.SolutionJob, RunReport], None] | None = None,
) -> HumanDistribution:
    """This host's distribution for the given problems and languages, measuring what the
    calibration does not hold for exactly this content."""
    document = calibration.load_calibration(dataset)
    humans = HumanDistribution()
    problems = list(problems)
    wanted = set(languages)
    jobs = venus.solution_jobs(problems, sorted(wanted), only_correct=True)
    missing = []
    decided: dict[tuple[str, str], bool] = {}  # (problem, language) -> calibrated?
    for job in jobs:
        key = (str(job.problem.problem_id), job.language)
        if key not in decided:
            entries = calibration.entries_for(document, job.problem, job.language)
            decided[key] = entries is not None
            if entries is not None:
                humans.add_entries(job.problem.problem_id, job.language, entries, "calibration")
        if not decided[key]:
            missing.append(job)
    if missing:
        reports = venus.run_jobs(missing, repeat, limits or Limits(), progress or (lambda job, report: None), sandbox)
        for job, report in zip(missing, reports, strict=True):
            humans.add(job.problem.problem_id, job.language, report, "measured")
        path: Path = calibration.merge_calibration(dataset, missing, reports, repeat)
        document = calibration.load_calibration(dataset)
    else:
        path = calibration.calibration_path(dataset)
    humans.calibration = calibration.describe(document, path, set(decided))
    return humans
