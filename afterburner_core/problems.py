"""Problem helpers shared by the engine, the datasets and the evaluator: tests and evaluators."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable

from afterburner_core.errors import DatasetError
from afterburner_core.models import PLACEHOLDER, Problem, TestCase

Evaluator = Callable[[str, str], bool]


def exact_match(expected_output: str, program_output: str) -> bool:
    """Default evaluator: equal after stripping trailing whitespace of each line and of the text."""
    def norm(text: str) -> list[str]:
        return [line.rstrip() for line in text.rstrip().splitlines()]

    return norm(expected_output) == norm(program_output)


@functools.lru_cache(maxsize=512)
def _compile_evaluator(source: str) -> Evaluator:
    namespace: dict[str, object] = {}
    try:
        exec(compile(source, "<test_case_evaluator>", "exec"), namespace)  # dataset code, trusted
    except Exception as exc:
        raise DatasetError(f"the problem's evaluator does not compile: {exc}") from exc
    function = namespace.get("evaluate")
    if not callable(function):
        raise DatasetError("the problem's test_case_evaluator defines no evaluate(expected_output, program_output)")
    return function  # type: ignore[return-value]


def evaluator_of(problem: Problem) -> Evaluator:
    """The problem's own evaluator; else, for a typed problem, canonical-JSON comparison; else exact."""
    if problem.test_case_evaluator:
        return _compile_evaluator(problem.test_case_evaluator)
    if problem.metadata:
        from afterburner_core.leetcode import typed_evaluator

        return typed_evaluator(problem)
    return exact_match


@functools.lru_cache(maxsize=256)
def _generated(source: str, seed: int | str) -> tuple[TestCase, ...]:
    namespace: dict[str, object] = {}
    try:
        exec(compile(source, "<test_case_generator>", "exec"), namespace)
        generate = namespace["generate"]
        items = generate(random.Random(seed))  # type: ignore[operator]
        return tuple(TestCase(input=item["input"], output=item["output"]) for item in items)
    except Exception as exc:
        raise DatasetError(f"the problem's test_case_generator failed: {type(exc).__name__}: {exc}") from exc


def problem_tests(problem: Problem, generated: bool = True) -> list[TestCase]:
    """Stored tests, then the generator's (deterministic: seeded with the problem id)."""
    tests = list(problem.test_cases)
    if generated and problem.test_case_generator:
        tests.extend(_generated(problem.test_case_generator, problem.problem_id))
    if not tests:
        raise DatasetError(f"problem {problem.problem_id} has no test cases")
    return tests


def runner_source(problem: Problem, language_key: str, aliases: tuple[str, ...], code: str) -> str:
    """The runner of `language_key` with the solution substituted for its placeholder line."""
    runner = None
    for name in (language_key, *aliases):
        if name in problem.test_case_runners:
            runner = problem.test_case_runners[name]
            break
    if runner is None and problem.metadata:
        from afterburner_core.leetcode import typed_runner

        runner = typed_runner(problem, language_key)
    if runner is None:
        if problem.kind == "stdio":
            runner = PLACEHOLDER
        else:
            raise DatasetError(f"problem {problem.problem_id} has no {language_key} runner")
    if PLACEHOLDER not in runner:
        raise DatasetError(f"problem {problem.problem_id}: the {language_key} runner lacks the line {PLACEHOLDER}")
    return runner.replace(PLACEHOLDER, code.strip("\n"), 1)
