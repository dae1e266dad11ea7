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

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from afterburner_core.datasets import get_problem
from afterburner_core.errors import AfterburnerError
from afterburner_core.models import Limits, Problem, ProblemRunRequest, RunReport
from afterburner_core.rewards.base import OBJECTIVES, Reward, RewardInput, get_reward, wants_humans
from afterburner_core.rewards.extract import completion_text, extract_code


@dataclass
class _Batch:
    """A prepared batch: the items (reports still missing) and the requests to run."""

    items: list[RewardInput]
    requests: list[ProblemRunRequest]
    candidate_slots: list[int]  # request index -> item index, for candidate requests
    baseline_slots: list[list[int]] = field(default_factory=list)  # baseline request -> item indices


class TrlRewardAdapter:
    """Turns TRL's batch (prompts, completions, columns) into scored `RewardInput`s."""

    def __init__(self, reward: Reward, dataset: str = "venus-mini", objective: str = "time", sandbox: Any = None,
                 repeat: int | str = 1, limits: Limits | None = None, human_repeat: int | str = 3) -> None:
        if objective not in OBJECTIVES:
            raise AfterburnerError(f"unknown objective {objective!r} (one of: {', '.join(OBJECTIVES)})")
        self.reward = reward
        self.dataset = dataset
        self.objective = objective
        self._sandbox = sandbox
        self.repeat = repeat
        self.limits = limits or Limits()
        self.human_repeat = human_repeat
        self._problems: dict[str, Problem] = {}
        self._languages: dict[str, str] = {}
        self._humans: dict[tuple[str, str], dict[str, list[float]]] = {}
        self.last_components: list[dict[str, float]] = []

    @property
    def sandbox(self) -> Any:
        if self._sandbox is None:
            from afterburner_core.sandbox.api import Sandbox

            self._sandbox = Sandbox()
        return self._sandbox

    # -- preparing -------------------------------------------------------------------------------

    def _problem(self, problem_id: Any) -> Problem:
        key = str(problem_id)
        if key not in self._problems:
            self._problems[key] = get_problem(key, self.dataset)
        return self._problems[key]

    def _language(self, name: Any) -> str:
        key = str(name)
        if key not in self._languages:
            from afterburner_core.plugins import get_manager

            self._languages[key] = get_manager().resolve_language(key).key
        return self._languages[key]

    def prepare(self, completions: Sequence[Any], columns: dict[str, Any]) -> _Batch:
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

        items: list[RewardInput] = []
        requests: list[ProblemRunRequest] = []
        candidate_slots: list[int] = []
        baseline_index: dict[tuple[str, str, str], int] = {}
        baseline_requests: list[ProblemRunRequest] = []
        baseline_slots: list[list[int]] = []
        for i, completion in enumerate(completions):
            problem = self._problem(problem_ids[i])
            language = self._language(languages[i])
            objective = objectives[i] or self.objective
            text = completion_text(completion)
            code = extract_code(completion)
            items.append(RewardInput(problem=problem, language=language, objective=objective, completion=text,
                                     code=code, report=None))
            if code is not None:
                requests.append(self._request(problem, code, language))
                candidate_slots.append(i)
            baseline = baselines[i]
            if isinstance(baseline, str) and baseline.strip():
                key = (str(problem.problem_id), language, baseline)
                if key not in baseline_index:
                    baseline_index[key] = len(baseline_requests)
                    baseline_requests.append(self._request(problem, baseline, language))
                    baseline_slots.append([])
                baseline_slots[baseline_index[key]].append(i)
        return _Batch(items, requests + baseline_requests, candidate_slots, baseline_slots)

    def _request(self, problem: Problem, code: str, language: str) -> ProblemRunRequest:
        return ProblemRunRequest(problem=problem, code=code, language=language, limits=self.limits, repeat=self.repeat)

    # -- finishing -------------------------------------------------------------------------------

    def attach(self, batch: _Batch, reports: Sequence[RunReport]) -> None:
        if len(reports) != len(batch.requests):
            raise AfterburnerError(f"sandbox returned {len(reports)} reports for {len(batch.requests)} requests")
        k = len(batch.candidate_slots)
        for report, i in zip(reports[:k], batch.candidate_slots, strict=True):
            batch.items[i].report = report
        for report, slots in zip(reports[k:], batch.baseline_slots, strict=True):
            for i in slots:
                batch.items[i].baseline = report

    def attach_humans(self, items: Sequence[RewardInput]) -> None:
        wanted = [item for item in items if wants_humans(self.reward, item)]
        missing = {(str(item.problem.problem_id), item.language): item.problem for item in wanted
                   if (str(item.problem.problem_id), item.language) not in self._humans}
        if missing:
            from afterburner_core.litmus.humans import METRICS, human_distribution

            problems = {pid: problem for (pid, _), problem in missing.items()}
            languages = sorted({language for _, language in missing})
            humans = human_distribution(self.dataset, problems.values(), languages, sandbox=self.sandbox,
                                        repeat=self.human_repeat, limits=self.limits)
            for pid, language in missing:
                self._humans[(pid, language)] = {m: humans.values(pid, language, m) for m in METRICS}
        for item in wanted:
            item.humans = self._humans[(str(item.problem.problem_id), item.language)]

    def finish(self, batch: _Batch) -> list[float]:
        self.attach_humans(batch.items)
        outputs = self.reward.score(batch.items)
        if len(outputs) != len(batch.items):
            raise AfterburnerError(f"reward {self.reward.name!r} returned {len(outputs)} scores for {len(batch.items)}")
        self.last_components = [dict(out.components) for out in outputs]
        return [float(out.total) for out in outputs]

    # -- the two entry points ----------------------------------------------------------------------

    def __call__(self, completions: Sequence[Any], columns: dict[str, Any]) -> list[float]:
        batch = self.prepare(completions, columns)
        self.attach(batch, self.sandbox.run_many(batch.requests) if batch.requests else [])
        return self.finish(batch)

    async def acall(self, completions: Sequence[Any], columns: dict[str, Any]) -> list[float]:
        batch = self.prepare(completions, columns)
        reports = await asyncio.to_thread(self.sandbox.run_many, batch.requests) if batch.requests else []
        self.attach(batch, reports)
        return await asyncio.to_thread(self.finish, batch)


def _adapter(name: str, dataset: str, objective: str, sandbox: Any, options: dict[str, Any]) -> TrlRewardAdapter:
    adapter_options = {key: options.pop(key) for key in ("repeat", "limits", "human_repeat") if key in options}
    return TrlRewardAdapter(get_reward(name, **options), dataset, objective, sandbox, **adapter_options)


def _named(fn: Any, name: str, adapter: Any) -> Any:
    """TRL logs reward functions by `__name__`; trainers read `last_components` for logging."""
    fn.__name__ = fn.__qualname__ = f"afterburner_{name}"
    fn.last_components = []
    fn.adapter = adapter
    return fn


def trl_reward(name: str, dataset: str = "venus-mini", objective: str = "time", sandbox: Any = None,
               **options: Any) -> Callable[..., list[float]]:
    """A TRL reward function scoring completions with reward `name` (options: the reward's, plus
    ``repeat``, ``limits`` and ``human_repeat`` for the runs). The last batch's components are on
    ``fn.last_components``; the adapter is on ``fn.adapter``."""
    adapter = _adapter(name, dataset, objective, sandbox, dict(options))

    def fn(prompts: Sequence[Any] | None = None, completions: Sequence[Any] | None = None, **kwargs: Any) -> list[float]:
        rewards = adapter(list(completions or []), kwargs)
        fn.last_components = adapter.last_components  # type: ignore[attr-defined]
        return rewards

    return _named(fn, name, adapter)


def atrl_reward(name: str, dataset: str = "venus-mini", objective: str = "time", sandbox: Any = None,
                **options: Any) -> Callable[..., Any]:
    """The async variant of `trl_reward` (``async def fn(prompts, completions, **kwargs)``): TRL awaits
    it on its reward event loop; the sandbox runs in a worker thread so the loop is not blocked."""
    adapter = _adapter(name, dataset, objective, sandbox, dict(options))

    async def fn(prompts: Sequence[Any] | None = None, completions: Sequence[Any] | None = None,
                 **kwargs: Any) -> list[float]:
        rewards = await adapter.acall(list(completions or []), kwargs)
        fn.last_components = adapter.last_components  # type: ignore[attr-defined]
        return rewards

    return _named(fn, name, adapter)
