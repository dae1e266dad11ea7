"""Problem helpers shared by the engine, the datasets and the evaluator: tests and evaluators."""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import random
import secrets
from collections.abc import Callable
from pathlib import Path

from afterburner_core.errors import DatasetError
from afterburner_core.languages import LanguageInfo
from afterburner_core.leetcode import typed_evaluator, typed_runner
from afterburner_core.models import PLACEHOLDER, Problem, TestCase
from afterburner_core.paths import cache_root

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
    return function


def evaluator_source(problem: Problem) -> str:
    """The evaluator as text, the default one named (what a calibration's content key hashes)."""
    return problem.test_case_evaluator or "exact_match"


def evaluator_of(problem: Problem) -> Evaluator:
    """The problem's own evaluator; else, for a typed problem, canonical-JSON comparison; else exact."""
    if problem.test_case_evaluator:
        return _compile_evaluator(problem.test_case_evaluator)
    if problem.metadata:
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


SEED_ENV = "AFTERBURNER_TEST_SEED"


@functools.cache
def _seed_key(root: Path) -> bytes:
    """This host's secret for hidden tests: random bytes kept under the cache root, readable by
    its owner only -- and a jailed program sees nothing of the cache root."""
    directory = root / "secret"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / "test-seed.key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as handle:
        key = secrets.token_bytes(32)
        handle.write(key)
    return key


def hidden_test_seed(problem_id: int | str) -> str:
    """The seed of a problem's generated tests: a keyed hash of its id. A program that carries the
    dataset's generator cannot replay it without the key ($AFTERBURNER_TEST_SEED, to reproduce
    one test set on several hosts, else the host's secret); the tests are deterministic per key."""
    configured = os.environ.get(SEED_ENV)
    key = configured.encode() if configured else _seed_key(cache_root())
    return hmac.new(key, str(problem_id).encode(), hashlib.sha256).hexdigest()


def problem_tests(problem: Problem, generated: bool = True) -> list[TestCase]:
    """Stored tests, then the generator's (deterministic per problem and key: `hidden_test_seed`)."""
    tests = list(problem.test_cases)
    if generated and problem.test_case_generator:
        tests.extend(_generated(problem.test_case_generator, hidden_test_seed(problem.problem_id)))
    if not tests:
        raise DatasetError(f"problem {problem.problem_id} has no test cases")
    return tests


def runner_source(problem: Problem, language: LanguageInfo, code: str) -> str:
    """The runner of `language` (its hand-written one under its key or an alias, else the one its
    plugin generates for a typed problem) with the solution substituted for its placeholder line."""
    language_key = language.key
    runner = None
    for name in (language_key, *language.aliases):
        if name in problem.test_case_runners:
            runner = problem.test_case_runners[name]
            break
    if runner is None and problem.metadata:
        runner = typed_runner(problem, language.plugin)
    if runner is None:
        if problem.kind == "stdio":
            runner = PLACEHOLDER
        else:
            raise DatasetError(f"problem {problem.problem_id} has no {language_key} runner")
    if PLACEHOLDER not in runner:
        raise DatasetError(f"problem {problem.problem_id}: the {language_key} runner lacks the line {PLACEHOLDER}")
    return runner.replace(PLACEHOLDER, code.strip("\n"), 1)
