"""Paired evaluation: samples and the human solutions they are ranked against, measured together.

The default evaluation ranks samples against this host's calibration, measured earlier. The host's
speed drifts (by 10-40 % within minutes on a shared VM), and a sample whose only real rival is a
human solution a few per cent slower is then ranked by the drift, not by its code. Paired mode
measures each (problem, language)'s correct human solutions in the same interleaved rounds as its
samples, next to them in every round, so both see the same host; it costs re-measuring those
humans, and is what to use when a few per cent matter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from afterburner_core import venus
from afterburner_core.litmus.humans import HumanDistribution
from afterburner_core.models import Limits, Problem, ProblemRunRequest, RunReport
from afterburner_core.plugins import get_registry
from afterburner_core.sandbox.scheduling.rounds import run_together

PAIRED_SOURCE = "paired"


def measure_paired(
    samples: Sequence[Any],
    problems: dict[str, Problem],
    sandbox: Any,
    rounds: int,
    limits: Limits,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[HumanDistribution, list[RunReport]]:
    """The humans of every sampled (problem, language) and the samples, in `rounds` shared rounds.

    `samples` are litmus `Sample`s (problem_id, language, code), `problems` maps each sample's
    problem_id (an id or a title) to its problem; returns the human distribution
    (source "paired") and the samples' reports in sample order. `progress(done, total)` counts
    finished requests, humans and samples alike.
    """
    registry = get_registry()
    groups: dict[tuple[str, str], list[int]] = {}
    by_id: dict[str, Problem] = {}
    for index, sample in enumerate(samples):
        problem = problems[str(sample.problem_id)]  # a title and an id of one problem make one group
        by_id[str(problem.problem_id)] = problem
        groups.setdefault((str(problem.problem_id), registry.resolve_language(sample.language).key), []).append(index)
    requests: list[ProblemRunRequest] = []
    human_jobs: list[tuple[int, venus.SolutionJob]] = []  # (request index, job)
    sample_request: dict[int, int] = {}  # sample index -> request index
    for (problem_id, language), indexes in groups.items():
        problem = by_id[problem_id]
        for job in venus.solution_jobs([problem], [language], only_correct=True):
            human_jobs.append((len(requests), job))
            requests.append(ProblemRunRequest(problem=problem, code=job.code, language=language, limits=limits))
        for index in indexes:
            sample_request[index] = len(requests)
            requests.append(
                ProblemRunRequest(problem=problem, code=samples[index].code, language=language, limits=limits)
            )
    reports = run_together(sandbox, requests, rounds, progress)
    humans = HumanDistribution()
    for position, job in human_jobs:
        humans.add(job.problem.problem_id, job.language, reports[position], PAIRED_SOURCE)
    return humans, [reports[sample_request[index]] for index in range(len(samples))]


__all__ = ["PAIRED_SOURCE", "measure_paired"]
