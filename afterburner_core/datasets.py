"""Loading problems: the bundled `venus-mini` and local Venus-shaped JSON / JSONL files."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from afterburner_core import hub
from afterburner_core.errors import DatasetError
from afterburner_core.models import Problem
from afterburner_core.plugins import get_registry
from afterburner_core.registry import Registry

DATA_DIR = Path(__file__).resolve().parent / "data"


def registered_datasets(registry: Registry | None = None) -> dict[str, Path]:
    """Datasets that plugins register by name (venus-mini is the core's own)."""
    return {name: Path(info.path) for name, info in (registry or get_registry()).datasets.as_dict().items()}


@functools.lru_cache(maxsize=8)
def load_problems(name: str = "venus-mini", registry: Registry | None = None) -> tuple[Problem, ...]:
    """All problems of a dataset.

    `name` is a registered dataset (``venus-mini``), a directory of per-problem JSON files, a
    JSON/JSONL/parquet file of Venus-, Venus_Python- or APPS-shaped rows, or ``hf:OWNER/NAME[:CONFIG]``
    for a hub dataset (through `datasets`; a Venus config such as ``python3`` sets the language).
    Registered names are looked up in `registry` (the process's own by default).
    """
    if name.startswith("hf:"):
        source, _, config = name[3:].partition(":")
        return tuple(hub.load_problems_from(source, config or None))
    known = registered_datasets(registry)
    path = known.get(name, Path(name))
    if not path.exists():
        raise DatasetError(
            f"dataset {name!r} not found (registered: {', '.join(known)}; "
            "or a .json/.jsonl/.parquet path, or hf:OWNER/NAME[:CONFIG])"
        )
    if path.suffix == ".parquet" or (path.is_dir() and any(path.rglob("*.parquet"))):
        return tuple(hub.load_problems_from(str(path)))
    rows: list[dict] = []
    try:
        if path.is_dir():
            for file in sorted(path.rglob("*.json")):
                row = json.loads(file.read_text(encoding="utf-8"))
                if file.parent.name == "apps":
                    row.setdefault("kind", "stdio")
                rows.append(row)
        elif path.suffix == ".jsonl":
            rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
            rows = data if isinstance(data, list) else [data]
    except (OSError, json.JSONDecodeError) as exc:
        raise DatasetError(f"cannot read dataset {name!r}: {exc}") from exc
    problems = []
    for index, row in enumerate(rows):
        try:
            problems.append(hub.row_to_problem(row))
        except ValueError as exc:
            raise DatasetError(f"dataset {name!r}: row {index} is malformed: {str(exc).splitlines()[0]}") from exc
    return tuple(problems)


def get_problem(problem_id: str, dataset: str = "venus-mini", registry: Registry | None = None) -> Problem:
    """A problem by id or title slug."""
    for problem in load_problems(dataset, registry):
        if str(problem.problem_id) == str(problem_id) or problem.title == problem_id:
            return problem
    raise DatasetError(f"problem {problem_id!r} is not in dataset {dataset!r}")
