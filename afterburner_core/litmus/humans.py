"""The human distribution: measured metrics of each problem's correct human solutions, on this host.

Taken from this host's calibration (`afterburner dataset calibrate`) when it covers the problem and
language; otherwise the missing solutions are measured now, in the same run as the samples they
will be compared with, and added to the calibration so the next run reuses them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from afterburner_core import venus
from afterburner_core.models import Limits, Problem, RunReport
from afterburner_core.sandbox.api import Sandbox

METRICS = ("time", "memory", "integral")
REPORT_FIELD = {"time": "time_ms", "memory": "memory_kb", "integral": "integral_kb_ms"}


@dataclass
class HumanDistribution:
    """metric values of passed human solutions, per (problem_id, language)."""

    entries: dict[tuple[str, str], dict[str, list[float]]] = field(default_factory=dict)
    source: dict[tuple[str, str], str] = field(default_factory=dict)  # "calibration" or "measured"

    def values(self, problem_id: object, language: str, metric: str) -> list[float]:
        return self.entries.get((str(problem_id), language), {}).get(metric, [])

    def has(self, problem_id: object, language: str) -> bool:
        return bool(self.values(problem_id, language, "time"))

    def add(self, problem_id: object, language: str, report: RunReport, source: str) -> None:
        if not report.passed:
            return
        slot = self.entries.setdefault((str(problem_id), language), {m: [] for m in METRICS})
        for metric in METRICS:
            value = getattr(report, REPORT_FIELD[metric])
            if value is not None:
                slot[metric].append(float(value))
        self.source[(str(problem_id), language)] = source


def from_calibration(document: dict | None) -> HumanDistribution:
    humans = HumanDistribution()
    if not document:
        return humans
    for problem_id, languages in document.get("problems", {}).items():
        for language, entries in languages.items():
            slot = {m: [float(e[m]) for e in entries if e.get("passed") and e.get(m) is not None] for m in METRICS}
            if slot["time"]:
                humans.entries[(problem_id, language)] = slot
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
