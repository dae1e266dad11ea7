"""The contract types: what plugins hand the core from the registration hooks (`hookspecs`), and
what the core hands back. They live beside the hook specifications, below everything else, so
that the plugin manager, the registries and any plugin can import them without importing the
sandbox, the rewards or the generators that use them.

- languages: `LanguageInfo` (from `afterburner_core.languages`, with the `LanguagePlugin` base);
- backends: `BackendInfo` whose factory builds a `Backend`;
- rewards: objects satisfying `Reward` (`score(list[RewardInput]) -> list[RewardOutput]`);
- datasets: `DatasetInfo` (a name and a path the core reads);
- generators: `GeneratorInfo` whose factory builds a `Generator`.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from afterburner_core.languages import LanguageInfo, LanguagePlugin
from afterburner_core.models import ExecutionRequest, Problem, ProblemRunRequest, RunReport
from afterburner_core.objectives import Objective, parse_objective, value_of

if TYPE_CHECKING:
    from afterburner_core.registry import Registry

Messages = list[dict[str, str]]

DEFAULT_TEMPERATURE = 0.7
DEFAULT_MAX_NEW_TOKENS = 1024


# ------------------------------------------------------------------------------ backends
@runtime_checkable
class Backend(Protocol):
    """What a backend factory builds: it runs requests and says how many it runs at once."""

    name: str

    @property
    def parallel(self) -> int:
        """How many requests it measures at once (one per exclusive core): callers size their
        thread pools by it."""
        ...

    @property
    def cores(self) -> tuple[int, ...]:
        """The cores of this host it pins measured jobs to (empty when the work runs elsewhere)."""
        ...

    def execute(self, request: ExecutionRequest) -> RunReport: ...

    def run_problem(self, request: ProblemRunRequest) -> RunReport: ...

    def close(self) -> None:
        """Release what it holds (containers, actors); idempotent."""
        ...


@dataclass(frozen=True)
class BackendInfo:
    """A backend plugin's description. ``factory(registry=..., **options)`` builds the backend: the
    registry is the one the `Sandbox` was given (the languages to run), the options are the user's."""

    name: str
    description: str
    factory: Callable[..., Backend]

    def create(self, registry: Registry, **options: Any) -> Backend:
        return self.factory(registry=registry, **options)


# ------------------------------------------------------------------------------ datasets
@dataclass(frozen=True)
class DatasetInfo:
    """A dataset plugin's description: the core reads `path` itself (`datasets.load_problems`): a
    directory of per-problem ``.json`` files, or a ``.json`` / ``.jsonl`` / ``.parquet`` file of
    Venus-shaped rows."""

    name: str
    description: str
    path: Path


# ------------------------------------------------------------------------------ generators
@runtime_checkable
class Generator(Protocol):
    """Anything with this method is a generator (the optimizer and trainers need nothing else)."""

    def generate(
        self,
        batch_of_messages: list[Messages],
        n: int = 1,
        temperature: float = DEFAULT_TEMPERATURE,
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        seed: int | None = None,
    ) -> list[list[str]]:
        """``n`` completions (assistant text only) per conversation, in input order.

        ``temperature <= 0`` means greedy decoding; ``seed`` makes sampling reproducible where the
        backend allows it.
        """
        ...


@dataclass(frozen=True)
class GeneratorInfo:
    """A generator plugin's description: ``create(target, **options)`` builds one.

    ``target`` is what follows the colon in the spec (a model path, hub id or served model name).
    """

    name: str
    description: str
    factory: Callable[..., Generator]

    def create(self, target: str, **options: Any) -> Generator:
        return self.factory(target, **options)


# ------------------------------------------------------------------------------ rewards
@dataclass
class RewardInput:
    """One completion to score, after execution.

    `code` is None when nothing could be extracted from the completion (unparsable); `report` is
    then None too. `baseline` is the report of the code being improved (None: no baseline, which
    counts as a failed one). `humans` maps a metric (time / memory / integral) to the values of the
    problem's correct human solutions; it is empty when the reward did not ask for them or there
    are none.
    """

    problem: Problem
    language: str
    objective: Objective
    completion: str
    code: str | None
    report: RunReport | None
    baseline: RunReport | None = None
    humans: dict[str, list[float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        parse_objective(self.objective)

    @property
    def parsable(self) -> bool:
        return self.code is not None

    @property
    def passed(self) -> bool:
        return self.report is not None and self.report.passed

    @property
    def baseline_passed(self) -> bool:
        return self.baseline is not None and self.baseline.passed

    def value(self) -> float | None:
        """The candidate's objective metric (None unless it passed and was measured)."""
        return value_of(self.report, self.objective) if self.passed else None

    def baseline_value(self) -> float | None:
        return value_of(self.baseline, self.objective) if self.baseline_passed else None

    def human_median(self) -> float | None:
        values = self.humans.get(self.objective) or []
        return float(statistics.median(values)) if values else None


@dataclass
class RewardOutput:
    """A score: `total` is what the trainer optimises, `components` its named parts (for logging)."""

    total: float
    components: dict[str, float] = field(default_factory=dict)


@runtime_checkable
class Reward(Protocol):
    """What a reward plugin returns from ``afterburner_rewards``.

    Optional: ``wants_humans(item) -> bool`` (or a ``needs_humans`` bool attribute) tells the TRL
    adapter to look up the human distribution for that item before scoring; ``configure(**options)``
    returns a reward configured with options (else the object itself is used, options refused);
    ``component_names`` (a tuple) lists every key ``components`` may hold, so loggers that need the
    same keys for every sample (verl, OpenRLHF) can log them all.
    """

    @property
    def name(self) -> str:
        """What `get_reward` finds it by (a dataclass field or a class attribute satisfies it)."""
        ...

    def score(self, items: Sequence[RewardInput]) -> list[RewardOutput]: ...


__all__ = [
    "DEFAULT_MAX_NEW_TOKENS",
    "DEFAULT_TEMPERATURE",
    "Backend",
    "BackendInfo",
    "DatasetInfo",
    "Generator",
    "GeneratorInfo",
    "LanguageInfo",
    "LanguagePlugin",
    "Messages",
    "Reward",
    "RewardInput",
    "RewardOutput",
]
