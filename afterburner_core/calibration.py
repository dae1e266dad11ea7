"""This host's measurements of a dataset's human solutions (the calibration), keyed by content.

The human distribution of a problem is the measured time / memory / integral of its correct
solutions *on this host*. A calibration is only valid for exactly what it measured: each (problem,
language) entry carries a content key -- a hash of the problem's tests (stored and generated), the
language's runner, the evaluator, the limits, the solutions' code, the toolchain's version, the
supervisor's build and the measurement method -- and an entry whose key differs from the problem in hand is stale: it is
re-measured, never used. Two datasets that share a file name (any two `dataset export` outputs are
`train.jsonl`), an edited dataset, a new compiler: each is measured afresh. The file itself is per
dataset name and host fingerprint under the cache root; a file from another kind of host is
ignored.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from afterburner_core.errors import DatasetError
from afterburner_core.host import host_fingerprint, host_info
from afterburner_core.models import Problem, RunReport
from afterburner_core.paths import cache_root
from afterburner_core.plugins import get_registry
from afterburner_core.problems import evaluator_source, problem_tests, runner_source
from afterburner_core.sandbox.measurement import analysis
from afterburner_core.sandbox.scheduling.locks import file_lock
from afterburner_core.sandbox.supervision.supervisor import supervisor_digest
from afterburner_core.venus import SolutionJob

FORMAT = 2  # entries grouped per (problem, language) under their content key


def content_key(problem: Problem, language: str) -> str:
    """What a measurement of `problem`'s `language` solutions depends on, hashed (see the module)."""
    return _content_key(problem.model_dump_json(), language)


@functools.lru_cache(maxsize=1024)
def _content_key(problem_json: str, language: str) -> str:
    problem = Problem.model_validate_json(problem_json)
    info = get_registry().resolve_language(language)
    try:
        runner = runner_source(problem, info, "")
    except DatasetError:
        runner = ""
    solutions = [
        s.code
        for name, group in problem.solutions.items()
        if get_registry().resolve_language(name).key == info.key
        for s in group
    ]
    payload = {
        "tests": [(t.input, t.output) for t in problem_tests(problem)],
        "runner": runner,
        "evaluator": evaluator_source(problem),
        "kind": problem.kind,
        "limits": [problem.time_limit_ms, problem.memory_limit_mb],
        "solutions": solutions,
        "toolchain": info.toolchain().version,
        "supervisor": supervisor_digest(),
        "method": analysis.METHOD,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def calibration_path(dataset: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(dataset).name)
    return cache_root() / "calibration" / f"humans-{safe}-{host_fingerprint()}.json"


def entries_for(document: dict | None, problem: Problem, language: str) -> list[dict] | None:
    """The calibration's entries for (problem, language) if they measured exactly this content."""
    if not document:
        return None
    slot = document.get("problems", {}).get(str(problem.problem_id), {}).get(language)
    if not isinstance(slot, dict) or slot.get("content") != content_key(problem, language):
        return None
    return list(slot.get("entries", []))


def describe(
    document: dict | None, path: Path | None = None, pairs: set[tuple[str, str]] | None = None
) -> dict[str, Any]:
    """Which calibration scored a report: file, date, host, and the content keys of the (problem,
    language) pairs used (all of them without `pairs`)."""
    if not document:
        return {}
    keys = {
        f"{pid}/{language}": slot.get("content")
        for pid, languages in document.get("problems", {}).items()
        for language, slot in languages.items()
        if isinstance(slot, dict) and (pairs is None or (pid, language) in pairs)
    }
    return {
        "path": str(path) if path else None,
        "created": document.get("created"),
        "updated": document.get("updated"),
        "host_fingerprint": document.get("host_fingerprint"),
        "host": document.get("host"),
        "content": keys,
    }


def _new_document(dataset: str, repeat: int | str) -> dict:
    return {
        "format": FORMAT,
        "dataset": dataset,
        "host_fingerprint": host_fingerprint(),
        "host": host_info(),
        "created": _now(),
        "repeat": repeat,
        "units": {"time": "ms", "cpu": "ms", "memory": "KiB", "integral": "KiB*ms"},
        "problems": {},
    }


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _add_entries(document: dict, jobs: Sequence[SolutionJob], reports: Sequence[RunReport]) -> None:
    fresh: set[tuple[str, str]] = set()
    for job, report in zip(jobs, reports, strict=True):
        key = (str(job.problem.problem_id), job.language)
        languages = document["problems"].setdefault(key[0], {})
        if key not in fresh:  # re-measured (problem, language) pairs replace what was there
            languages[key[1]] = {"content": content_key(job.problem, job.language), "entries": []}
            fresh.add(key)
        languages[key[1]]["entries"].append(
            {
                "index": job.index,
                "label": job.label,
                "passed": report.passed,
                "verdict": report.verdict.value,
                "time": report.time_ms,
                "cpu": report.cpu_ms,
                "memory": report.memory_kb,
                "integral": report.integral_kb_ms,
                "ci": report.ci.model_dump(mode="json"),
                "repeats": report.repeats,
            }
        )
    document["updated"] = _now()


def _write(document: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(document, indent=1))
    tmp.replace(path)
    return path


def save_calibration(
    dataset: str, jobs: Sequence[SolutionJob], reports: Sequence[RunReport], repeat: int | str, out: Path | None = None
) -> Path:
    """A fresh calibration document for `dataset` on this host."""
    document = _new_document(dataset, repeat)
    _add_entries(document, jobs, reports)
    return _write(document, out or calibration_path(dataset))


def merge_calibration(
    dataset: str, jobs: Sequence[SolutionJob], reports: Sequence[RunReport], repeat: int | str
) -> Path:
    """Add measurements to this host's calibration of `dataset` (creating it if needed)."""
    with file_lock(calibration_path(dataset).with_suffix(".lock")):
        document = load_calibration(dataset) or _new_document(dataset, repeat)
        _add_entries(document, jobs, reports)
        return _write(document, calibration_path(dataset))


def load_calibration(dataset: str, path: Path | None = None) -> dict | None:
    """This host's calibration of `dataset`, or None when there is none for this kind of host (or
    only one in the format before content keys, whose entries cannot be trusted to match)."""
    path = path or calibration_path(dataset)
    if not path.exists():
        return None
    document = json.loads(path.read_text())
    if document.get("host_fingerprint") != host_fingerprint():
        import warnings

        warnings.warn(f"{path} was measured on another kind of host; it is ignored and re-measured here", stacklevel=2)
        return None
    if document.get("format") != FORMAT:
        return None
    return document
