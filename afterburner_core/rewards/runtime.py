"""A configured execution reward for trainers that call it from their own processes.

verl (``compute_score``) and OpenRLHF (``reward_func`` in a file) call a reward function with no
object to hold state, many times, from many threads: `runtime(options)` gives each process one
`RewardRuntime` per configuration, built on first use and reused by every later call (its sandbox,
problem and human caches, and the `SharedBaselines` of concurrent per-sample calls).

The options (validated: unknown keys are refused): ``reward`` (afterburner | percentile | speedup |
a plugin's), ``reward_options`` (the reward's own), ``dataset``, ``objective`` (default for labels
without one), ``backend`` (local | docker | ray) with ``backend_options``, or ``server_url`` (+
``token``) to run on an ``afterburner serve``, ``timeout_s`` (per test) and ``memory_mb``,
``repeat``, ``human_repeat`` and ``baseline_ttl_s``.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from afterburner_core.errors import AfterburnerError
from afterburner_core.models import Limits, RepeatSpec
from afterburner_core.rewards.base import get_reward
from afterburner_core.rewards.baselines import DEFAULT_TTL_S, SharedBaselines
from afterburner_core.rewards.execution import ExecutionReward, RewardTask, ScoredCompletion
from afterburner_core.sandbox.api import Sandbox
from afterburner_core.validation import one_line


class RewardRuntimeConfig(BaseModel):
    """The options of a runtime (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    reward: str = "afterburner"
    reward_options: dict[str, Any] = Field(default_factory=dict)
    dataset: str = "venus-mini"
    objective: Literal["time", "memory", "integral"] = "time"
    backend: str = "local"
    backend_options: dict[str, Any] = Field(default_factory=dict)
    server_url: str | None = None
    token: str | None = None
    timeout_s: float | None = Field(None, gt=0, le=3600)
    memory_mb: int | None = Field(None, gt=0)
    repeat: RepeatSpec = 1
    human_repeat: RepeatSpec = 3
    baseline_ttl_s: float = Field(DEFAULT_TTL_S, ge=0)

    def limits(self) -> Limits:
        values: dict[str, Any] = {}
        if self.timeout_s is not None:
            values["timeout_s"] = self.timeout_s
        if self.memory_mb is not None:
            values["memory_mb"] = self.memory_mb
        return Limits(**values)


class RewardRuntime:
    """One configured reward per process and configuration: its sandbox, caches and shared baselines."""

    def __init__(self, config: RewardRuntimeConfig, sandbox: Any = None) -> None:
        self.config = config
        self.engine = ExecutionReward(
            get_reward(config.reward, **config.reward_options),
            config.dataset,
            config.objective,
            sandbox if sandbox is not None else self._sandbox(config),
            config.repeat,
            config.limits(),
            config.human_repeat,
        )
        self.shared = SharedBaselines(config.baseline_ttl_s)

    @staticmethod
    def _sandbox(config: RewardRuntimeConfig) -> Any:
        if config.server_url:
            from afterburner_core.server.client import AfterburnerClient  # optional: needs httpx

            return AfterburnerClient(config.server_url, token=config.token)

        return Sandbox(config.backend, **config.backend_options)

    def score_shared(self, tasks: Sequence[RewardTask]) -> list[ScoredCompletion]:
        """For callers that send a few samples at a time, concurrently: baselines shared between calls."""
        batch = self.engine.prepare(tasks)
        candidates, baselines = self.shared.run(
            batch.candidate_requests, batch.baseline_requests, self.engine.sandbox.run_many
        )
        self.engine.attach(batch, candidates + baselines)
        return self.engine.finish(batch)

    def score_batch(self, tasks: Sequence[RewardTask]) -> list[ScoredCompletion]:
        """For callers that send a whole step: one sandbox batch, each distinct baseline run once in it."""
        return self.engine.score(tasks)

    def close(self) -> None:
        close = getattr(self.engine.sandbox, "close", None)
        if callable(close):
            close()


_runtimes: dict[str, RewardRuntime] = {}
_runtimes_lock = threading.Lock()


def parse_config(options: Mapping[str, Any], where: str = "reward options") -> RewardRuntimeConfig:
    try:
        return RewardRuntimeConfig.model_validate({key: plain(value) for key, value in options.items()})
    except ValidationError as error:
        raise AfterburnerError(f"{where}: {one_line(error)}") from None


def runtime(options: Mapping[str, Any], where: str = "reward options") -> RewardRuntime:
    """The process's runtime for this configuration (built on first use, then reused by every call)."""
    config = parse_config(options, where)
    key = config.model_dump_json()
    with _runtimes_lock:
        if key not in _runtimes:
            _runtimes[key] = RewardRuntime(config)
        return _runtimes[key]


def _close_all() -> None:
    with _runtimes_lock:
        runtimes = list(_runtimes.values())
        _runtimes.clear()
    for each in runtimes:
        each.close()


atexit.register(_close_all)


def plain(value: Any) -> Any:
    """OmegaConf containers (verl's config) and numpy scalars as plain Python values."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or type(value).__name__ == "ListConfig":
        return [plain(v) for v in value]
    if type(value).__module__ == "numpy" and callable(getattr(value, "tolist", None)):
        return plain(value.tolist())  # numpy scalars and arrays
    return value
