"""Loaders for every Venus/APPS shape, from files the tests write (the hub itself is offline here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from afterburner_core.datasets import load_problems
from afterburner_core.errors import DatasetError
from afterburner_core.models import ProblemRunRequest, Verdict
from tests.helpers import require_language

datasets = pytest.importorskip("datasets")

RUNNER = "import sys\n==Code Submission==\nprint(Solution().double(int(sys.stdin.read())))\n"
VENUS_PYTHON_ROW = {
    "problem_id": 7,
    "title": "double-it",
    "question_content": "Double n.",
    "difficulty": "Easy",
    "tags": ["math"],
    "code_prompt": "class Solution:\n    def double(self, n: int) -> int:\n",
    "test_case_generator": "",
    "test_case_evaluator": "def evaluate(expected_output, program_output):\n    return expected_output.strip() == program_output.strip()\n",
    "test_case_runners": RUNNER,
    "test_cases": json.dumps([{"input": "2\n", "output": "4\n"}, {"input": "-3\n", "output": "-6\n"}]),
    "solutions": [
        {
            "code": "class Solution:\n    def double(self, n):\n        return 2 * n\n",
            "status": "success",
            "passed": True,
            "time": 12.5,
            "memory": 9000.0,
            "integral": 1e5,
        },
        {
            "code": "class Solution:\n    def double(self, n):\n        return n + n + 1\n",
            "status": "success",
            "passed": False,
            "time": float("inf"),
            "memory": float("inf"),
            "integral": float("inf"),
        },
    ],
}


def _write_parquet(path: Path, rows: list[dict]) -> None:
    datasets.Dataset.from_list(rows).to_parquet(str(path))


def test_venus_python_shape_from_jsonl_and_parquet(tmp_path: Path, engine) -> None:
    jsonl = tmp_path / "venus_python.jsonl"
    row = dict(VENUS_PYTHON_ROW)
    row["solutions"] = [{**s, "time": None if s["time"] == float("inf") else s["time"]} for s in row["solutions"]]
    jsonl.write_text(json.dumps(row) + "\n")
    parquet = tmp_path / "venus_python.parquet"
    _write_parquet(parquet, [row])
    for source in (jsonl, parquet):
        (problem,) = load_problems(str(source))
        assert problem.test_case_runners == {"python": RUNNER}
        assert [s.passed for s in problem.solutions["python"]] == [True, False]
        assert len(problem.test_cases) == 2
    require_language("python")
    good = engine.run_problem(
        ProblemRunRequest(problem=problem, code=problem.solutions["python"][0].code, language="python")
    )
    bad = engine.run_problem(
        ProblemRunRequest(problem=problem, code=problem.solutions["python"][1].code, language="python")
    )
    assert good.verdict == Verdict.accepted and bad.verdict == Verdict.wrong_answer


def test_native_multi_language_shape_with_venus_spellings(tmp_path: Path) -> None:
    row = {
        "problem_id": 1,
        "title": "t",
        "code_prompt": json.dumps({"python3": "x", "golang": "y"}),
        "test_case_runners": {"python3": RUNNER, "cpp": "==Code Submission==\n"},
        "test_cases": [{"input": "1\n", "output": "2\n"}],
        "solutions": {"python3": ["class Solution: pass"], "c++": [{"code": "int main(){}", "passed": False}]},
    }
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps(row) + "\n")
    (problem,) = load_problems(str(path))
    assert set(problem.code_prompt) == {"python", "go"}
    assert set(problem.solutions) == {"python", "cpp"}
    assert problem.solutions["python"][0].passed


def test_venus_language_config_shape(tmp_path: Path) -> None:
    rows = [{"question_id": 11, "rt_list": [{"code": "a"}, {"code": "b"}], "mm_list": [{"code": "b"}, {"code": "c"}]}]
    path = tmp_path / "venus_cpp.parquet"
    _write_parquet(path, rows)
    from afterburner_core.hub import load_problems_from

    (problem,) = load_problems_from(str(path), language="cpp")
    assert [s.code for s in problem.solutions["cpp"]] == ["a", "b", "c"]


def test_apps_shapes_run_through_the_same_path(tmp_path: Path, engine) -> None:
    rows = [
        {
            "problem_id": 3,
            "question": "Print a+b.",
            "difficulty": "introductory",
            "starter_code": "",
            "solutions": json.dumps(["a, b = map(int, input().split())\nprint(a + b)\n"]),
            "input_output": json.dumps({"inputs": ["1 2\n", "5 5\n"], "outputs": ["3\n", "10\n"]}),
            "test_cases": None,
        },
        {
            "problem_id": 4,
            "question": "Echo.",
            "difficulty": "interview",
            "starter_code": "",
            "solutions": json.dumps(["print(input())\n"]),
            "input_output": None,
            "test_cases": json.dumps([{"input": "hi\n", "output": "hi\n"}]),
        },
    ]
    path = tmp_path / "apps.parquet"
    _write_parquet(path, rows)
    problems = load_problems(str(path))
    assert [p.kind for p in problems] == ["stdio", "stdio"]
    assert len(problems[0].test_cases) == 2
    require_language("python")
    for problem in problems:
        report = engine.run_problem(
            ProblemRunRequest(problem=problem, code=problem.solutions["python"][0].code, language="python")
        )
        assert report.verdict == Verdict.accepted, report


def test_malformed_and_missing_sources_are_clear_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"problem_id": 1, "test_cases": 5}\n')
    with pytest.raises(DatasetError, match="row 0"):
        load_problems(str(bad))
    with pytest.raises(DatasetError, match="not found"):
        load_problems(str(tmp_path / "nope.jsonl"))


def test_push_to_hub_shape_round_trips_locally(tmp_path: Path) -> None:
    """push_to_hub and export share `export_rows`; a local save/load of that table round-trips."""
    from afterburner_core.hub import export_rows

    problems = list(load_problems("venus-mini"))[:3]
    table = datasets.Dataset.from_list(export_rows(problems))
    table.to_parquet(str(tmp_path / "train.parquet"))
    again = load_problems(str(tmp_path / "train.parquet"))
    assert [p.problem_id for p in again] == [p.problem_id for p in problems]
    assert again[0].test_cases == problems[0].test_cases
    assert again[0].solutions == problems[0].solutions
