"""Validation of typed problems: every generated runner compiles, parses every test, prints JSON.

Hand-written runners are validated by their problem's solutions. A generated runner exists in
every language with a plugin, including languages the problem has no solution in (a Venus
per-language config row has one language), so validation also runs a *stub* solution — the
plugin's starter code returning a default value — through each runner against every test, with
an evaluator that only requires one well-formed JSON value per test. Expected outputs are checked
against the result type here too, so a malformed test fails validation, not a user's run.
"""

from __future__ import annotations

import json

from afterburner_core.errors import DatasetError
from afterburner_core.languages import LanguagePlugin
from afterburner_core.leetcode.judge import AnswerFormatError, canonical_answer, canonical_value
from afterburner_core.leetcode.runners import problem_signature, starter_code
from afterburner_core.leetcode.signature import DesignSignature
from afterburner_core.models import Problem, TestCase
from afterburner_core.plugins import get_registry
from afterburner_core.problems import problem_tests
from afterburner_core.venus import SolutionJob

STUB_LABEL = "generated runner probe (stub solution)"
JSON_ONLY_EVALUATOR = (
    "import json\n\n\n"
    "def evaluate(expected_output, program_output):\n"
    "    json.loads(program_output)  # raises (a wrong answer) unless the runner printed one JSON value\n"
    "    return True\n"
)


def runner_probe(problem: Problem, language_key: str) -> tuple[Problem, str] | None:
    """(problem whose evaluator accepts any JSON answer, stub solution) for a typed problem, else None.

    The problem keeps its hand-written runner where it has one: validation then checks the runner a
    real run would use.
    """
    signature = problem_signature(problem)
    if signature is None:
        return None
    stub = starter_code(signature, language_key, "default")
    if stub is None:
        raise DatasetError(f"the {language_key} plugin cannot generate code for LeetCode-typed problems")
    return problem.model_copy(update={"test_case_evaluator": JSON_ONLY_EVALUATOR}), stub


def malformed_tests(problem: Problem, tests: list[TestCase]) -> list[str]:
    """One line per stored/generated test whose input or expected output does not fit the signature."""
    signature = problem_signature(problem)
    if signature is None:
        return []
    if isinstance(signature, DesignSignature):
        return [
            f"test {index}: {error}"
            for index, test in enumerate(tests)
            for error in _design_test_errors(signature, test)
        ]
    errors = []
    for index, test in enumerate(tests):
        lines = [line for line in test.input.split("\n") if line.strip()]
        if len(lines) != len(signature.params):
            errors.append(f"test {index}: {len(lines)} input lines for {len(signature.params)} parameters")
            continue
        for param, line in zip(signature.params, lines, strict=True):
            try:
                canonical_answer(line, param.type, signature.compare.model_copy(update={"unordered": "none"}))
            except AnswerFormatError as exc:
                errors.append(f"test {index}: parameter {param.name} ({param.type}): {exc}")
        try:
            canonical_answer(test.output, signature.result_type, signature.compare)
        except AnswerFormatError as exc:
            errors.append(f"test {index}: expected output ({signature.result_type}): {exc}")
    return errors


def _design_test_errors(signature: DesignSignature, test: TestCase) -> list[str]:
    """What is wrong with one design test: call names, argument lists and the expected answers."""
    lines = [line for line in test.input.split("\n") if line.strip()]
    shape = "input must be two lines: the call names and their argument lists (JSON arrays)"
    if len(lines) != 2:
        return [shape]
    try:
        calls, arguments, answers = json.loads(lines[0]), json.loads(lines[1]), json.loads(test.output)
    except json.JSONDecodeError as exc:
        return [f"not JSON: {exc}"]
    if not isinstance(calls, list) or not isinstance(arguments, list):
        return [shape]
    if not calls or calls[0] != signature.classname or len(arguments) != len(calls):
        return [f"the calls must start with {signature.classname!r} and have one argument list each"]
    if not isinstance(answers, list) or len(answers) != len(calls):
        return ["expected output must be a JSON array with one value per call"]
    errors = []
    for index, (name, values, answer) in enumerate(zip(calls, arguments, answers, strict=True)):
        method = signature.method(name) if index else None
        if index and method is None:
            errors.append(f"call {index}: no method {name!r}")
            continue
        params = method.params if method else signature.constructor.params
        if not isinstance(values, list) or len(values) != len(params):
            errors.append(f"call {index} ({name}): expected {len(params)} arguments")
            continue
        checks = [(value, param.type, f"argument {param.name}") for value, param in zip(values, params, strict=True)]
        if method is None or method.returns.type.is_void:
            if answer is not None:
                errors.append(f"call {index} ({name}): expected answer must be null")
        else:
            checks.append((answer, method.returns.type, "expected answer"))
        for value, type_, what in checks:
            try:
                canonical_value(value, type_)
            except AnswerFormatError as exc:
                errors.append(f"call {index} ({name}): {what} ({type_}): {exc}")
    return errors


def typed_languages(problems: list[Problem]) -> set[str]:
    """Every installed language with a runner generator, when any problem is typed (else none)."""
    if not any(problem.metadata for problem in problems):
        return set()

    return {
        key
        for key, info in get_registry().languages.items()
        if type(info.plugin).leetcode_runner is not LanguagePlugin.leetcode_runner
    }


def typed_probe_jobs(problems: list[Problem], languages: list[str]) -> list[SolutionJob]:
    """A stub-solution job per typed problem and language: the runner must handle every test."""
    jobs = []
    for problem in problems:
        for language in languages:
            probe = runner_probe(problem, language)
            if probe is not None:
                probe_problem, stub = probe
                jobs.append(SolutionJob(probe_problem, language, -1, True, STUB_LABEL, stub))
    return jobs


def typed_test_errors(problems: list[Problem]) -> list[dict]:
    """Validation mismatches (the `dataset validate` shape) for tests that do not fit their signature."""
    failures = []
    for problem in problems:
        for error in malformed_tests(problem, problem_tests(problem)):
            failures.append(
                {
                    "problem": problem.title,
                    "language": "all",
                    "index": None,
                    "label": "tests",
                    "expected_pass": True,
                    "verdict": "malformed_test",
                    "reason": error,
                }
            )
    return failures
