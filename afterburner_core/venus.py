"""Dataset-wide jobs: validation of every solution, and calibration of the human distribution.

The human distribution of a problem is the measured time / memory / integral of its correct
solutions *on this host* (Afterburner never compares a model's numbers with numbers measured on
another kind of machine or at another time under another load). Calibrations are stored per
dataset and host fingerprint under the cache root.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afterburner_core.host import host_fingerprint, host_info
from afterburner_core.models import Limits, Problem, ProblemRunRequest, RunReport
from afterburner_core.paths import cache_root
from afterburner_core.plugins import get_manager
from afterburner_core.sandbox.api import Sandbox, run_concurrently
from afterburner_core.sandbox.locks import file_lock


@dataclass
class SolutionJob:
    problem: Problem
    language: str
    index: int
    expected_pass: bool
    label: str
    code: str


def solution_jobs(problems: Iterable[Problem], languages: list[str] | None, only_correct: bool = False) -> list[SolutionJob]:
    manager = get_manager()
    wanted = {manager.resolve_language(name).key for name in languages} if languages else None
    jobs = []
    for problem in problems:
        for language, solutions in problem.solutions.items():
            key = manager.resolve_language(language).key
            if wanted is not None and key not in wanted:
                continue
            for index, solution in enumerate(solutions):
                if only_correct and not solution.passed:
                    continue
                jobs.append(SolutionJob(problem, key, index, solution.passed, solution.label, solution.code))
    return jobs


def available_languages(languages: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """Split language keys into those with a toolchain here and those skipped (with the reason)."""
    manager = get_manager()
    ready, skipped = [], {}
    for key in languages:
        try:
            status = manager.resolve_language(key).toolchain()
        except Exception as exc:
            skipped[key] = str(exc)
            continue
        if status.available:
            ready.append(key)
        else:
            skipped[key] = status.message
    return ready, skipped


def run_jobs(
    jobs: list[SolutionJob], repeat: int | str, limits: Limits, progress: Callable[[SolutionJob, RunReport], None],
    sandbox: Any = None,
) -> list[RunReport]:
    """Run every job (concurrently, one per exclusive core), calling `progress` as each finishes."""
    requests = [
        ProblemRunRequest(problem=job.problem, code=job.code, language=job.language, limits=limits, repeat=repeat)
        for job in jobs
    ]
    return run_concurrently(sandbox or Sandbox(), requests, lambda index, report: progress(jobs[index], report))


def calibration_path(dataset: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(dataset).name)
    return cache_root() / "calibration" / f"humans-{safe}-{host_fingerprint()}.json"


def _new_document(dataset: str, repeat: int | str) -> dict:
    return {
        "dataset": dataset, "host_fingerprint": host_fingerprint(), "host": host_info(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "repeat": repeat,
        "units": {"time": "ms", "memory": "KiB", "integral": "KiB*ms"}, "problems": {},
    }


def _add_entries(document: dict, jobs: list[SolutionJob], reports: list[RunReport]) -> None:
    fresh: set[tuple[str, str]] = set()
    for job, report in zip(jobs, reports, strict=True):
        key = (str(job.problem.problem_id), job.language)
        slot = document["problems"].setdefault(key[0], {})
        if key not in fresh:  # re-measured (problem, language) pairs replace what was there
            slot[key[1]] = []
            fresh.add(key)
        slot[key[1]].append({
            "index": job.index, "label": job.label, "passed": report.passed, "verdict": report.verdict.value,
            "time": report.time_ms, "cpu": report.cpu_ms, "memory": report.memory_kb,
            "integral": report.integral_kb_ms, "ci": report.ci.model_dump(mode="json"), "repeats": report.repeats,
        })


def _write(document: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(document, indent=1))
    tmp.replace(path)
    return path


def save_calibration(dataset: str, jobs: list[SolutionJob], reports: list[RunReport], repeat: int | str,
                     out: Path | None = None) -> Path:
    """A fresh calibration document for `dataset` on this host."""
    document = _new_document(dataset, repeat)
    _add_entries(document, jobs, reports)
    return _write(document, out or calibration_path(dataset))


def merge_calibration(dataset: str, jobs: list[SolutionJob], reports: list[RunReport], repeat: int | str) -> Path:
    """Add measurements to this host's calibration of `dataset` (creating it if needed)."""
    with file_lock(calibration_path(dataset).with_suffix(".lock")):
        document = load_calibration(dataset) or _new_document(dataset, repeat)
        _add_entries(document, jobs, reports)
        return _write(document, calibration_path(dataset))


def load_calibration(dataset: str, path: Path | None = None) -> dict | None:
    """This host's calibration of `dataset`, or None when there is none for this kind of host."""
    path = path or calibration_path(dataset)
    if not path.exists():
        return None
    document = json.loads(path.read_text())
    if document.get("host_fingerprint") != host_fingerprint():
        import warnings

        warnings.warn(f"{path} was measured on another kind of host; it is ignored and re-measured here",
                      stacklevel=2)
        return None
    return document
