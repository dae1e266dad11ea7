"""GRPO prompts for verl and OpenRLHF: the shared prompt template plus the reward label.

Like the paper's GRPO data, each (problem, language, objective) gets one prompt asking to improve
an *original* solution drawn at random from the problem's solutions (correct or not, seeded), with
that solution's measured outcome in the prompt: its verdict and first failing test, or its time,
memory and integral with units, and the share of human solutions it beats where this host's
calibration has them. ``baseline="none"`` asks for a solution from scratch instead. The original
is run here (once per distinct solution) so that the prompt shows what it does on this host.

Problems, not rows, are split into train and test (seeded), so no test problem is seen in
training. The reward label (`RewardLabel`) carries what the execution reward needs; the writers
put it where each framework hands it to the reward:

- verl: ``train.parquet`` / ``test.parquet`` with ``data_source``, ``prompt`` (chat messages),
  ``ability`` = ``code``, ``reward_model`` = ``{style: rule, ground_truth: <label JSON>}`` and
  ``extra_info`` = ``{index, split, problem_id, language, objective, baseline, dataset}``;
- OpenRLHF: ``train.jsonl`` / ``test.jsonl`` with ``prompt`` (chat messages, for
  ``--data.input_key prompt --data.apply_chat_template``), ``label`` (the label JSON, for
  ``--data.label_key label``) and ``datasource``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from afterburner_core import venus
from afterburner_core.errors import AfterburnerError
from afterburner_core.litmus.humans import METRICS, calibrated_humans
from afterburner_core.litmus.percentile import beyond
from afterburner_core.models import Limits, Problem, ProblemRunRequest, RunReport, Solution
from afterburner_core.objectives import REPORT_FIELD, parse_objective
from afterburner_core.plugins import get_registry
from afterburner_core.prompts import Attempt, build_messages
from afterburner_core.rewards.labels import RewardLabel
from afterburner_core.sandbox.api import Sandbox, run_concurrently
from afterburner_core.training.data import _select

BASELINES = ("random", "none")
FORMATS = ("verl", "openrlhf")
Format = Literal["verl", "openrlhf"]


@dataclass
class GrpoRow:
    """One prompt: what it asks, the chat messages, the label the reward reads, and its split."""

    problem: Problem
    language: str
    objective: str
    prompt: list[dict[str, str]]
    label: RewardLabel
    split: str
    baseline_verdict: str | None = None


def split_problems(problems: list[Problem], test_fraction: float, seed: int) -> set[str]:
    """The ids of the test problems: a seeded share of the problems (at least one when the share is
    positive and there are two or more problems; never all of them)."""
    if not 0 <= test_fraction < 1:
        raise AfterburnerError("test_fraction must be in [0, 1)")
    ids = sorted(str(p.problem_id) for p in problems)
    if test_fraction == 0 or len(ids) < 2:
        return set()
    random.Random(seed).shuffle(ids)
    count = min(len(ids) - 1, max(1, round(len(ids) * test_fraction)))
    return set(ids[:count])


def build_grpo(
    dataset: str = "venus-mini",
    objectives: Iterable[str] = ("time",),
    languages: Iterable[str] | None = None,
    problems: Iterable[str] | None = None,
    baseline: str = "random",
    seed: int = 0,
    test_fraction: float = 0.2,
    repeat: int | str = 1,
    limits: Limits | None = None,
    sandbox: Any = None,
    progress: Callable[[int, RunReport], None] | None = None,
) -> list[GrpoRow]:
    """The prompts (see the module docstring), train rows first."""
    objectives = list(dict.fromkeys(objectives))
    if not objectives:
        raise AfterburnerError("give at least one objective")
    for objective in objectives:
        parse_objective(objective)
    if baseline not in BASELINES:
        raise AfterburnerError(f"baseline must be one of {', '.join(BASELINES)}, not {baseline!r}")
    selected = _select(dataset, problems)
    pairs = _pairs(selected, languages)
    test_ids = split_problems(selected, test_fraction, seed)
    rng = random.Random(seed)
    planned = [
        (problem, language, objective, rng.choice(solutions).code if baseline == "random" else None)
        for problem, language, solutions in pairs
        for objective in objectives
    ]
    reports = _run_originals(planned, repeat, limits or Limits(), sandbox, progress)
    humans = calibrated_humans(dataset, [problem for problem, _, _ in pairs], {language for _, language, _ in pairs})
    rows = []
    for problem, language, objective, code in planned:
        report = reports.get((str(problem.problem_id), language, code)) if code is not None else None
        original = None
        if code is not None:
            percentiles = {m: _beaten(report, m, humans.values(problem.problem_id, language, m)) for m in METRICS}
            original = Attempt(code, report, percentiles)
        label = RewardLabel(
            problem_id=str(problem.problem_id), language=language, objective=objective, baseline=code, dataset=dataset
        )
        rows.append(
            GrpoRow(
                problem,
                language,
                objective,
                build_messages(problem, language, objective, original),
                label,
                "test" if str(problem.problem_id) in test_ids else "train",
                report.verdict.value if report is not None else None,
            )
        )
    return sorted(rows, key=lambda row: row.split != "train")


def _pairs(problems: list[Problem], languages: Iterable[str] | None) -> list[tuple[Problem, str, list[Solution]]]:
    """(problem, language key, its solutions) with solutions and a toolchain here (asked-for
    languages must have one); solutions may be stored under a Venus spelling (python3, golang)."""
    registry = get_registry()
    wanted = {registry.resolve_language(name).key for name in languages} if languages else None
    keyed = [
        (problem, {registry.resolve_language(name).key: name for name in problem.solutions}) for problem in problems
    ]
    present = sorted({key for _, keys in keyed for key in keys if wanted is None or key in wanted})
    ready, skipped = venus.available_languages(present)
    if skipped and wanted:
        raise AfterburnerError("cannot run here: " + "; ".join(f"{k}: {v}" for k, v in skipped.items()))
    pairs = []
    for problem, keys in keyed:
        for key in ready:
            if key in keys and problem.solutions[keys[key]]:
                pairs.append((problem, key, list(problem.solutions[keys[key]])))
    if not pairs:
        raise AfterburnerError("no (problem, language) with solutions and a toolchain here")
    return pairs


def _run_originals(
    planned: list[tuple[Problem, str, str, str | None]],
    repeat: int | str,
    limits: Limits,
    sandbox: Any,
    progress: Callable[[int, RunReport], None] | None,
) -> dict[tuple[str, str, str], RunReport]:
    """Each distinct original solution run once here: what the prompt reports about it."""
    distinct: dict[tuple[str, str, str], ProblemRunRequest] = {}
    for problem, language, _, code in planned:
        if code is not None:
            distinct.setdefault(
                (str(problem.problem_id), language, code),
                ProblemRunRequest(problem=problem, code=code, language=language, limits=limits, repeat=repeat),
            )
    if not distinct:
        return {}
    if sandbox is None:
        sandbox = Sandbox()
    reports = run_concurrently(
        sandbox, list(distinct.values()), (lambda index, report: progress(index, report)) if progress else None
    )
    return dict(zip(distinct, reports, strict=True))


def _beaten(report: RunReport | None, metric: str, humans: list[float]) -> float | None:
    value = getattr(report, REPORT_FIELD[metric], None) if report is not None and report.passed else None
    return beyond(value, humans) if value is not None and humans else None


# -- writers -------------------------------------------------------------------------------------------


def data_source(dataset: str) -> str:
    return f"afterburner/{Path(dataset).name or dataset}"


def verl_record(row: GrpoRow, index: int) -> dict[str, Any]:
    label = row.label
    return {
        "data_source": data_source(label.dataset or "venus-mini"),
        "prompt": row.prompt,
        "ability": "code",
        "reward_model": {"style": "rule", "ground_truth": label.to_json()},
        "extra_info": {
            "index": index,
            "split": row.split,
            "problem_id": label.problem_id,
            "language": label.language,
            "objective": label.objective,
            "baseline": label.baseline,
            "dataset": label.dataset,
        },
    }


def openrlhf_record(row: GrpoRow) -> dict[str, Any]:
    return {
        "prompt": row.prompt,
        "label": row.label.to_json(),
        "datasource": data_source(row.label.dataset or "venus-mini"),
    }


def write_grpo(rows: list[GrpoRow], out: Path, fmt: str) -> list[Path]:
    """``OUT/train.*`` and, when there are test rows, ``OUT/test.*`` in `fmt` (verl: parquet,
    openrlhf: JSONL)."""
    if fmt not in FORMATS:
        raise AfterburnerError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for split in ("train", "test"):
        part = [row for row in rows if row.split == split]
        if not part:
            continue
        if fmt == "verl":
            import pyarrow as pa
            import pyarrow.parquet as pq

            path = out / f"{split}.parquet"
            pq.write_table(pa.Table.from_pylist([verl_record(row, i) for i, row in enumerate(part)]), path)
        else:
            path = out / f"{split}.jsonl"
            with path.open("w", encoding="utf-8") as handle:
                for row in part:
                    handle.write(json.dumps(openrlhf_record(row), ensure_ascii=False) + "\n")
        written.append(path)
    return written
