"""Paired vs. calibrated Litmus: how stable is the score of the fastest human solutions?

    python -m benchmarks.litmus_paired [--trials 3] > litmus_paired.json

Each trial measures the correct humans of two venus-mini problems in Python and C++ (repeat 3, as
a calibration would), takes each pair's fastest as the sample, then scores it two ways, in
alternating order from trial to trial:

- calibrated: the sample measured now (repeat 3), ranked against the humans measured before;
- paired: humans and sample re-measured in the same 3 interleaved rounds (`--paired`).

The fastest human should score close to the best attainable, (n - 0.5) / n per pair (it ties
with itself). Prints each trial's Time% per pair for both modes, and each mode's mean, minimum and
standard deviation over trials.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

from afterburner_core import venus
from afterburner_core.datasets import get_problem
from afterburner_core.litmus.evaluate import Sample, run_samples, score
from afterburner_core.litmus.humans import HumanDistribution
from afterburner_core.litmus.paired import measure_paired
from afterburner_core.models import Limits
from afterburner_core.sandbox.api import Sandbox

PROBLEMS = ("count-pairs-with-sum", "daily-temperatures")
LANGUAGES = ["python", "cpp"]
REPEAT = 3


def _calibrate(sandbox: Sandbox, problems: list) -> HumanDistribution:
    jobs = venus.solution_jobs(problems, LANGUAGES, only_correct=True)
    humans = HumanDistribution()
    for job, report in zip(
        jobs, venus.run_jobs(jobs, REPEAT, Limits(), lambda job, report: None, sandbox), strict=True
    ):
        humans.add(job.problem.problem_id, job.language, report, "calibration")
    return humans


def _fastest(problems: list, humans: HumanDistribution) -> list[Sample]:
    samples = []
    for problem in problems:
        for language in LANGUAGES:
            correct = [s for s in problem.solutions[language] if s.passed]
            times = humans.values(problem.problem_id, language, "time")
            best = min(range(len(correct)), key=lambda i: times[i])
            samples.append(Sample(str(problem.problem_id), language, correct[best].code))
    return samples


def _time_scores(samples: list[Sample], reports: list, humans: HumanDistribution) -> dict[str, float]:
    records = score(samples, reports, humans)
    return {f"{r.problem_id}/{r.language}": round(r.passed * (r.beyond["time"] or 0.0), 4) for r in records}


def trial(sandbox: Sandbox, problems: list, paired_first: bool) -> dict[str, dict[str, float]]:
    humans = _calibrate(sandbox, problems)
    samples = _fastest(problems, humans)
    by_id = {str(p.problem_id): p for p in problems}
    result: dict[str, dict[str, float]] = {}
    for mode in ("paired", "calibrated") if paired_first else ("calibrated", "paired"):
        if mode == "paired":
            paired_humans, reports = measure_paired(samples, by_id, sandbox, REPEAT, Limits())
            result[mode] = _time_scores(samples, reports, paired_humans)
        else:
            reports = run_samples(samples, by_id, sandbox, REPEAT, Limits(), lambda sample, report: None)
            result[mode] = _time_scores(samples, reports, humans)
    return result


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "mean": round(statistics.fmean(values), 4),
        "min": round(min(values), 4),
        "stdev": round(statistics.stdev(values), 4) if len(values) > 1 else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3)
    args = parser.parse_args()
    if args.trials < 1:
        sys.exit("--trials must be at least 1")
    problems = [get_problem(name) for name in PROBLEMS]
    attainable = []
    for problem in problems:
        for language in LANGUAGES:
            n = sum(s.passed for s in problem.solutions[language])
            attainable.append((n - 0.5) / n)
    trials = []
    with Sandbox() as sandbox:
        for index in range(args.trials):
            trials.append(trial(sandbox, problems, paired_first=index % 2 == 1))
            print(
                f"trial {index + 1}/{args.trials}: "
                + ", ".join(f"{mode} {statistics.fmean(scores.values()):.3f}" for mode, scores in trials[-1].items()),
                file=sys.stderr,
                flush=True,
            )
    overall = {mode: [statistics.fmean(t[mode].values()) for t in trials] for mode in ("calibrated", "paired")}
    print(
        json.dumps(
            {
                "benchmark": "litmus_paired",
                "problems": list(PROBLEMS),
                "languages": LANGUAGES,
                "repeat": REPEAT,
                "best_attainable_time%": round(statistics.fmean(attainable), 4),
                "time%_of_fastest": {mode: _summary(values) for mode, values in overall.items()},
                "trials": trials,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
