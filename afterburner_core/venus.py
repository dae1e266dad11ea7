"""Dataset-wide jobs: every solution of a dataset as a run (validation, calibration), and which
languages can run here. Calibrations themselves live in `afterburner_core.calibration`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from afterburner_core.models import Limits, Problem, ProblemRunRequest, RunReport
from afterburner_core.plugins import get_registry
from afterburner_core.sandbox.api import Sandbox, run_concurrently


@dataclass
class SolutionJob:
    problem: Problem
    language: str
    index: int
    expected_pass: bool
    label: str
    code: str


def solution_jobs(
    problems: Iterable[Problem], languages: list[str] | None, only_correct: bool = False
) -> list[SolutionJob]:
    registry = get_registry()
    wanted = {registry.resolve_language(name).key for name in languages} if languages else None
    jobs = []
    for problem in problems:
        for language, solutions in problem.solutions.items():
            key = registry.resolve_language(language).key
            if wanted is not None and key not in wanted:
                continue
            for index, solution in enumerate(solutions):
                if only_correct and not solution.passed:
                    continue
                jobs.append(SolutionJob(problem, key, index, solution.passed, solution.label, solution.code))
    return jobs


def available_languages(languages: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """Split language keys into those with a toolchain here and those skipped (with the reason)."""
    registry = get_registry()
    ready, skipped = [], {}
    for key in languages:
        try:
            status = registry.resolve_language(key).toolchain()
        except Exception as exc:
            skipped[key] = str(exc)
            continue
        if status.available:
            ready.append(key)
        else:
            skipped[key] = status.message
    return ready, skipped


def run_jobs(
    jobs: list[SolutionJob],
    repeat: int | str,
    limits: Limits,
    progress: Callable[[SolutionJob, RunReport], None],
    sandbox: Any = None,
) -> list[RunReport]:
    """Run every job (concurrently, one per exclusive core), calling `progress` as each finishes."""
    requests = [
        ProblemRunRequest(problem=job.problem, code=job.code, language=job.language, limits=limits, repeat=repeat)
        for job in jobs
    ]
    return run_concurrently(sandbox or Sandbox(), requests, lambda index, report: progress(jobs[index], report))
