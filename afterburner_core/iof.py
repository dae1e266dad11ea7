"""The Iterative Optimization Framework (IOF): a model improves its own code from execution feedback.

Iteration 0 asks for a solution from scratch. Every later iteration shows the model the **best
solution so far** (not the latest candidate, as the original code did) with its measured outcome —
verdict, first failing test / stderr on failure, metrics with units and human percentiles on
success — using the one prompt template of `afterburner_core.prompts`, so test time matches
training.

**When a candidate replaces the best so far** (`is_improvement`, noise-aware; lower is better for
all three objectives, fixing the original's reversed comparison for ``integral``):

* nothing kept yet (or the kept one produced no code) → a candidate with code is kept;
* candidate fails, best passes → never;
* candidate passes, best fails → always;
* both fail → only if the candidate passes strictly more tests;
* both pass → only if the candidate's objective metric is lower **and** the difference is beyond
  measurement noise: with ≥ ``MIN_REPEATS_FOR_CI`` repeats on both sides and 95 % intervals
  (``report.ci``) present, the intervals must not overlap (candidate's upper end below the best's
  lower end); with fewer repeats (or no intervals) the candidate must be better by at least
  ``MARGIN`` (10 %) of the best's value.

Each iteration may draw ``samples_per_iteration`` candidates; they are measured and compared with the
best one after another. The history records every candidate (code, completion, verdict, metrics
with units, intervals, percentiles, kept or not, and why).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from afterburner_core.datasets import get_problem
from afterburner_core.generators.base import DEFAULT_MAX_NEW_TOKENS, Generator
from afterburner_core.litmus.humans import HumanDistribution, human_distribution
from afterburner_core.litmus.percentile import beyond
from afterburner_core.models import Limits, Problem, ProblemRunRequest, RunReport
from afterburner_core.objectives import FIELD_UNIT, OBJECTIVES, REPORT_FIELD
from afterburner_core.plugins import get_registry
from afterburner_core.prompts import Attempt, build_messages
from afterburner_core.rewards.extract import extract_code
from afterburner_core.sandbox.api import Sandbox

MIN_REPEATS_FOR_CI = 3
MARGIN = 0.10
NO_CODE = "no_code"  # the verdict recorded when a completion holds no code to run


@dataclass
class Candidate:
    """One generated solution and what measuring it showed."""

    iteration: int
    sample: int
    code: str | None
    completion: str
    verdict: str
    passed: bool
    tests_passed: int = 0
    tests_total: int = 0
    metrics: dict[str, float | None] = field(default_factory=dict)  # time_ms, memory_kb, integral_kb_ms
    units: dict[str, str] = field(default_factory=lambda: dict(FIELD_UNIT))
    ci: dict[str, list[float] | None] = field(default_factory=dict)
    repeats: int = 0
    percentiles: dict[str, float | None] = field(default_factory=dict)  # metric -> fraction of humans beaten
    kept: bool = False
    reason: str = ""
    report: RunReport | None = field(default=None, repr=False)

    def value(self, objective: str) -> float | None:
        return self.metrics.get(REPORT_FIELD[objective])

    def attempt(self) -> Attempt:
        return Attempt(self.code or "", self.report, dict(self.percentiles))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("report")
        return data


def is_improvement(candidate: Candidate, best: Candidate | None, objective: str) -> tuple[bool, str]:
    """Whether `candidate` should replace `best` (see the module docstring), and why."""
    if candidate.code is None:
        return False, "no code in the completion"
    if best is None or best.code is None:
        return True, "first candidate with code"
    if not candidate.passed:
        if best.passed:
            return False, "fails while the best so far passes"
        if candidate.tests_passed > best.tests_passed:
            return True, f"fails, but passes more tests ({candidate.tests_passed} > {best.tests_passed})"
        return False, "fails, and passes no more tests than the best so far"
    if not best.passed:
        return True, "passes where the best so far fails"
    key = REPORT_FIELD[objective]
    new, old = candidate.metrics.get(key), best.metrics.get(key)
    unit = FIELD_UNIT[key]
    if new is None or old is None:
        return False, f"{objective} not measured"
    if new >= old:
        return False, f"not better: {new:,.3f} {unit} vs {old:,.3f} {unit}"
    new_ci, old_ci = candidate.ci.get(key), best.ci.get(key)
    if (
        candidate.repeats >= MIN_REPEATS_FOR_CI
        and best.repeats >= MIN_REPEATS_FOR_CI
        and new_ci is not None
        and old_ci is not None
    ):
        if new_ci[1] < old_ci[0]:
            return True, (
                f"better beyond noise: 95% CI {new_ci[0]:,.3f}–{new_ci[1]:,.3f} {unit} below "
                f"{old_ci[0]:,.3f}–{old_ci[1]:,.3f} {unit}"
            )
        return False, f"within noise: 95% intervals overlap ({new:,.3f} vs {old:,.3f} {unit})"
    if new <= old * (1 - MARGIN):
        return True, f"better by ≥ {MARGIN:.0%} (too few repeats for intervals): {new:,.3f} vs {old:,.3f} {unit}"
    return False, f"better by < {MARGIN:.0%} with too few repeats to tell from noise"


@dataclass
class OptimizationResult:
    problem_id: str
    title: str
    language: str
    objective: str
    iterations: int
    history: list[Candidate]
    best: Candidate | None
    curve: list[dict[str, Any]]  # per iteration: the best so far after it

    @property
    def metric(self) -> str:
        return REPORT_FIELD[self.objective]

    def to_dict(self) -> dict[str, Any]:
        return {
            "problem_id": self.problem_id,
            "title": self.title,
            "language": self.language,
            "objective": self.objective,
            "metric": self.metric,
            "unit": FIELD_UNIT[self.metric],
            "iterations": self.iterations,
            "best": None if self.best is None else self.best.to_dict(),
            "curve": self.curve,
            "history": [c.to_dict() for c in self.history],
        }

    def plot(self, path: str | Path) -> Path:
        """The optimisation curve: best so far and every candidate's objective value, per iteration."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        unit = FIELD_UNIT[self.metric]
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
        xs = [point["iteration"] for point in self.curve]
        best_values = [point["value"] for point in self.curve]
        top.step(
            xs,
            [v if v is not None else float("nan") for v in best_values],
            where="post",
            label="best so far",
            color="tab:blue",
        )
        for candidate in self.history:
            value = candidate.value(self.objective)
            if candidate.passed and value is not None:
                top.scatter(
                    [candidate.iteration],
                    [value],
                    color="tab:green" if candidate.kept else "tab:gray",
                    marker="o",
                    zorder=3,
                )
            else:
                top.axvline(candidate.iteration, color="tab:red", alpha=0.15)
        top.set_ylabel(f"{self.objective} ({unit})")
        top.set_title(f"IOF on {self.title} ({self.language}, objective {self.objective}); red = failed")
        top.legend(loc="best")
        shares = [point["percentile"] for point in self.curve]
        bottom.plot(xs, [s * 100 if s is not None else float("nan") for s in shares], marker="o", color="tab:orange")
        bottom.set_ylim(-2, 102)
        bottom.set_ylabel(f"best: % humans beaten ({self.objective})")
        bottom.set_xlabel("iteration")
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
        return path


class Optimizer:
    """IOF driver: ``Optimizer(generator).optimize(problem, language, objective, iterations)``.

    `problem` is a `Problem` or an id/slug of `dataset`. Human percentiles come from this host's
    distribution (measured now if not calibrated yet); pass ``humans`` to supply one, or
    ``use_humans=False`` to skip them.
    """

    def __init__(
        self,
        generator: Generator,
        sandbox: Any = None,
        dataset: str = "venus-mini",
        repeat: int | str = 3,
        samples_per_iteration: int = 1,
        temperature: float | None = None,
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        seed: int | None = None,
        limits: Limits | None = None,
        humans: HumanDistribution | None = None,
        use_humans: bool = True,
        progress: Any = None,
    ) -> None:
        if samples_per_iteration < 1:
            raise ValueError("samples_per_iteration must be at least 1")
        self.generator = generator
        self._sandbox = sandbox
        self.dataset = dataset
        self.repeat = repeat
        self.samples = samples_per_iteration
        # greedy for one sample per iteration (as the paper), sampling when several are drawn
        self.temperature = temperature if temperature is not None else (0.0 if samples_per_iteration == 1 else 0.8)
        self.max_new_tokens = max_new_tokens
        self.seed = seed
        self.limits = limits or Limits()
        self.humans = humans
        self.use_humans = use_humans
        self.progress = progress or (lambda candidate: None)

    @property
    def sandbox(self) -> Any:
        if self._sandbox is None:
            self._sandbox = Sandbox()
        return self._sandbox

    def _problem(self, problem: Problem | str) -> Problem:
        if isinstance(problem, Problem):
            return problem

        return get_problem(str(problem), self.dataset)

    def _human_values(self, problem: Problem, language: str) -> dict[str, list[float]]:
        if not self.use_humans:
            return {}
        if self.humans is None or not self.humans.has(problem.problem_id, language):
            self.humans = human_distribution(
                self.dataset, [problem], [language], sandbox=self.sandbox, repeat=self.repeat
            )
        return {m: self.humans.values(problem.problem_id, language, m) for m in OBJECTIVES}

    def _measure(
        self,
        problem: Problem,
        language: str,
        iteration: int,
        sample: int,
        completion: str,
        humans: dict[str, list[float]],
    ) -> Candidate:
        code = extract_code(completion)
        if code is None:
            return Candidate(iteration, sample, None, completion, NO_CODE, False)
        report = self.sandbox.run_problem(
            ProblemRunRequest(problem=problem, code=code, language=language, limits=self.limits, repeat=self.repeat)
        )
        metrics = {key: getattr(report, key) for key in FIELD_UNIT}
        ci = {key: (list(getattr(report.ci, key)) if getattr(report.ci, key) else None) for key in FIELD_UNIT}
        percentiles: dict[str, float | None] = {}
        if report.passed:
            for objective, key in REPORT_FIELD.items():
                value = metrics[key]
                percentiles[objective] = None if value is None else beyond(value, humans.get(objective, []))
        return Candidate(
            iteration,
            sample,
            code,
            completion,
            report.verdict.value,
            report.passed,
            report.tests_passed,
            report.tests_total,
            metrics,
            dict(FIELD_UNIT),
            ci,
            report.repeats,
            percentiles,
            report=report,
        )

    def optimize(
        self, problem: Problem | str, language: str, objective: str = "time", iterations: int = 3
    ) -> OptimizationResult:
        """Run `iterations` rounds (iteration 0 from scratch) and return the history and the best."""
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, not {objective!r}")
        if iterations < 1:
            raise ValueError("iterations must be at least 1")

        language = get_registry().resolve_language(language).key
        problem = self._problem(problem)
        humans = self._human_values(problem, language)
        best: Candidate | None = None
        history: list[Candidate] = []
        curve: list[dict[str, Any]] = []
        for iteration in range(iterations):
            original = best.attempt() if best is not None and best.code is not None else None
            messages = build_messages(problem, language, objective, original)
            seed = None if self.seed is None else self.seed + iteration
            completions = self.generator.generate(
                [messages], n=self.samples, temperature=self.temperature, max_new_tokens=self.max_new_tokens, seed=seed
            )[0]
            for sample, completion in enumerate(completions):
                candidate = self._measure(problem, language, iteration, sample, completion, humans)
                candidate.kept, candidate.reason = is_improvement(candidate, best, objective)
                if candidate.kept:
                    best = candidate
                history.append(candidate)
                self.progress(candidate)
            curve.append(
                {
                    "iteration": iteration,
                    "passed": bool(best and best.passed),
                    "value": best.value(objective) if best and best.passed else None,
                    "percentile": best.percentiles.get(objective) if best and best.passed else None,
                    "best_from_iteration": None if best is None else best.iteration,
                }
            )
        return OptimizationResult(
            str(problem.problem_id), problem.title, language, objective, iterations, history, best, curve
        )
