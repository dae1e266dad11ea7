"""Venus-style rows from the Hugging Face hub or local files, through `datasets`, as Problems.

Shapes recognised (row by row, so mixed files work):
- the native / leetcode_data shape: `code_prompt`, `test_case_runners` and `solutions` keyed by
  language (Venus spellings such as ``python3`` or ``golang`` are normalised);
- the Venus_Python shape: one language, `code_prompt` / `test_case_runners` as strings and
  `solutions` a list of ``{code, passed, time, memory, integral}``;
- the per-language Venus configs: ``question_id`` with ``rt_list`` / ``mm_list`` of human
  submissions (no runner: such a row runs once it carries LeetCode's ``metadata``/``metaData``
  and ``test_cases`` — runners are then generated in every language — or a runner is supplied);
- APPS rows: ``question``, ``solutions`` (JSON list of programs), tests as ``input_output``
  (``{"inputs": [...], "outputs": [...]}``) or ``test_cases`` (a list of ``{input, output}``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from afterburner_core.errors import DatasetError
from afterburner_core.models import PLACEHOLDER, Problem
from afterburner_core.objectives import OBJECTIVES
from afterburner_core.plugins import canonical_language, get_registry

LOCAL_SUFFIXES = {".json": "json", ".jsonl": "json", ".parquet": "parquet"}


_language = canonical_language  # Venus spellings (python3, golang, ...) -> plugin keys


def _json(value: Any, default: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value) if value.strip() else default
        except json.JSONDecodeError:
            return default
    return default if value is None else value


def row_to_problem(row: dict[str, Any], language: str | None = None) -> Problem:
    """One row of any recognised shape → Problem. `language` names a single-language table."""
    if "question" in row and "question_content" not in row:
        return _apps_row(row, language or "python")
    if "rt_list" in row or "mm_list" in row:
        return _venus_config_row(row, language or "python")
    lang = _language(language or row.get("language") or "python")
    solutions = row.get("solutions")
    if isinstance(solutions, list):  # Venus_Python: one language
        row = dict(row)
        row["solutions"] = {lang: [_solution(s) for s in solutions]}
        for key in ("code_prompt", "test_case_runners"):
            if isinstance(row.get(key), str):
                row[key] = {lang: row[key]}
    else:
        row = dict(row)
        for key in ("code_prompt", "test_case_runners", "solutions"):
            value = _json(row.get(key), {})
            row[key] = {_language(k): v for k, v in value.items()} if isinstance(value, dict) else {}
        row["solutions"] = {k: [_solution(s) for s in v] for k, v in row["solutions"].items()}
    row["test_cases"] = _json(row.get("test_cases"), [])
    row["tags"] = list(row.get("tags") or [])
    row.update(_limits(row))
    row.setdefault("title", str(row.get("problem_id", "")))
    return Problem.model_validate(row)


def _limits(row: dict[str, Any]) -> dict[str, int]:
    """The row's time and memory limits under the names datasets use: ``time_limit_ms`` /
    ``memory_limit_mb`` (ours), or ``time_limit`` in seconds and ``memory_limit`` in MiB (LeetCode
    style), when they are positive numbers."""
    limits: dict[str, int] = {}
    for ours, theirs, scale in (("time_limit_ms", "time_limit", 1000), ("memory_limit_mb", "memory_limit", 1)):
        value = row.get(ours)
        if value is None and isinstance(row.get(theirs), int | float) and not isinstance(row.get(theirs), bool):
            value = row[theirs] * scale
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            limits[ours] = int(value)
    return limits


def _solution(item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        return {"code": item, "passed": True}
    solution = dict(item)
    for metric in OBJECTIVES:
        value = solution.get(metric)
        if isinstance(value, float) and value == float("inf"):
            solution[metric] = None
    return solution


def _venus_config_row(row: dict[str, Any], language: str) -> Problem:
    lang = _language(language)
    seen: dict[str, dict[str, Any]] = {}
    for key in ("rt_list", "mm_list"):
        for item in row.get(key) or []:
            code = item.get("code") if isinstance(item, dict) else item
            if code and code not in seen:
                seen[code] = {"code": code, "passed": True}
    problem_id = row.get("question_id", row.get("problem_id"))
    # With LeetCode's metadata and tests the row is runnable in every language (generated runners)
    carried = {key: row[key] for key in _CONFIG_ROW_CARRIED if row.get(key) not in (None, "", [])}
    return Problem(
        problem_id=problem_id,
        title=str(row.get("title") or row.get("title_slug") or row.get("name") or problem_id),
        solutions={lang: list(seen.values())},
        **carried,
        **_limits(row),
    )


_CONFIG_ROW_CARRIED = (
    "metadata",
    "metaData",
    "meta_data",
    "test_cases",
    "test_case_generator",
    "test_case_evaluator",
    "question_content",
    "difficulty",
    "tags",
)


def _apps_row(row: dict[str, Any], language: str) -> Problem:
    tests = _json(row.get("test_cases"), None)
    if not tests:
        io = _json(row.get("input_output"), {}) or {}
        tests = [
            {"input": _text(i), "output": _text(o)}
            for i, o in zip(io.get("inputs", []), io.get("outputs", []), strict=False)
        ]
    solutions = [_solution(s) for s in _json(row.get("solutions"), [])]
    problem_id = row.get("problem_id", row.get("id"))
    return Problem(
        problem_id=problem_id,
        title=str(row.get("title") or f"apps-{problem_id}"),
        question_content=row.get("question", ""),
        difficulty=str(row.get("difficulty") or ""),
        code_prompt={_language(language): row.get("starter_code") or ""},
        test_case_runners={_language(language): PLACEHOLDER},
        test_cases=tests,
        solutions={_language(language): solutions},
        kind="stdio",
    )


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(map(str, value)) + "\n"
    return str(value)


def load_rows(source: str, config: str | None = None, split: str = "train") -> list[dict[str, Any]]:
    """Rows from a local JSON/JSONL/parquet file (or directory of them) or a hub dataset id."""
    try:
        import datasets
    except ImportError as exc:
        raise DatasetError("loading hub/parquet datasets needs `datasets`: pip install 'afterburner[data]'") from exc
    path = Path(source)
    try:
        if path.exists():
            files = sorted(p for p in path.rglob("*") if p.suffix in LOCAL_SUFFIXES) if path.is_dir() else [path]
            if not files:
                raise DatasetError(f"no .json/.jsonl/.parquet files under {source}")
            builder = LOCAL_SUFFIXES[files[0].suffix]
            table = datasets.load_dataset(builder, data_files=[str(f) for f in files], split="train")
        else:
            table = datasets.load_dataset(source, config, split=split)
    except DatasetError:
        raise
    except (ConnectionError, OSError) as exc:
        raise DatasetError(
            f"cannot load {source!r} from the Hugging Face hub ({type(exc).__name__}); offline? "
            "download it where the hub is reachable and pass the local file"
        ) from exc
    except Exception as exc:
        raise DatasetError(f"cannot load {source!r}: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}") from exc
    return [dict(row) for row in table]


def load_problems_from(
    source: str, config: str | None = None, split: str = "train", language: str | None = None
) -> list[Problem]:
    """Problems of any recognised shape; a Venus config name (``python3``, ...) sets the language."""
    lang = language or (config if config and get_registry().names_a_language(config) else None)
    problems = []
    for index, row in enumerate(load_rows(source, config, split)):
        try:
            problems.append(row_to_problem(row, lang))
        except ValueError as exc:
            raise DatasetError(
                f"{source}: row {index} is not a recognised Venus/APPS row: {str(exc).splitlines()[0]}"
            ) from exc
    return problems


def push_to_hub(problems: list[Problem], repo_id: str, private: bool = True, **kwargs: Any) -> Any:
    """Publish problems in the hub shape (shares `export_rows` with `afterburner dataset export`)."""
    import datasets

    return datasets.Dataset.from_list(export_rows(problems)).push_to_hub(repo_id, private=private, **kwargs)


def export_rows(problems: list[Problem]) -> list[dict[str, Any]]:
    """Hub-shaped rows: the native schema with `test_cases` as JSON text, as Venus stores it."""
    rows = []
    for problem in problems:
        row = problem.model_dump(mode="json")
        row["test_cases"] = json.dumps(row["test_cases"])
        # LeetCode's metaData is JSON text on the hub too (and a struct would differ row by row)
        row["metadata"] = json.dumps(row["metadata"]) if row.get("metadata") is not None else None
        rows.append(row)
    return rows
