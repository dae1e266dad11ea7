"""The execution reward, independent of any trainer: completions in, scored completions out.

Every trainer integration (TRL's reward functions, verl's ``compute_score`` and batch form,
OpenRLHF's remote reward endpoint) turns its own inputs into `RewardTask`s and hands them to one
`ExecutionReward`, so code extraction, request building, baseline de-duplication, the human
distribution and scoring behave the same whichever framework trains the model.

A batch runs every candidate and each *distinct* baseline (problem, language, code) in one
concurrent sandbox batch, so host drift affects a candidate and the code it is compared with alike.
Unparsable completions (no code) are not run. Human values are looked up (measured on this host and
cached on first use) only for the items the reward asks for.

Frameworks that log per-sample extras (verl's ``reward_extra_info``, OpenRLHF's ``extra_logs``)
need the *same keys for every sample*, even when one sample passed and another did not: `log_row`
gives a fixed set of numeric fields per reward (see `log_fields`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from afterburner_core.datasets import get_problem
from afterburner_core.errors import AfterburnerError
from afterburner_core.litmus.humans import METRICS, human_distribution
from afterburner_core.models import Limits, Problem, ProblemRunRequest, RunReport, Verdict
from afterburner_core.objectives import parse_objective
from afterburner_core.plugins import get_registry
from afterburner_core.registry import Registry
from afterburner_core.rewards.base import Reward, RewardInput, RewardOutput, wants_humans
from afterburner_core.rewards.extract import completion_text, extract_code
from afterburner_core.sandbox.api import Sandbox

# A stable number per verdict, for loggers that only take numbers; -1 is "no code found".
VERDICT_CODES: dict[str, int] = {verdict.value: index for index, verdict in enumerate(Verdict)}
UNPARSABLE_CODE = -1
# Fields every log row has, whatever the reward: the trainer's score, pass (verl's core "acc"
# metric), the verdict as a number and whether any code was found.
CORE_LOG_FIELDS: tuple[str, ...] = ("score", "acc", "verdict_code", "parsable")


@dataclass(frozen=True)
class RewardTask:
    """One completion to score and what it answers.

    ``objective`` None means the reward's default; ``baseline`` is the code being improved (None:
    none); ``dataset`` None means the reward's dataset.
    """

    completion: Any
    problem_id: str
    language: str
    objective: str | None = None
    baseline: str | None = None
    dataset: str | None = None


@dataclass
class ScoredCompletion:
    """A completion's score (`total`), its named parts and the verdict of its run (None: no code)."""

    total: float
    components: dict[str, float]
    verdict: str | None

    @property
    def passed(self) -> bool:
        return self.verdict == Verdict.accepted.value


@dataclass
class PreparedBatch:
    """Items whose reports are still missing, and the requests that will fill them in.

    ``candidate_requests[k]`` belongs to item ``candidate_slots[k]``; ``baseline_requests[k]`` is
    the baseline of every item in ``baseline_slots[k]``.
    """

    items: list[RewardInput]
    candidate_requests: list[ProblemRunRequest]
    candidate_slots: list[int]
    baseline_requests: list[ProblemRunRequest] = field(default_factory=list)
    baseline_slots: list[list[int]] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)  # per item

    @property
    def requests(self) -> list[ProblemRunRequest]:
        """Candidates then baselines: what one concurrent sandbox batch runs."""
        return self.candidate_requests + self.baseline_requests


class ExecutionReward:
    """Scores `RewardTask`s with a reward by running them in a sandbox (see the module docstring).

    ``sandbox`` is anything with ``run_many`` (a `Sandbox`, the HTTP client); by default a local
    `Sandbox` is created on first use. ``repeat`` and ``limits`` apply to every run;
    ``human_repeat`` to human solutions measured on first use. ``registry`` resolves languages and
    datasets (by default the sandbox's, else the process's).
    """

    def __init__(
        self,
        reward: Reward,
        dataset: str = "venus-mini",
        objective: str = "time",
        sandbox: Any = None,
        repeat: int | str = 1,
        limits: Limits | None = None,
        human_repeat: int | str = 3,
        registry: Registry | None = None,
    ) -> None:
        parse_objective(objective)
        sandbox_registry = getattr(sandbox, "registry", None)  # a Sandbox has one; the HTTP client does not
        self.registry = registry or (sandbox_registry if isinstance(sandbox_registry, Registry) else get_registry())
        self.reward = reward
        self.dataset = dataset
        self.objective = objective
        self._sandbox = sandbox
        self.repeat = repeat
        self.limits = limits or Limits()
        self.human_repeat = human_repeat
        self._problems: dict[tuple[str, str], Problem] = {}
        self._languages: dict[str, str] = {}
        self._humans: dict[tuple[str, str, str], dict[str, list[float]]] = {}
        self._humans_lock = threading.Lock()  # concurrent callers must not each measure the same humans
        self.last_components: list[dict[str, float]] = []

    @property
    def sandbox(self) -> Any:
        if self._sandbox is None:
            self._sandbox = Sandbox(registry=self.registry)
        return self._sandbox

    # -- preparing -------------------------------------------------------------------------------

    def problem(self, problem_id: Any, dataset: str | None = None) -> Problem:
        key = (dataset or self.dataset, str(problem_id))
        if key not in self._problems:
            self._problems[key] = get_problem(key[1], key[0], self.registry)
        return self._problems[key]

    def language(self, name: Any) -> str:
        key = str(name)
        if key not in self._languages:
            self._languages[key] = self.registry.resolve_language(key).key
        return self._languages[key]

    def request(self, problem: Problem, code: str, language: str) -> ProblemRunRequest:
        return ProblemRunRequest(problem=problem, code=code, language=language, limits=self.limits, repeat=self.repeat)

    def prepare(self, tasks: Sequence[RewardTask]) -> PreparedBatch:
        """Extract the code of every task and build the batch's requests (baselines de-duplicated)."""
        batch = PreparedBatch(items=[], candidate_requests=[], candidate_slots=[])
        baseline_index: dict[tuple[str, str, str, str], int] = {}
        for i, task in enumerate(tasks):
            dataset = task.dataset or self.dataset
            problem = self.problem(task.problem_id, dataset)
            language = self.language(task.language)
            objective = parse_objective(task.objective or self.objective)
            code = extract_code(task.completion)
            batch.items.append(
                RewardInput(
                    problem=problem,
                    language=language,
                    objective=objective,
                    completion=completion_text(task.completion),
                    code=code,
                    report=None,
                )
            )
            batch.datasets.append(dataset)
            if code is not None:
                batch.candidate_requests.append(self.request(problem, code, language))
                batch.candidate_slots.append(i)
            if isinstance(task.baseline, str) and task.baseline.strip():
                key = (dataset, str(problem.problem_id), language, task.baseline)
                if key not in baseline_index:
                    baseline_index[key] = len(batch.baseline_requests)
                    batch.baseline_requests.append(self.request(problem, task.baseline, language))
                    batch.baseline_slots.append([])
                batch.baseline_slots[baseline_index[key]].append(i)
        return batch

    # -- finishing -------------------------------------------------------------------------------

    def attach(self, batch: PreparedBatch, reports: Sequence[RunReport]) -> None:
        """Give each item its reports; `reports` follow ``batch.requests`` (candidates, then baselines)."""
        if len(reports) != len(batch.requests):
            raise AfterburnerError(f"sandbox returned {len(reports)} reports for {len(batch.requests)} requests")
        k = len(batch.candidate_slots)
        for report, i in zip(reports[:k], batch.candidate_slots, strict=True):
            batch.items[i].report = report
        for report, slots in zip(reports[k:], batch.baseline_slots, strict=True):
            for i in slots:
                batch.items[i].baseline = report

    def attach_humans(self, batch: PreparedBatch) -> None:
        wanted = [
            (item, dataset)
            for item, dataset in zip(batch.items, batch.datasets, strict=True)
            if wants_humans(self.reward, item)
        ]
        if wanted:
            with self._humans_lock:
                self._look_up_humans(wanted)
        for item, dataset in wanted:
            item.humans = self._humans[(dataset, str(item.problem.problem_id), item.language)]

    def _look_up_humans(self, wanted: list[tuple[RewardInput, str]]) -> None:
        missing: dict[str, dict[tuple[str, str], Problem]] = {}
        for item, dataset in wanted:
            key = (dataset, str(item.problem.problem_id), item.language)
            if key not in self._humans:
                missing.setdefault(dataset, {})[key[1:]] = item.problem
        if missing:
            for dataset, pairs in missing.items():
                problems = {pid: problem for (pid, _), problem in pairs.items()}
                languages = sorted({language for _, language in pairs})
                humans = human_distribution(
                    dataset,
                    problems.values(),
                    languages,
                    sandbox=self.sandbox,
                    repeat=self.human_repeat,
                    limits=self.limits,
                )
                for pid, language in pairs:
                    self._humans[(dataset, pid, language)] = {m: humans.values(pid, language, m) for m in METRICS}

    def finish(self, batch: PreparedBatch) -> list[ScoredCompletion]:
        """Score the batch once every report is attached (humans looked up where wanted)."""
        self.attach_humans(batch)
        outputs: list[RewardOutput] = self.reward.score(batch.items)
        if len(outputs) != len(batch.items):
            raise AfterburnerError(f"reward {self.reward.name!r} returned {len(outputs)} scores for {len(batch.items)}")
        self.last_components = [dict(out.components) for out in outputs]
        return [
            ScoredCompletion(
                float(out.total), dict(out.components), item.report.verdict.value if item.report is not None else None
            )
            for out, item in zip(outputs, batch.items, strict=True)
        ]

    # -- whole batches -------------------------------------------------------------------------------

    def score(self, tasks: Sequence[RewardTask]) -> list[ScoredCompletion]:
        """Prepare, run everything in one concurrent sandbox batch, and score."""
        batch = self.prepare(tasks)
        self.attach(batch, self.sandbox.run_many(batch.requests) if batch.requests else [])
        return self.finish(batch)

    async def ascore(self, tasks: Sequence[RewardTask]) -> list[ScoredCompletion]:
        """`score` for asyncio callers: the blocking parts run in worker threads."""
        batch = await asyncio.to_thread(self.prepare, tasks)
        reports = await asyncio.to_thread(self.sandbox.run_many, batch.requests) if batch.requests else []
        self.attach(batch, reports)
        return await asyncio.to_thread(self.finish, batch)

    # -- logging -------------------------------------------------------------------------------------

    def log_fields(self) -> tuple[str, ...]:
        """The fixed keys of `log_row`: the core fields, then the reward's declared components
        (``component_names``; a reward without them logs the core fields only)."""
        names = tuple(getattr(self.reward, "component_names", ()) or ())
        return CORE_LOG_FIELDS + tuple(name for name in names if name not in CORE_LOG_FIELDS)

    def log_row(self, scored: ScoredCompletion) -> dict[str, float]:
        """The same numeric keys for every completion; a component a completion lacks (the gain of a
        failing one, say) is 0.0, so a mean over a batch reads like Litmus's passed × term."""
        code = UNPARSABLE_CODE if scored.verdict is None else VERDICT_CODES.get(scored.verdict, UNPARSABLE_CODE)
        row = {
            "score": scored.total,
            "acc": float(scored.passed),
            "verdict_code": float(code),
            "parsable": float(scored.verdict is not None),
        }
        for name in self.log_fields()[len(CORE_LOG_FIELDS) :]:
            row[name] = float(scored.components.get(name, 0.0))
        return row
