"""Typed-runner benchmark (issue 17): generated runners against the human solutions, and their cost.

    python -m benchmarks.typed_runners [--repeat 3] > typed_runners.json

For every LeetCode-typed venus-mini problem and every language with a toolchain:
- `generate_ms`: generating the runner from the metadata (cold: caches cleared);
- `correct_accepted` / `wrong_rejected`: how many human solutions labelled correct pass through the
  generated runner and how many labelled wrong fail — the share that behaves as labelled;
- `stub_ms_per_test`: measured time per test of a trivial solution (the plugin's starter code
  returning a default value, with an evaluator that accepts any JSON answer), i.e. what the
  runner itself costs per test on the problem's own (stored + generated, up to 20,000-element) tests.

And, for the two problems that also have hand-written runners (`benchmarks/typed_hand_runners.py`:
pair-sum-indices, reverse-linked-list), the same trivial solution through both runners, interleaved,
on the same tests: `generated_ms_per_test`, `hand_written_ms_per_test` and their ratio (`summary`:
their geometric mean and range over languages and problems). The 1-minute load average at the start
and end is recorded: on a shared host, per-test milliseconds move with it. Results go to stdout and
to `benchmarks/results/typed_runners.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from afterburner_core.datasets import load_problems
from afterburner_core.errors import SandboxError
from afterburner_core.leetcode import parse_signature, runners, starter_code
from afterburner_core.leetcode.probes import JSON_ONLY_EVALUATOR
from afterburner_core.models import Problem, ProblemRunRequest, RunReport
from afterburner_core.plugins import get_registry
from afterburner_core.problems import problem_tests
from afterburner_core.sandbox.api import Sandbox, run_concurrently
from benchmarks.typed_hand_runners import HAND_WRITTEN
from tests.helpers import LANGUAGES

RESULTS = Path(__file__).resolve().parent / "results" / "typed_runners.json"


class RetryingSandbox:
    """The sandbox, retrying a job once when the sandbox itself fails (SandboxError): on this shared
    machine other users' jobs occasionally break a jail's set-up. A second failure is raised."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.parallel = sandbox.parallel

    def run_problem(self, request: ProblemRunRequest) -> RunReport:
        try:
            return self.sandbox.run_problem(request)
        except SandboxError as exc:
            print(f"typed_runners: retrying after a sandbox failure: {exc}", file=sys.stderr)
            time.sleep(1)
            return self.sandbox.run_problem(request)


def available_languages() -> list[str]:
    return [key for key in LANGUAGES if get_registry().resolve_language(key).toolchain().available]


def generation_ms(problems: list[Problem], language: str) -> float:
    runners._runner.cache_clear()
    plugin = get_registry().resolve_language(language).plugin
    started = time.perf_counter()
    for problem in problems:
        runners.typed_runner(problem, plugin)
    return round((time.perf_counter() - started) * 1000 / len(problems), 3)


def accept_any_json(problem: Problem, hand_runner: str | None = None, language: str = "") -> Problem:
    update: dict = {"test_case_evaluator": JSON_ONLY_EVALUATOR}
    if hand_runner is not None:
        update["test_case_runners"] = {language: hand_runner}
    return problem.model_copy(update=update)


def per_test_ms(report: RunReport) -> float | None:
    if not report.passed or report.time_ms is None or not report.tests_total:
        return None
    return round(report.time_ms / report.tests_total, 4)


def acceptance(sandbox: RetryingSandbox, problems: list[Problem], language: str, repeat: int) -> dict:
    jobs, kinds = [], []
    for problem in problems:
        for solution in problem.solutions.get(language, []):
            jobs.append(ProblemRunRequest(problem=problem, code=solution.code, language=language))
            kinds.append(("human", problem.title, solution.passed))
        stub = starter_code(parse_signature(problem.metadata), language, "default")
        jobs.append(ProblemRunRequest(problem=accept_any_json(problem), code=stub, language=language, repeat=repeat))
        kinds.append(("stub", problem.title, True))
    reports = run_concurrently(sandbox, jobs)
    correct = [r.passed for (kind, _, label), r in zip(kinds, reports, strict=True) if kind == "human" and label]
    wrong = [not r.passed for (kind, _, label), r in zip(kinds, reports, strict=True) if kind == "human" and not label]
    misbehaving = [
        f"{title}: {r.verdict.value}"
        for (kind, title, label), r in zip(kinds, reports, strict=True)
        if kind == "human" and r.passed != label
    ]
    stub = {title: per_test_ms(r) for (kind, title, _), r in zip(kinds, reports, strict=True) if kind == "stub"}
    return {
        "generate_ms": generation_ms(problems, language),
        "correct_accepted": f"{sum(correct)}/{len(correct)}",
        "wrong_rejected": f"{sum(wrong)}/{len(wrong)}",
        "share_as_labelled": round((sum(correct) + sum(wrong)) / max(1, len(correct) + len(wrong)), 4),
        "misbehaving": misbehaving,
        "stub_ms_per_test": stub,
    }


def versus_hand_written(sandbox: RetryingSandbox, problems: dict[str, Problem], language: str, repeat: int) -> dict:
    """Trivial solution through the generated and the hand-written runner, interleaved `repeat` times."""
    results = {}
    for title, hand in HAND_WRITTEN.items():
        problem = problems[title]
        stub = starter_code(parse_signature(problem.metadata), language, "default")
        tests = problem_tests(problem)
        generated = ProblemRunRequest(problem=accept_any_json(problem), code=stub, language=language, tests=tests)
        written = ProblemRunRequest(
            problem=accept_any_json(problem, hand[language], language), code=stub, language=language, tests=tests
        )
        samples: dict[str, list[float]] = {"generated": [], "hand_written": []}
        for _ in range(repeat):
            for name, request in (("generated", generated), ("hand_written", written)):
                report = sandbox.run_problem(request)
                value = per_test_ms(report)
                if value is None:
                    raise SystemExit(f"{title} {language} {name}: {report.verdict.value} {report.stderr[-300:]}")
                samples[name].append(value)
        generated_ms = statistics.median(samples["generated"])
        hand_ms = statistics.median(samples["hand_written"])
        results[title] = {
            "tests": len(tests),
            "generated_ms_per_test": round(generated_ms, 4),
            "hand_written_ms_per_test": round(hand_ms, 4),
            "ratio": round(generated_ms / hand_ms, 3) if hand_ms > 0 else None,
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    problems = [p for p in load_problems("venus-mini") if p.metadata]
    by_title = {p.title: p for p in problems}
    sandbox = RetryingSandbox(Sandbox())
    load_at_start = round(os.getloadavg()[0], 2)  # the host is shared: the load says how noisy the numbers are
    languages = {}
    for language in available_languages():
        print(f"typed_runners: {language}", file=sys.stderr)
        languages[language] = {
            **acceptance(sandbox, problems, language, args.repeat),
            "versus_hand_written": versus_hand_written(sandbox, by_title, language, args.repeat),
        }
    ratios = [
        pair["ratio"] for entry in languages.values() for pair in entry["versus_hand_written"].values() if pair["ratio"]
    ]
    document = {
        "problems": [p.title for p in problems],
        "repeat": args.repeat,
        "load_average_start_end": [load_at_start, round(os.getloadavg()[0], 2)],
        "summary": {
            "share_as_labelled": {k: v["share_as_labelled"] for k, v in languages.items()},
            "stub_ms_per_test_median": {
                k: statistics.median(x for x in v["stub_ms_per_test"].values() if x is not None)
                for k, v in languages.items()
            },
            "generated_over_hand_written_geomean": round(statistics.geometric_mean(ratios), 3) if ratios else None,
            "generated_over_hand_written_range": [min(ratios), max(ratios)] if ratios else None,
        },
        "languages": languages,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")
    json.dump(document, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
