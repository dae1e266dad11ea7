"""Rewards as TRL ``GRPOTrainer`` reward functions (TRL itself is not imported).

TRL calls each reward function as ``fn(prompts=..., completions=..., completion_ids=...,
trainer_state=..., **columns)``, where ``columns`` are the dataset's other columns as lists (one
entry per completion), and takes a ``list[float]`` back (``None`` entries become NaN). A coroutine
function (``async def``) is awaited on TRL's reward event loop, concurrently with other async
rewards. The columns read here:

- ``problem_id`` (required): the problem in `dataset`;
- ``language`` (required): a language key or alias (``python3``, ``c++``, ...);
- ``objective`` (optional): ``time`` / ``memory`` / ``integral``, else the adapter's default;
- ``baseline`` (optional): the code being improved. Each distinct (problem, language, code) is run
  once, in the same ``run_many`` batch as the completions, so host drift affects both alike.

Unparsable completions (no code) are not run. Human values are looked up (measured on this host
and cached on first use) only for the items the reward asks for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from afterburner_core.errors import AfterburnerError
from afterburner_core.rewards.base import get_reward
from afterburner_core.rewards.execution import ExecutionReward, RewardTask


class TrlRewardAdapter(ExecutionReward):
    """Turns TRL's batch (completions plus the dataset's columns) into `RewardTask`s and scores them
    with the shared `ExecutionReward` (one concurrent sandbox batch per call)."""

    def tasks(self, completions: Sequence[Any], columns: dict[str, Any]) -> list[RewardTask]:
        n = len(completions)

        def column(name: str, required: bool) -> list[Any]:
            values = columns.get(name)
            if values is None:
                if required:
                    raise AfterburnerError(f"reward needs a dataset column {name!r} (one value per completion)")
                return [None] * n
            if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
                return [values] * n  # a scalar applies to the whole batch
            if len(values) != n:
                raise AfterburnerError(f"column {name!r} has {len(values)} values for {n} completions")
            return list(values)

        problem_ids = column("problem_id", True)
        languages = column("language", True)
        objectives = column("objective", False)
        baselines = column("baseline", False)
        return [
            RewardTask(
                completion=completion,
                problem_id=str(problem_ids[i]),
                language=str(languages[i]),
                objective=objectives[i] or None,
                baseline=baselines[i],
            )
            for i, completion in enumerate(completions)
        ]

    def __call__(self, completions: Sequence[Any], columns: dict[str, Any]) -> list[float]:
        return [scored.total for scored in self.score(self.tasks(completions, columns))]

    async def acall(self, completions: Sequence[Any], columns: dict[str, Any]) -> list[float]:
        return [scored.total for scored in await self.ascore(self.tasks(completions, columns))]


def _adapter(name: str, dataset: str, objective: str, sandbox: Any, options: dict[str, Any]) -> TrlRewardAdapter:
    adapter_options = {key: options.pop(key) for key in ("repeat", "limits", "human_repeat") if key in options}
    return TrlRewardAdapter(get_reward(name, **options), dataset, objective, sandbox, **adapter_options)


def _named(fn: Any, name: str, adapter: Any) -> Any:
    """TRL logs reward functions by `__name__`; trainers read `last_components` for logging."""
    fn.__name__ = fn.__qualname__ = f"afterburner_{name}"
    fn.last_components = []
    fn.adapter = adapter
    return fn


def trl_reward(
    name: str, dataset: str = "venus-mini", objective: str = "time", sandbox: Any = None, **options: Any
) -> Callable[..., list[float]]:
    """A TRL reward function scoring completions with reward `name` (options: the reward's, plus
    ``repeat``, ``limits`` and ``human_repeat`` for the runs). The last batch's components are on
    ``fn.last_components``; the adapter is on ``fn.adapter``."""
    adapter = _adapter(name, dataset, objective, sandbox, dict(options))

    def fn(
        prompts: Sequence[Any] | None = None, completions: Sequence[Any] | None = None, **kwargs: Any
    ) -> list[float]:
        rewards = adapter(list(completions or []), kwargs)
        fn.last_components = adapter.last_components  # type: ignore[attr-defined]
        return rewards

    return _named(fn, name, adapter)


def atrl_reward(
    name: str, dataset: str = "venus-mini", objective: str = "time", sandbox: Any = None, **options: Any
) -> Callable[..., Any]:
    """The async variant of `trl_reward` (``async def fn(prompts, completions, **kwargs)``): TRL awaits
    it on its reward event loop; the sandbox runs in a worker thread so the loop is not blocked."""
    adapter = _adapter(name, dataset, objective, sandbox, dict(options))

    async def fn(
        prompts: Sequence[Any] | None = None, completions: Sequence[Any] | None = None, **kwargs: Any
    ) -> list[float]:
        rewards = await adapter.acall(list(completions or []), kwargs)
        fn.last_components = adapter.last_components  # type: ignore[attr-defined]
        return rewards

    return _named(fn, name, adapter)
