"""SFT and DPO rows built from human solutions *measured on this host*.

Solutions are ranked by this host's calibration (`afterburner dataset calibrate`); a (problem,
language) the calibration does not fully cover is measured now (every solution, correct or not)
and merged into it, so the next build reuses it. Rows are shaped like Venus_SFT_Data
(prompt, response) and Venus_DPO_Data (prompt, chosen, rejected), with the prompt as chat messages
from `build_messages` and every response in exactly the format the prompt asks for
(`format_response`). A DPO pair between two correct solutions needs a real margin: their 95 %
intervals must not overlap (and the chosen one must be at least `min_gain` better); a failing
solution is always rejected against the best correct one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afterburner_core import calibration, venus
from afterburner_core.datasets import get_problem, load_problems
from afterburner_core.errors import AfterburnerError
from afterburner_core.models import Limits, Problem
from afterburner_core.objectives import OBJECTIVES, REPORT_FIELD, UNIT, parse_objective
from afterburner_core.prompts import build_messages, format_response


@dataclass
class MeasuredSolution:
    """One solution with this host's measurement (value and 95 % interval of the chosen metric)."""

    problem: Problem
    language: str
    index: int
    label: str
    code: str
    passed: bool
    verdict: str
    metrics: dict[str, float | None]
    ci: dict[str, tuple[float, float] | None]

    def value(self, objective: str) -> float | None:
        return self.metrics.get(objective)

    def interval(self, objective: str) -> tuple[float, float] | None:
        value = self.value(objective)
        ci = self.ci.get(objective)
        if ci is not None:
            return ci
        return None if value is None else (value, value)

    def performance(self, objective: str) -> dict[str, Any]:
        interval = self.interval(objective) if self.passed else None
        return {
            "metric": objective,
            "value": self.value(objective) if self.passed else None,
            "unit": UNIT[objective],
            "ci95": list(interval) if interval else None,
            "passed": self.passed,
            "verdict": self.verdict,
            "label": self.label,
        }


def thinking_of(label: str) -> str:
    """The solution's label as its reasoning, without the dataset's WRONG markers."""
    text = re.sub(r"^\s*WRONG\s*:\s*", "", label or "", flags=re.IGNORECASE)
    text = re.sub(r",?\s*wrong\s*$", "", text, flags=re.IGNORECASE)
    return text.strip()


def _select(dataset: str, problem_ids: Iterable[str] | None) -> list[Problem]:
    if problem_ids:
        return [get_problem(str(pid), dataset) for pid in problem_ids]
    return list(load_problems(dataset))


def measured_solutions(
    dataset: str,
    problems: Iterable[Problem],
    languages: Iterable[str] | None = None,
    repeat: int | str = 3,
    limits: Limits | None = None,
    sandbox: Any = None,
    progress: Callable[[venus.SolutionJob, Any], None] | None = None,
) -> dict[tuple[str, str], list[MeasuredSolution]]:
    """Every solution of `problems` in `languages` with this host's measurement, per (problem, language).

    Taken from the calibration when it covers every solution of the pair; otherwise the pair is
    measured now and merged into the calibration. Languages without a toolchain here are an error."""
    problems = list(problems)
    jobs = venus.solution_jobs(problems, list(languages) if languages else None)
    wanted = sorted({job.language for job in jobs})
    ready, skipped = venus.available_languages(wanted)
    if skipped and languages:  # asked for explicitly: an error; otherwise those languages are left out
        raise AfterburnerError("cannot measure here: " + "; ".join(f"{k}: {v}" for k, v in skipped.items()))
    jobs = [job for job in jobs if job.language in ready]
    document = calibration.load_calibration(dataset)
    by_pair: dict[tuple[str, str], list[venus.SolutionJob]] = {}
    for job in jobs:
        by_pair.setdefault((str(job.problem.problem_id), job.language), []).append(job)

    def entries(pair: list[venus.SolutionJob]) -> dict[int, dict]:
        found = calibration.entries_for(document, pair[0].problem, pair[0].language) or []
        return {int(e["index"]): e for e in found if "index" in e}

    missing = [job for pair in by_pair.values() if not all(job.index in entries(pair) for job in pair) for job in pair]
    if missing:
        reports = venus.run_jobs(missing, repeat, limits or Limits(), progress or (lambda job, report: None), sandbox)
        calibration.merge_calibration(dataset, missing, reports, repeat)
        document = calibration.load_calibration(dataset)

    result: dict[tuple[str, str], list[MeasuredSolution]] = {}
    for (pid, language), pair in by_pair.items():
        found = entries(pair)
        out = []
        for job in pair:
            entry = found[job.index]
            ci = entry.get("ci") or {}
            out.append(
                MeasuredSolution(
                    problem=job.problem,
                    language=language,
                    index=job.index,
                    label=job.label,
                    code=job.code,
                    passed=bool(entry.get("passed")),
                    verdict=str(entry.get("verdict", "accepted" if entry.get("passed") else "?")),
                    metrics={m: (None if entry.get(m) is None else float(entry[m])) for m in OBJECTIVES},
                    ci={m: (_interval(ci[REPORT_FIELD[m]]) if ci.get(REPORT_FIELD[m]) else None) for m in OBJECTIVES},
                )
            )
        result[(pid, language)] = out
    return result


def _ranked(solutions: list[MeasuredSolution], objective: str) -> list[MeasuredSolution]:
    return sorted(
        (s for s in solutions if s.passed and s.value(objective) is not None),
        key=lambda s: (s.value(objective), s.index),
    )


def _prompt(solution: MeasuredSolution, objective: str) -> list[dict[str, str]]:
    return build_messages(solution.problem, solution.language, objective)


def _response(solution: MeasuredSolution) -> str:
    return format_response(solution.code, solution.language, thinking_of(solution.label))


def build_sft(
    dataset: str = "venus-mini",
    objective: str = "time",
    languages: Iterable[str] | None = None,
    top_k: int = 1,
    problems: Iterable[str] | None = None,
    repeat: int | str = 3,
    limits: Limits | None = None,
    sandbox: Any = None,
    progress: Callable[[venus.SolutionJob, Any], None] | None = None,
) -> list[dict[str, Any]]:
    """The `top_k` most efficient correct solutions per (problem, language), by measured `objective`."""
    parse_objective(objective)
    if top_k < 1:
        raise AfterburnerError("top_k must be at least 1")
    measured = measured_solutions(dataset, _select(dataset, problems), languages, repeat, limits, sandbox, progress)
    rows = []
    for (pid, language), solutions in measured.items():
        ranked = _ranked(solutions, objective)
        for rank, solution in enumerate(ranked[:top_k], start=1):
            performance = {**solution.performance(objective), "rank": rank, "of": len(ranked)}
            rows.append(
                {
                    "problem_id": pid,
                    "language": language,
                    "objective": objective,
                    "prompt": _prompt(solution, objective),
                    "response": _response(solution),
                    "performance": performance,
                }
            )
    return rows


def has_margin(better: MeasuredSolution, worse: MeasuredSolution, objective: str, min_gain: float = 0.0) -> bool:
    """True when `better` is really better: its 95 % interval lies wholly below `worse`'s, and its
    value is at least `min_gain` (relative) lower."""
    a, b = better.interval(objective), worse.interval(objective)
    if a is None or b is None:
        return False
    va, vb = better.value(objective), worse.value(objective)
    return a[1] < b[0] and va is not None and vb is not None and va <= vb * (1.0 - min_gain)


def build_dpo(
    dataset: str = "venus-mini",
    objective: str = "time",
    languages: Iterable[str] | None = None,
    problems: Iterable[str] | None = None,
    min_gain: float = 0.05,
    max_pairs: int | None = None,
    include_failing: bool = True,
    repeat: int | str = 3,
    limits: Limits | None = None,
    sandbox: Any = None,
    progress: Callable[[venus.SolutionJob, Any], None] | None = None,
) -> list[dict[str, Any]]:
    """Preference pairs per (problem, language): correct vs correct where the margin is real
    (non-overlapping 95 % intervals, ≥ `min_gain` better), and failing solutions rejected against
    the best correct one. `max_pairs` keeps the pairs with the largest ratio first."""
    parse_objective(objective)
    measured = measured_solutions(dataset, _select(dataset, problems), languages, repeat, limits, sandbox, progress)
    rows = []
    for (pid, language), solutions in measured.items():
        ranked = _ranked(solutions, objective)
        pairs: list[tuple[float, MeasuredSolution, MeasuredSolution]] = []
        for i, better in enumerate(ranked):
            for worse in ranked[i + 1 :]:
                if has_margin(better, worse, objective, min_gain):
                    ratio = (worse.value(objective) or 0.0) / max(better.value(objective) or 0.0, 1e-9)
                    pairs.append((ratio, better, worse))
        pairs.sort(key=lambda p: -p[0])
        if max_pairs is not None:
            pairs = pairs[:max_pairs]
        if include_failing and ranked:
            pairs += [(float("inf"), ranked[0], s) for s in solutions if not s.passed]
        for _, chosen, rejected in pairs:
            rows.append(
                {
                    "problem_id": pid,
                    "language": language,
                    "objective": objective,
                    "prompt": _prompt(chosen, objective),
                    "chosen": _response(chosen),
                    "rejected": _response(rejected),
                    "chosen_performance": chosen.performance(objective),
                    "rejected_performance": rejected.performance(objective),
                }
            )
    return rows


def write_rows(rows: list[dict[str, Any]], out: Path, name: str) -> list[Path]:
    """`out/name.jsonl`, and `out/name.parquet` when pyarrow is installed."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    written = [path]
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return written
    if rows:
        flat = [
            {k: (json.dumps(v, ensure_ascii=False) if k.endswith("performance") else v) for k, v in row.items()}
            for row in rows
        ]
        pq.write_table(pa.Table.from_pylist(flat), out / f"{name}.parquet")
        written.append(out / f"{name}.parquet")
    return written


def read_rows(path: str | Path, name: str | None = None) -> list[dict[str, Any]]:
    """Rows from a `.jsonl` / `.json` / `.parquet` file, or from `DIR/name.jsonl`."""
    path = Path(path)
    if path.is_dir():
        if name is None or not (path / f"{name}.jsonl").exists():
            raise AfterburnerError(f"no {name}.jsonl in {path}")
        path = path / f"{name}.jsonl"
    if not path.exists():
        raise AfterburnerError(f"no such file: {path}")
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        rows = pq.read_table(path).to_pylist()
        for row in rows:
            for key in [k for k in row if k.endswith("performance") and isinstance(row[k], str)]:
                row[key] = json.loads(row[key])
        return rows
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return list(json.loads(text))
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _interval(bounds: list[float]) -> tuple[float, float]:
    """A stored [low, high] interval."""
    low, high = bounds
    return float(low), float(high)
