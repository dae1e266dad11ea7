"""`afterburner dataset import-leetcode`: a directory of LeetCode problems → Venus-shaped rows.

Layout of one problem directory (docs/dataset-format.md, "Importing LeetCode problems"):

    problem.json        {"problem_id": 1, "title": "two-sum", "difficulty": "Easy", "tags": [...]}
    statement.md        the statement (markdown)
    metadata.json       LeetCode's metaData (+ optional "compare": {"unordered", "float_tolerance"})
    tests/NAME.in       one JSON value per parameter per line
    tests/NAME.out      the expected answer as JSON
    generator.py        optional: test_case_generator source (generate(rng) -> [{input, output}])
    Solution*.EXT       human solutions; a name containing "wrong" is expected to fail
    starter.EXT         optional starter code (else generated from the metadata)

DIR is one such directory or a directory of them. Every problem is checked before anything is
written: the metadata parses, every test fits the signature, every file's language is known.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from afterburner_core.errors import DatasetError
from afterburner_core.leetcode.probes import malformed_tests
from afterburner_core.leetcode.runners import starter_code
from afterburner_core.leetcode.signature import parse_signature
from afterburner_core.models import Problem, Solution, TestCase
from afterburner_core.plugins import get_registry

METADATA_FILE = "metadata.json"
WRONG = re.compile(r"wrong", re.IGNORECASE)


class ProblemInfo(BaseModel):
    """problem.json: the fields LeetCode's metaData does not carry."""

    model_config = ConfigDict(extra="forbid")

    problem_id: int | str
    title: str | None = None
    difficulty: str = ""
    tags: list[str] = Field(default_factory=list)


def _extensions() -> dict[str, str]:
    """File extension → language key, from the installed plugins' source file names."""
    found = {}
    for key, info in get_registry().languages.items():
        suffix = Path(info.source_name).suffix.lstrip(".")
        if suffix:
            found[suffix] = key
    return found


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read: {exc}") from None


def _json_file(path: Path) -> Any:
    try:
        return json.loads(_read(path))
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}: not valid JSON: {exc}") from None


def _info(directory: Path) -> ProblemInfo:
    path = directory / "problem.json"
    if not path.exists():
        raise DatasetError(f"{directory}: missing problem.json (it needs at least a problem_id)")
    try:
        return ProblemInfo.model_validate(_json_file(path))
    except ValidationError as exc:
        item = exc.errors()[0]
        where = ".".join(str(p) for p in item.get("loc", ()))
        raise DatasetError(f"{path}: {where}: {item.get('msg')}") from None


def _tests(directory: Path) -> list[TestCase]:
    folder = directory / "tests"
    if not folder.is_dir():
        raise DatasetError(f"{directory}: missing tests/ (NAME.in + NAME.out per test)")
    inputs = {p.stem: p for p in folder.glob("*.in")}
    outputs = {p.stem: p for p in folder.glob("*.out")}
    unpaired = sorted(set(inputs) ^ set(outputs))
    if unpaired:
        raise DatasetError(f"{folder}: tests without their .in or .out: {', '.join(unpaired)}")
    if not inputs:
        raise DatasetError(f"{folder}: no tests (NAME.in + NAME.out)")
    return [
        TestCase(input=_read(inputs[name]), output=_read(outputs[name]).strip())
        for name in sorted(inputs, key=_natural)
    ]


def _natural(name: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def _code_files(directory: Path, prefix: str) -> dict[str, list[Path]]:
    extensions = _extensions()
    found: dict[str, list[Path]] = {}
    for path in sorted(directory.glob(f"{prefix}*.*"), key=lambda p: _natural(p.name)):
        language = extensions.get(path.suffix.lstrip("."))
        if language is None:
            raise DatasetError(
                f"{path}: unknown language extension {path.suffix!r} (installed: {', '.join(sorted(extensions))})"
            )
        found.setdefault(language, []).append(path)
    return found


def _label(path: Path) -> str:
    label = path.stem[len("Solution") :].strip("_- ").replace("_", " ")
    return label or "solution"


def import_problem(directory: Path) -> Problem:
    """One problem directory → Problem (raises DatasetError naming the file at fault)."""
    info = _info(directory)
    metadata_path = directory / METADATA_FILE
    if not metadata_path.exists():
        raise DatasetError(f"{directory}: missing {METADATA_FILE} (LeetCode's metaData)")
    metadata = _json_file(metadata_path)
    signature = parse_signature(metadata, where=str(metadata_path))
    statement = directory / "statement.md"
    generator = directory / "generator.py"
    solutions = {
        language: [Solution(code=_read(path), passed=not WRONG.search(path.stem), label=_label(path)) for path in paths]
        for language, paths in _code_files(directory, "Solution").items()
    }
    if not solutions:
        raise DatasetError(f"{directory}: no Solution*.<ext> files")
    starters = {language: _read(paths[0]) for language, paths in _code_files(directory, "starter").items()}
    for language in _extensions().values():
        if language not in starters:
            generated = starter_code(signature, language)
            if generated is not None:
                starters[language] = generated
    problem = Problem(
        problem_id=info.problem_id,
        title=info.title or directory.name,
        question_content=_read(statement) if statement.exists() else "",
        difficulty=info.difficulty,
        tags=info.tags,
        code_prompt=starters,
        test_cases=_tests(directory),
        metadata=metadata,
        test_case_generator=_read(generator) if generator.exists() else None,
        solutions=solutions,
    )
    errors = malformed_tests(problem, list(problem.test_cases))
    if errors:
        raise DatasetError(
            f"{directory}/tests: {errors[0]}" + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else "")
        )
    return problem


def problem_directories(root: Path) -> list[Path]:
    """`root` itself when it is a problem directory, else its subdirectories (each must be one)."""
    if not root.is_dir():
        raise DatasetError(f"{root}: not a directory")
    if (root / METADATA_FILE).exists():
        return [root]
    children = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    if not children:
        raise DatasetError(f"{root}: neither a problem directory ({METADATA_FILE}) nor a directory of them")
    return children


def import_directory(root: Path) -> list[Problem]:
    """Every problem under `root`, checked (including unique ids) before anything is written."""
    problems = [import_problem(directory) for directory in problem_directories(root)]
    seen: dict[str, str] = {}
    for problem in problems:
        key = str(problem.problem_id)
        if key in seen:
            raise DatasetError(f"{root}: problem_id {key} is used by both {seen[key]} and {problem.title}")
        seen[key] = problem.title
    return problems
