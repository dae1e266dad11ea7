"""The human distribution: measured metrics of each problem's correct human solutions, on this host.

Taken from this host's calibration (`afterburner dataset calibrate`) when it covers the problem and
language; otherwise the missing solutions are measured now, in the same run as the samples they
will be compared with, and added to the calibration so the next run reuses them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from afterburner_core import venus
from afterburner_core.litmus.percentile import Span
from afterburner_core.models import Limits, Problem, RunReport
from afterburner_core.sandbox.api import Sandbox

METRICS = ("time", "memory", "integral")
REPORT_FIELD = {"time": "time_ms", "memory": "memory_kb", "integral": "integral_kb_ms"}


@dataclass
class HumanDistribution:
    """metric values of passed human solutions, per (problem_id, language), with their intervals.

    `intervals` runs parallel to `entries`: each value's 95 % interval over its repeats, or None
    where it was not recorded (a single run, an older calibration).
    """

    entries: dict[tuple[str, str], dict[str, list[float]]] = field(default_factory=dict)
    source: dict[tuple[str, str], str] = field(default_factory=dict)  # "calibration", "measured" or "paired"
    intervals: dict[tuple[str, str], dict[str, list[Span | None]]] = field(default_factory=dict)

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
        self._append(str(problem_id), language, {
            metric: (getattr(report, REPORT_FIELD[metric]), getattr(report.ci, REPORT_FIELD[metric]))
            for metric in METRICS
        })
        self.source[(str(problem_id), language)] = source

    def _append(self, problem_id: str, language: str, measured: dict[str, tuple[float | None, object]]) -> None:
        key = (problem_id, language)
        values = self.entries.setdefault(key, {m: [] for m in METRICS})
        spans = self.intervals.setdefault(key, {m: [] for m in METRICS})
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


def from_calibration(document: dict | None) -> HumanDistribution:
    humans = HumanDistribution()
    if not document:
        return humans
    for problem_id, languages in document.get("problems", {}).items():
        for language, entries in languages.items():
            for entry in entries:
                if not entry.get("passed"):
                    continue
                ci = entry.get("ci") if isinstance(entry.get("ci"), dict) else {}
                humans._append(problem_id, language, {m: (entry.get(m), ci.get(REPORT_FIELD[m])) for m in METRICS})
            if humans.has(problem_id, language):
                humans.source[(problem_id, language)] = "calibration"
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
    """This host's distribution for the given problems and languages, measuring what is missing."""
    document = venus.load_calibration(dataset)
    humans = from_calibration(document)
    problems = list(problems)
    wanted = set(languages)
    missing = [
        job for job in venus.solution_jobs(problems, sorted(wanted), only_correct=True)
        if not humans.has(job.problem.problem_id, job.language)
    ]
    if missing:
        reports = venus.run_jobs(missing, repeat, limits or Limits(), progress or (lambda job, report: None), sandbox)
        for job, report in zip(missing, reports, strict=True):
            humans.add(job.problem.problem_id, job.language, report, "measured")
        venus.merge_calibration(dataset, missing, reports, repeat)
    return humans
