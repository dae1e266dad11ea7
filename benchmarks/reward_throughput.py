"""Reward throughput (issue 18): how long the execution reward takes for one GRPO step.

    python -m benchmarks.reward_throughput [--backend local --backend ray] [--completions 1024]
        [--rollouts 32] [--timeout 1.0] [--quick] [--out benchmarks/results/reward_throughput.json]

One step is the paper's: 32 prompts x 32 rollouts = 1,024 completions of venus-mini problems (Python
by default), each prompt improving an original solution (a correct one drawn at random, so the
baseline of every rollout is measured in the same batch and no human distribution is needed). The
rollouts are a realistic mix, built from the dataset itself:

- ``passing_fast``: the problem's first listed correct solution (the dataset lists the efficient one first);
- ``passing_slow``: its last listed correct solution (typically the naive one);
- ``wrong``: its wrong solution (``passed: false``);
- ``timeout``: a ``while True`` loop;
- ``unparsable``: prose without code.

The completions are fenced in the prompt's ``<thinking>`` / ``<solution>`` format and scored by the
``afterburner`` reward through `ExecutionReward.score`: extraction, one concurrent sandbox batch
(candidates + the distinct baselines), scoring. Each backend is created (and, for Ray, its actors
started) before the clock starts. The output gives seconds per step, completions per second and the
verdicts, and compares the step with the time one GPU would take to *generate* it:
``completions x tokens_per_completion / decode_tokens_per_s`` (defaults below, with their source).
``measuring_cores_needed`` scales this host's rate linearly to the cores that would keep the reward
under that generation time.

``--quick`` (64 completions: 2 prompts x 32, local backend) is what the test suite runs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from afterburner_core.datasets import load_problems
from afterburner_core.models import Limits, Problem
from afterburner_core.rewards.base import get_reward
from afterburner_core.rewards.execution import ExecutionReward, RewardTask
from afterburner_core.sandbox.api import Sandbox

RESULTS = Path(__file__).resolve().parent / "results" / "reward_throughput.json"
MIX: dict[str, float] = {"passing_fast": 0.40, "passing_slow": 0.25, "wrong": 0.20, "timeout": 0.05, "unparsable": 0.10}
LOOP = "while True:\n    pass\n"
PROSE = "Sorting first would probably help here, but I am not sure how to finish it."
# What generating one step costs on one GPU, the yardstick the reward is compared with.
TOKENS_PER_COMPLETION = 1024  # assumed: a reasoned code answer; the paper allows up to 8,192
DECODE_TOKENS_PER_S = 13_000.0
DECODE_SOURCE = (
    "NVIDIA NIM LLM benchmarking, 'Performance' page (docs.nvidia.com/nim/benchmarking/llm/1.0.0/"
    "performance): Llama-3.1-8B-Instruct, NIM 1.8.0, 12,989-13,348 output tokens/s at 150-250 "
    "concurrent requests on one GPU of the H100 class; vLLM on one H100 is at or below this "
    "(TensorRT-LLM's own table: LLaMA 7B, one H100, FP8, 5,367 tokens/s at batch 64 with 2,048-token "
    "outputs), so the yardstick errs on the fast side and the check is strict"
)


def tagged(code: str) -> str:
    return f"<thinking>\nA faster approach.\n</thinking>\n<solution>\n```python\n{code.rstrip()}\n```\n</solution>"


def eligible(language: str) -> list[Problem]:
    """Problems with a wrong solution and at least two correct ones in `language` (every kind can be built)."""
    found = []
    for problem in load_problems("venus-mini"):
        solutions = problem.solutions.get(language, [])
        if sum(s.passed for s in solutions) >= 2 and any(not s.passed for s in solutions):
            found.append(problem)
    if not found:
        raise SystemExit(f"reward_throughput: no venus-mini problem has the solutions this needs in {language}")
    return found


def kinds(total: int, rng: random.Random) -> list[str]:
    """`total` kinds in MIX's proportions (largest remainders), shuffled."""
    exact = {kind: total * share for kind, share in MIX.items()}
    counts = {kind: int(value) for kind, value in exact.items()}
    for kind in sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True)[: total - sum(counts.values())]:
        counts[kind] += 1
    pool = [kind for kind, count in counts.items() for _ in range(count)]
    rng.shuffle(pool)
    return pool


def completion(problem: Problem, language: str, kind: str) -> str:
    solutions = problem.solutions[language]
    correct = [s.code for s in solutions if s.passed]
    if kind == "passing_fast":
        return tagged(correct[0])
    if kind == "passing_slow":
        return tagged(correct[-1])
    if kind == "wrong":
        return tagged(next(s.code for s in solutions if not s.passed))
    if kind == "timeout":
        return tagged(LOOP)
    return PROSE


def build_step(completions: int, rollouts: int, language: str, seed: int) -> tuple[list[RewardTask], list[str]]:
    """The step's tasks and each one's kind: ``completions / rollouts`` prompts, cycling over the problems."""
    rng = random.Random(seed)
    problems = eligible(language)
    prompts = max(1, math.ceil(completions / rollouts))
    pool = kinds(completions, rng)
    tasks: list[RewardTask] = []
    for index in range(prompts):
        problem = problems[index % len(problems)]
        baseline = rng.choice([s.code for s in problem.solutions[language] if s.passed])
        for _ in range(min(rollouts, completions - len(tasks))):
            kind = pool[len(tasks)]
            tasks.append(
                RewardTask(
                    completion=completion(problem, language, kind),
                    problem_id=str(problem.problem_id),
                    language=language,
                    objective="time",
                    baseline=baseline,
                )
            )
    return tasks, pool


def measure(backend: str, tasks: list[RewardTask], pool: list[str], timeout_s: float) -> dict[str, Any]:
    """Score the step once on `backend`, timed from the first extraction to the last score."""
    with Sandbox(backend) as sandbox:
        engine = ExecutionReward(
            get_reward("afterburner"), "venus-mini", "time", sandbox, limits=Limits(timeout_s=timeout_s)
        )
        started = time.perf_counter()
        scored = engine.score(tasks)
        seconds = time.perf_counter() - started
        parallel = sandbox.parallel
    by_kind: dict[str, list[float]] = {}
    for kind, each in zip(pool, scored, strict=True):
        by_kind.setdefault(kind, []).append(each.total)
    baselines = len({(t.problem_id, t.baseline) for t in tasks if t.baseline})
    return {
        "backend": backend,
        "parallel": parallel,
        "seconds": round(seconds, 2),
        "completions_per_s": round(len(tasks) / seconds, 2),
        "sandbox_jobs": sum(1 for s in scored if s.verdict is not None) + baselines,
        "verdicts": dict(Counter(s.verdict or "unparsable" for s in scored)),
        "mean_reward_by_kind": {kind: round(sum(v) / len(v), 4) for kind, v in sorted(by_kind.items())},
    }


def verdict(result: dict[str, Any], generation_s: float) -> dict[str, Any]:
    cores = result["parallel"] * result["seconds"] / generation_s
    return {"meets_assumption": result["seconds"] <= generation_s, "measuring_cores_needed": max(1, math.ceil(cores))}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend", action="append", choices=["local", "ray", "docker"], help="repeatable (default: local and ray)"
    )
    parser.add_argument("--completions", type=int, default=1024, help="completions in the step")
    parser.add_argument("--rollouts", type=int, default=32, help="rollouts per prompt")
    parser.add_argument("--timeout", type=float, default=1.0, help="per-test time limit, seconds")
    parser.add_argument("--language", default="python")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tokens-per-completion", type=int, default=TOKENS_PER_COMPLETION)
    parser.add_argument("--decode-tokens-per-s", type=float, default=DECODE_TOKENS_PER_S)
    parser.add_argument("--quick", action="store_true", help="64 completions on the local backend (the test)")
    parser.add_argument("--out", type=Path, default=None, help=f"JSON file (default: {RESULTS}, not with --quick)")
    args = parser.parse_args(argv)
    if args.quick:
        args.completions, args.backend = 64, args.backend or ["local"]
    if args.completions < 1 or args.rollouts < 1 or args.timeout <= 0 or args.decode_tokens_per_s <= 0:
        parser.error("--completions, --rollouts, --timeout and --decode-tokens-per-s must be positive")
    backends = list(dict.fromkeys(args.backend or ["local", "ray"]))
    tasks, pool = build_step(args.completions, args.rollouts, args.language, args.seed)
    generation_s = args.completions * args.tokens_per_completion / args.decode_tokens_per_s
    results = {}
    for backend in backends:
        result = measure(backend, tasks, pool, args.timeout)
        results[backend] = {**result, **verdict(result, generation_s)}
        print(
            f"reward_throughput: {backend}: {result['seconds']} s for {len(tasks)} completions "
            f"({result['completions_per_s']}/s)",
            file=sys.stderr,
            flush=True,
        )
    output = {
        "benchmark": "reward_throughput",
        "step": {
            "completions": len(tasks),
            "prompts": math.ceil(len(tasks) / args.rollouts),
            "rollouts": args.rollouts,
            "language": args.language,
            "timeout_s": args.timeout,
            "mix": dict(Counter(pool)),
            "reward": "afterburner",
            "cpus": os.cpu_count(),
        },
        "assumption": {
            "tokens_per_completion": args.tokens_per_completion,
            "decode_tokens_per_s": args.decode_tokens_per_s,
            "source": DECODE_SOURCE,
            "generation_s": round(generation_s, 1),
        },
        "backends": results,
    }
    text = json.dumps(output, indent=2)
    print(text)
    out = args.out if args.out is not None else (None if args.quick else RESULTS)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
    return output


if __name__ == "__main__":
    main()
