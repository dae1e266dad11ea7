"""The request and response bodies of the HTTP service (pydantic): what `/execute`, `/run` and
`/batch` accept, and the one error shape every failure answers with."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from afterburner_core.models import ExecutionRequest, Limits, Problem, RepeatSpec, TestCase


class _LimitFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timeout: float | None = Field(None, gt=0, le=3600, description="wall limit in seconds (per test for /run)")
    memory_mb: int | None = Field(None, gt=0, le=1 << 20, description="memory limit of the whole tree, MiB")
    limits: Limits | None = Field(None, description="full limits; `timeout` / `memory_mb` override its fields")
    repeat: RepeatSpec = Field(1, description="N measured runs (medians + 95% intervals) or 'auto'")

    def build_limits(self) -> Limits:
        values = (self.limits or Limits()).model_dump()
        if self.timeout is not None:
            values["timeout_s"] = self.timeout
        if self.memory_mb is not None:
            values["memory_mb"] = self.memory_mb
        return Limits(**values)


class ExecuteBody(_LimitFields):
    """A whole program with stdin: the Monolith ``/execute`` request shape."""

    kind: Literal["execute"] = "execute"
    code: str
    language: str
    stdin: str | None = ""
    libraries: list[str] | None = Field(None, description="refused when non-empty: images carry their dependencies")
    run_profiling: bool | None = Field(None, description="accepted for Monolith compatibility; always measured")
    run_memory_profile: bool | None = Field(None, description="accepted for Monolith compatibility")

    def to_request(self) -> ExecutionRequest:
        return ExecutionRequest(
            code=self.code,
            language=self.language,
            stdin=self.stdin or "",
            limits=self.build_limits(),
            repeat=self.repeat,
        )


class RunBody(_LimitFields):
    """A solution against a problem's tests: ``problem_id`` (+ ``dataset``) or an inline ``problem``."""

    kind: Literal["run"] = "run"
    problem_id: int | str | None = None
    dataset: str = "venus-mini"
    problem: Problem | None = Field(None, description="an inline Venus-shaped problem row")
    tests: list[TestCase] | None = Field(None, description="default: the problem's stored + generated tests")
    language: str
    code: str

    @model_validator(mode="after")
    def _one_problem(self) -> RunBody:
        if (self.problem_id is None) == (self.problem is None):
            raise ValueError("give exactly one of 'problem_id' or 'problem'")
        return self


def _item_kind(value: Any) -> str:
    if isinstance(value, dict):
        kind = value.get("kind")
        if kind in ("execute", "run"):
            return kind
        return "run" if ("problem_id" in value or "problem" in value) else "execute"
    return getattr(value, "kind", "execute")


BatchItem = Annotated[
    Annotated[ExecuteBody, Tag("execute")] | Annotated[RunBody, Tag("run")], Discriminator(_item_kind)
]


class BatchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[BatchItem] = Field(..., description="execute items (code, stdin) and run items (problem) in any mix")


class ErrorBody(BaseModel):
    error: str
