"""Pydantic models at the boundaries: requests in, reports out, Venus-shaped data.

Field names and units follow DESIGN.md and are a stable contract: times in milliseconds, memory in
KiB, the memory-time integral in KiB·ms. Extra fields may be added; none may change meaning.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

PLACEHOLDER = "==Code Submission=="


class Verdict(str, Enum):
    """Outcome of a run. Exactly one per report; `accepted` is the only passing one."""

    accepted = "accepted"
    wrong_answer = "wrong_answer"
    runtime_error = "runtime_error"
    time_limit = "time_limit"
    memory_limit = "memory_limit"
    output_limit = "output_limit"
    compile_error = "compile_error"
    sandbox_error = "sandbox_error"
    # The run broke a measurement check (its harness channel out of protocol, more CPU than its one
    # core allows): its figures cannot be trusted, so it fails like any wrong answer.
    tampered = "tampered"


class Limits(BaseModel):
    """Resource limits of one job. `timeout_s` applies to each test (each run in program mode)."""

    model_config = ConfigDict(extra="forbid")

    timeout_s: float = Field(10.0, gt=0, le=3600, description="wall limit per test / per program run, seconds")
    memory_mb: int = Field(1024, gt=0, le=1 << 20, description="peak resident memory of the whole tree, MiB")
    pids: int = Field(64, gt=0, le=100_000, description="processes + threads")
    output_kb: int = Field(16_384, gt=0, description="stdout + stderr per run, KiB")
    file_size_mb: int = Field(64, gt=0, description="largest file the program may write, MiB")
    compile_timeout_s: float = Field(120.0, gt=0, le=3600)
    compile_memory_mb: int = Field(4096, gt=0)


def _check_repeat(value: Any) -> int | str:
    if value == "auto":
        return "auto"
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError("repeat must be a positive integer or 'auto'") from None
    if number < 1 or number > 1000:
        raise ValueError("repeat must be between 1 and 1000, or 'auto'")
    return number


# `repeat`: N runs (medians + 95 % intervals) or "auto" (until the time interval is within ±2 %)
RepeatSpec = Annotated[int | Literal["auto"], BeforeValidator(_check_repeat)]


class ExecutionRequest(BaseModel):
    """A whole program with stdin (Monolith `/execute` semantics)."""

    model_config = ConfigDict(extra="forbid")

    code: str
    language: str
    stdin: str | bytes = ""
    limits: Limits = Field(default_factory=Limits)
    repeat: RepeatSpec = 1


class TestCase(BaseModel):
    """One test: the runner's stdin and the expected stdout."""

    __test__ = False  # not a pytest class
    input: str
    output: str


class Solution(BaseModel):
    """A human (or model) solution with its measured metrics (time ms, memory KiB, integral KiB·ms)."""

    model_config = ConfigDict(extra="allow")

    code: str
    passed: bool = True
    label: str = ""
    time: float | None = None
    memory: float | None = None
    integral: float | None = None


class Problem(BaseModel):
    """A Venus-shaped problem row (see docs/dataset-format.md)."""

    model_config = ConfigDict(extra="allow")

    problem_id: int | str
    title: str
    question_content: str = ""
    difficulty: str = ""
    tags: list[str] = Field(default_factory=list)
    code_prompt: dict[str, str] = Field(default_factory=dict)
    test_case_runners: dict[str, str] = Field(default_factory=dict)
    test_case_evaluator: str | None = None
    test_cases: list[TestCase] = Field(default_factory=list)
    test_case_generator: str | None = None
    solutions: dict[str, list[Solution]] = Field(default_factory=dict)
    kind: Literal["function", "stdio"] = "function"
    # LeetCode's metaData (a function's name, typed params and return, or a design class): runners
    # are generated from it in every language that has no hand-written one (afterburner_core.leetcode)
    metadata: dict[str, Any] | None = Field(None, validation_alias=AliasChoices("metadata", "metaData", "meta_data"))

    @field_validator("metadata", mode="before")
    @classmethod
    def _metadata_may_be_json_text(cls, value: Any) -> Any:
        # LeetCode and hub tables store metaData as JSON text; accept both.
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"metadata is not valid JSON: {exc}") from None
        return value

    # The problem's own limits (per test; LeetCode and Venus rows carry them), used where a request
    # does not set its own; absent, `Limits`' defaults hold.
    time_limit_ms: int | None = Field(None, gt=0)
    memory_limit_mb: int | None = Field(None, gt=0)

    def limits_for(self, requested: Limits) -> Limits:
        """`requested`, with the problem's time and memory limits where the request left them unset
        (an explicit value always wins: a caller may tighten or loosen a problem's limit)."""
        update: dict[str, float | int] = {}
        if self.time_limit_ms is not None and "timeout_s" not in requested.model_fields_set:
            update["timeout_s"] = self.time_limit_ms / 1000
        if self.memory_limit_mb is not None and "memory_mb" not in requested.model_fields_set:
            update["memory_mb"] = self.memory_limit_mb
        return requested.model_copy(update=update) if update else requested

    @field_validator("test_cases", mode="before")
    @classmethod
    def _tests_may_be_json_text(cls, value: Any) -> Any:
        # Venus stores test_cases as a JSON string; accept both.
        if isinstance(value, str):
            return json.loads(value) if value.strip() else []
        return value


class ProblemRunRequest(BaseModel):
    """A solution run against a problem's tests through its runner."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    problem: Problem
    code: str
    language: str
    tests: list[TestCase] | None = Field(None, description="defaults to the problem's stored + generated tests")
    limits: Limits = Field(default_factory=Limits)
    repeat: RepeatSpec = 1


class CompileInfo(BaseModel):
    ok: bool
    cached: bool = False
    ms: float = 0.0
    stderr: str = ""


class FailingTest(BaseModel):
    index: int
    input: str
    expected: str | None = None
    actual: str | None = None
    reason: str = ""


class Interval(BaseModel):
    time_ms: tuple[float, float] | None = None
    cpu_ms: tuple[float, float] | None = None
    memory_kb: tuple[float, float] | None = None
    integral_kb_ms: tuple[float, float] | None = None


class RunReport(BaseModel):
    """The result of one request. Metrics are medians over `repeats` when repeated."""

    model_config = ConfigDict(extra="allow")

    verdict: Verdict
    passed: bool
    tests_passed: int = 0
    tests_total: int = 0
    language: str
    backend: str = "local"
    compile: CompileInfo
    time_ms: float | None = None
    cpu_ms: float | None = None
    memory_kb: float | None = None
    integral_kb_ms: float | None = None
    instructions: int | None = None
    sample_hz: float | None = None
    samples: int = 0
    repeats: int = 0
    ci: Interval = Field(default_factory=Interval)
    exit_code: int | None = None
    signal: int | None = None
    stdout: str = ""
    stderr: str = ""
    failing_test: FailingTest | None = None
    message: str = ""
