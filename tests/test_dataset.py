"""venus-mini: integrity of the bundled data, the dataset CLI, export round trip, validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from afterburner_core.datasets import get_problem, load_problems
from afterburner_core.leetcode import typed_runner
from afterburner_core.models import PLACEHOLDER
from afterburner_core.plugins import get_manager
from afterburner_core.problems import evaluator_of, problem_tests
from tests.helpers import LANGUAGES, run_cli

PROBLEMS = load_problems("venus-mini")


def test_sizes() -> None:
    function = [p for p in PROBLEMS if p.kind == "function"]
    stdio = [p for p in PROBLEMS if p.kind == "stdio"]
    assert len(function) >= 12 and len(stdio) >= 5
    assert len({p.problem_id for p in PROBLEMS}) == len(PROBLEMS)


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: p.title)
def test_problem_is_complete(problem) -> None:
    manager = get_manager()
    languages = {manager.resolve_language(k).key for k in problem.solutions}
    assert languages == set(LANGUAGES)
    tests = problem_tests(problem)
    assert len(tests) >= (20 if problem.kind == "function" else 15)
    assert problem_tests(problem) == tests, "the generator must be deterministic"
    evaluate = evaluator_of(problem)
    assert evaluate(tests[0].output, tests[0].output)
    for language, solutions in problem.solutions.items():
        correct = [s for s in solutions if s.passed]
        wrong = [s for s in solutions if not s.passed]
        # typed problems (generated runners, issue 17) carry 3 correct solutions per language, a slow and a fast one
        assert len(correct) >= (3 if problem.kind == "stdio" or problem.metadata else 4), (problem.title, language)
        assert len(wrong) >= 1, (problem.title, language)
        if problem.kind == "function":
            runner = problem.test_case_runners.get(language) or typed_runner(
                problem, manager.resolve_language(language).plugin
            )
            assert runner is not None and runner.count(PLACEHOLDER) == 1
            assert problem.code_prompt.get(language)


def test_cli_list_and_show() -> None:
    listing = run_cli("dataset", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    rows = json.loads(listing.stdout)
    assert len(rows) == len(PROBLEMS)
    shown = run_cli("dataset", "show", "count-primes", "--json")
    assert json.loads(shown.stdout)["title"] == "count-primes"
    missing = run_cli("dataset", "show", "nope")
    assert missing.returncode == 2 and "not in dataset" in missing.stderr


def test_export_round_trip(tmp_path: Path) -> None:
    result = run_cli("dataset", "export", "--out", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    path = Path(json.loads(result.stdout)["path"])
    reloaded = load_problems(str(path))
    assert [p.problem_id for p in reloaded] == [p.problem_id for p in PROBLEMS]
    original = get_problem("count-primes")
    again = next(p for p in reloaded if p.title == "count-primes")
    assert again.test_cases == original.test_cases and again.solutions == original.solutions


def test_validate_one_problem_in_python() -> None:
    result = run_cli("dataset", "validate", "--problem", "run-length-encode", "--language", "python", "--json")
    summary = json.loads(result.stdout)
    assert result.returncode == 0, summary["mismatches"]
    assert summary["ok"] and summary["solutions"] >= 5


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_validate_everything_in_every_language() -> None:
    """The dataset's acceptance test: every correct solution passes, every wrong one fails."""
    result = run_cli("dataset", "validate", "--json", timeout=3600)
    summary = json.loads(result.stdout)
    assert summary["skipped_languages"] == {}
    assert summary["mismatches"] == [], json.dumps(summary["mismatches"], indent=1)
