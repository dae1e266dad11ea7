"""Litmus evaluation: run samples, place them against the human distribution, aggregate.

Per sample and metric: `beyond` (the expected fraction of human solutions it beats given how
precisely both were measured, ties counting half: litmus/percentile.py) and a standing (beyond /
equal / below / failed). Time is ranked by the program's *CPU* time (`cpu_ms`) by default: on its
exclusive core a single-threaded program's CPU time is its running time, and unlike wall time it
does not grow when the host schedules something else onto that core (`time_basis="wall"` ranks by
`time_ms`). Aggregates per language, per tag (the model that wrote the samples) and overall, as in
the paper: Pass@1 = mean(passed); Time% = mean(passed × beyond_time), likewise Memory% and
Integral%. Intervals are percentile-bootstrap 95 % intervals over *problems* (resampling problems
with replacement, all samples of a drawn problem together), not the standard error of a bootstrap
mean as in the original. Two tags are compared on the problems both attempted: the difference of
their scores with a paired bootstrap interval over those problems.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from afterburner_core.errors import AfterburnerError
from afterburner_core.litmus.humans import METRICS, QUANTITY_FIELD, HumanDistribution
from afterburner_core.litmus.percentile import NOISE_FLOOR, beyond, standing
from afterburner_core.models import Limits, Problem, ProblemRunRequest, RunReport
from afterburner_core.plugins import get_registry
from afterburner_core.rewards.extract import extract_code
from afterburner_core.sandbox.api import Sandbox, run_concurrently

SCORES = ("pass@1", "time%", "memory%", "integral%")
BOOTSTRAP_ROUNDS = 1000
TIME_BASES = {"cpu": "cpu", "wall": "time"}  # --time-basis -> the measured quantity Time% ranks


@dataclass
class Sample:
    problem_id: str
    language: str
    code: str
    tag: str = ""


@dataclass
class SampleRecord:
    problem_id: str
    language: str
    tag: str
    passed: bool
    verdict: str
    values: dict[str, float | None]
    beyond: dict[str, float | None]
    standing: dict[str, str | None]


@dataclass
class Aggregate:
    samples: int
    problems: int
    scores: dict[str, float]
    ci: dict[str, tuple[float, float]]
    shares: dict[str, dict[str, float]]
    without_humans: int = 0


@dataclass
class Comparison:
    """Tag `b` minus tag `a` on the problems both attempted: each score's difference and its paired
    bootstrap 95 % interval (an interval clear of 0 is a difference the problems support)."""

    a: str
    b: str
    problems: int
    difference: dict[str, float]
    ci: dict[str, tuple[float, float]]


@dataclass
class Evaluation:
    records: list[SampleRecord]
    by_language: dict[str, Aggregate]
    overall: Aggregate
    meta: dict[str, Any] = field(default_factory=dict)
    by_tag: dict[str, Aggregate] = field(default_factory=dict)
    comparisons: list[Comparison] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "meta": self.meta,
            "overall": asdict(self.overall),
            "by_language": {k: asdict(v) for k, v in self.by_language.items()},
            "by_tag": {k: asdict(v) for k, v in self.by_tag.items()},
            "comparisons": [asdict(c) for c in self.comparisons],
            "records": [asdict(r) for r in self.records],
        }


def read_samples(path: Path) -> list[Sample]:
    """Rows `{problem_id, language, code}` (or `completion`, from which the code is extracted)."""
    if not path.is_file():
        raise AfterburnerError(f"no such samples file: {path}")
    samples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise AfterburnerError(f"{path}:{number}: not JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or "problem_id" not in row or "language" not in row:
            raise AfterburnerError(f"{path}:{number}: a sample needs problem_id, language and code")
        code = row.get("code")
        if code is None and "completion" in row:
            code = extract_code(row["completion"]) or ""
        if code is None:
            raise AfterburnerError(f"{path}:{number}: a sample needs code (or a completion)")
        samples.append(Sample(str(row["problem_id"]), str(row["language"]), str(code), str(row.get("tag", ""))))
    if not samples:
        raise AfterburnerError(f"{path} holds no samples")
    return samples


def sample_requests(
    samples: Sequence[Sample], problems: dict[str, Problem], repeat: int | str, limits: Limits
) -> list[ProblemRunRequest]:
    registry = get_registry()
    return [
        ProblemRunRequest(
            problem=problems[s.problem_id],
            code=s.code,
            limits=limits,
            repeat=repeat,
            language=registry.resolve_language(s.language).key,
        )
        for s in samples
    ]


def run_samples(
    samples: Sequence[Sample],
    problems: dict[str, Problem],
    sandbox: Sandbox,
    repeat: int | str,
    limits: Limits,
    progress: Callable[[Sample, RunReport], None],
) -> list[RunReport]:
    """Each sample's runs back to back (`repeat` per request); the evaluation pipeline takes them in
    interleaved rounds with its drift anchors instead (litmus/pipeline.py)."""
    requests = sample_requests(samples, problems, repeat, limits)
    return run_concurrently(sandbox, requests, lambda index, report: progress(samples[index], report))


def score(
    samples: Sequence[Sample],
    reports: Sequence[RunReport],
    humans: HumanDistribution,
    noise: float | dict[str, float] = NOISE_FLOOR,
    time_basis: str = "cpu",
) -> list[SampleRecord]:
    """Each sample placed against its humans; `noise` is the comparisons' noise floor, one for every
    metric or one per metric (time / memory / integral)."""
    registry = get_registry()
    floors = noise if isinstance(noise, dict) else dict.fromkeys(METRICS, noise)
    quantity = {"time": TIME_BASES[time_basis], "memory": "memory", "integral": "integral"}
    records = []
    for sample, report in zip(samples, reports, strict=True):
        language = registry.resolve_language(sample.language).key
        values, beyonds, standings = {}, {}, {}
        for metric in METRICS:
            measured = quantity[metric]
            value = getattr(report, QUANTITY_FIELD[measured]) if report.passed else None
            pool = humans.values(sample.problem_id, language, measured)
            spans = humans.spans(sample.problem_id, language, measured)
            interval = getattr(report.ci, QUANTITY_FIELD[measured]) if report.passed else None
            values[metric] = value
            floor = floors.get(metric, NOISE_FLOOR)
            beyonds[metric] = (
                beyond(value, pool, floor, interval, spans)
                if value is not None and pool
                else (0.0 if not report.passed else None)
            )
            place = standing(report.passed, value, pool, floor, interval, spans)
            standings[metric] = place.value if place else None
        records.append(
            SampleRecord(
                sample.problem_id, language, sample.tag, report.passed, report.verdict.value, values, beyonds, standings
            )
        )
    return records


def _scores(records: Sequence[SampleRecord]) -> dict[str, float]:
    n = len(records)
    result = {"pass@1": sum(r.passed for r in records) / n if n else 0.0}
    for metric in METRICS:
        rated = [r for r in records if r.beyond[metric] is not None]
        result[f"{metric}%"] = (sum(r.passed * (r.beyond[metric] or 0.0) for r in rated) / len(rated)) if rated else 0.0
    return result


def _by_problem(records: Sequence[SampleRecord]) -> dict[str, list[SampleRecord]]:
    grouped: dict[str, list[SampleRecord]] = {}
    for record in records:
        grouped.setdefault(record.problem_id, []).append(record)
    return grouped


def _interval(values: list[float]) -> tuple[float, float]:
    values.sort()
    return values[int(0.025 * (len(values) - 1))], values[int(0.975 * (len(values) - 1))]


def aggregate(records: Sequence[SampleRecord], rounds: int = BOOTSTRAP_ROUNDS, seed: int = 0) -> Aggregate:
    if not records:
        raise AfterburnerError("nothing to aggregate: no samples")
    by_problem = _by_problem(records)
    keys = sorted(by_problem)
    rng = random.Random(seed)
    draws: dict[str, list[float]] = {name: [] for name in SCORES}
    for _ in range(rounds):
        chosen = [r for key in (rng.choice(keys) for _ in keys) for r in by_problem[key]]
        for name, value in _scores(chosen).items():
            draws[name].append(value)
    ci = {name: _interval(values) for name, values in draws.items()}
    shares = {}
    for metric in METRICS:
        counted = [r.standing[metric] for r in records if r.standing[metric] is not None]
        shares[metric] = {
            k: counted.count(k) / len(counted) if counted else 0.0 for k in ("beyond", "equal", "below", "failed")
        }
    return Aggregate(
        samples=len(records),
        problems=len(keys),
        scores=_scores(records),
        ci=ci,
        shares=shares,
        without_humans=sum(1 for r in records if r.passed and r.beyond["time"] is None),
    )


def compare(
    records: Sequence[SampleRecord], a: str, b: str, rounds: int = BOOTSTRAP_ROUNDS, seed: int = 0
) -> Comparison | None:
    """Tag `b`'s scores minus tag `a`'s on the problems both attempted, with a bootstrap interval
    that resamples those problems (both tags' samples of a drawn problem together: paired)."""
    mine = _by_problem([r for r in records if r.tag == a])
    theirs = _by_problem([r for r in records if r.tag == b])
    shared = sorted(set(mine) & set(theirs))
    if not shared:
        return None

    def difference(keys: Sequence[str]) -> dict[str, float]:
        first = _scores([r for key in keys for r in mine[key]])
        second = _scores([r for key in keys for r in theirs[key]])
        return {name: second[name] - first[name] for name in SCORES}

    rng = random.Random(seed)
    draws: dict[str, list[float]] = {name: [] for name in SCORES}
    for _ in range(rounds):
        for name, value in difference([rng.choice(shared) for _ in shared]).items():
            draws[name].append(value)
    return Comparison(a, b, len(shared), difference(shared), {name: _interval(v) for name, v in draws.items()})


def evaluate_records(records: Sequence[SampleRecord], meta: dict[str, Any] | None = None) -> Evaluation:
    languages = sorted({r.language for r in records})
    tags = sorted({r.tag for r in records})
    comparisons = [c for i, a in enumerate(tags) for b in tags[i + 1 :] if (c := compare(records, a, b))]
    return Evaluation(
        records=list(records),
        by_language={lang: aggregate([r for r in records if r.language == lang]) for lang in languages},
        overall=aggregate(records),
        meta=meta or {},
        by_tag={tag: aggregate([r for r in records if r.tag == tag]) for tag in tags} if len(tags) > 1 else {},
        comparisons=comparisons,
    )
