"""Toy replication of the paper's training claim, fully offline: SFT → GRPO / DPO on a tiny model.

    python -m benchmarks.toy_replication [--device cpu|cuda] [--problems K] [--json]

1. A tiny LLaMA (byte-level BPE tokenizer trained on venus-mini text, `tests/tiny_model.py`) is
   trained from scratch with SFT on the *Python* human solutions of K venus-mini problems whose
   solutions are short, every correct solution of mixed efficiency (fast and slow alike), so the
   SFT model samples a mix of fast and slow programs.
2. From that SFT checkpoint: (a) GRPO with the execution reward (`afterburner`, objective time,
   run through the sandbox) and (b) DPO on the margin pairs of `build_dpo` (non-overlapping 95 %
   intervals; failing solutions rejected), same problems, same solution-length cap.
3. Each checkpoint (SFT, GRPO, DPO) is sampled N times per problem at one temperature and scored by
   Litmus against the human distribution on this host: Pass@1, Time%, Memory%, Integral%.

The claim tested (at toy scale): GRPO raises Time% clearly (≥ +15 points) without lowering
Pass@1. Whatever comes out is written to `benchmarks/results/toy_replication.{json,png}`; the
evaluation is the project's ordinary Litmus evaluation, not tuned to the result.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent
# Short Python solutions, a wide spread of measured time (fast O(n) vs quadratic), in this order.
DEFAULT_PROBLEMS = ["9010", "9008", "9007", "9005"]
MAX_CODE_CHARS = 360  # solutions longer than this are left out (a from-scratch model memorises them)


def _seed(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def _code_of(response: str) -> str:
    from afterburner_core.rewards.extract import extract_code

    return extract_code(response) or ""


def build_data(problems: list[str]) -> tuple[list[dict], list[dict]]:
    """SFT rows (every correct short solution) and DPO rows (margin pairs among short solutions)."""
    from afterburner_core.training.data import build_dpo, build_sft

    sft = [
        row
        for row in build_sft("venus-mini", "time", ["python"], top_k=100, problems=problems)
        if len(_code_of(row["response"])) <= MAX_CODE_CHARS
    ]
    dpo = [
        row
        for row in build_dpo("venus-mini", "time", ["python"], problems=problems, min_gain=0.05)
        if len(_code_of(row["chosen"])) <= MAX_CODE_CHARS and len(_code_of(row["rejected"])) <= MAX_CODE_CHARS
    ]
    return sft, dpo


def _write(rows: list[dict], path: Path, copies: int = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for _ in range(copies):
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def sample_and_score(
    model_dir: Path,
    problems: list[str],
    n: int,
    temperature: float,
    max_new_tokens: int,
    device: str,
    seed: int,
    tag: str,
    humans: Any,
    sandbox: Any,
) -> dict[str, Any]:
    """N samples per problem from `model_dir`, run and placed against the humans (Litmus)."""
    from afterburner_core.datasets import get_problem
    from afterburner_core.generators import get_generator
    from afterburner_core.litmus.evaluate import Sample, aggregate, run_samples, score
    from afterburner_core.models import Limits
    from afterburner_core.prompts import build_messages

    generator = get_generator(f"transformers:{model_dir}", device=device, dtype="float32", batch_size=n)
    problem_objs = {pid: get_problem(pid, "venus-mini") for pid in problems}
    started = time.time()
    outputs = generator.generate(
        [build_messages(problem_objs[pid], "python", "time") for pid in problems],
        n=n,
        temperature=temperature,
        max_new_tokens=max_new_tokens,
        seed=seed,
    )
    gen_s = time.time() - started
    samples = [
        Sample(pid, "python", _code_of(text), tag)
        for pid, texts in zip(problems, outputs, strict=True)
        for text in texts
    ]
    started = time.time()
    reports = run_samples(samples, problem_objs, sandbox, 1, Limits(), lambda s, r: None)
    run_s = time.time() - started
    records = score(samples, reports, humans)
    agg = aggregate(records)
    per_problem = {}
    for pid in problems:
        mine = [r for r in records if r.problem_id == pid]
        times = sorted(r.values["time"] for r in mine if r.passed and r.values["time"] is not None)
        per_problem[pid] = {
            "pass@1": sum(r.passed for r in mine) / len(mine),
            "time%": sum(r.passed * (r.beyond["time"] or 0.0) for r in mine) / len(mine),
            "verdicts": {v: sum(r.verdict == v for r in mine) for v in sorted({r.verdict for r in mine})},
            "median_time_ms_passing": times[len(times) // 2] if times else None,
        }
    del generator
    return {
        "scores": {k: round(v * 100, 1) for k, v in agg.scores.items()},
        "ci95": {k: [round(lo * 100, 1), round(hi * 100, 1)] for k, (lo, hi) in agg.ci.items()},
        "samples": agg.samples,
        "per_problem": per_problem,
        "generate_s": round(gen_s, 1),
        "run_s": round(run_s, 1),
    }


def _curve(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Per GRPO step: mean reward, pass rate, mean efficiency (from the reward-components history)."""
    out = []
    for i, entry in enumerate(summary.get("reward_components", [])):
        out.append(
            {
                "step": i + 1,
                "reward_mean": entry.get("reward_mean"),
                "pass_rate": entry.get("afterburner/pass_rate"),
                "efficiency": entry.get("afterburner/efficiency"),
                "format": entry.get("afterburner/format"),
            }
        )
    return out


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    methods = [m for m in ("sft", "grpo", "dpo") if m in result["evaluation"]]
    metrics = ["pass@1", "time%", "memory%", "integral%"]
    width = 0.8 / len(methods)
    for i, method in enumerate(methods):
        ev = result["evaluation"][method]
        values = [ev["scores"][m] for m in metrics]
        errs = [
            [v - ev["ci95"][m][0] for m, v in zip(metrics, values, strict=True)],
            [ev["ci95"][m][1] - v for m, v in zip(metrics, values, strict=True)],
        ]
        left.bar(
            [x + i * width for x in range(len(metrics))], values, width, yerr=errs, capsize=3, label=method.upper()
        )
    left.set_xticks([x + width * (len(methods) - 1) / 2 for x in range(len(metrics))], metrics)
    left.set_ylabel("score (%)")
    left.set_ylim(0, 100)
    left.set_title("Litmus scores per checkpoint (95 % bootstrap CI over problems)")
    left.legend()
    curve = result["grpo_curve"]
    if curve:
        steps = [c["step"] for c in curve]
        right.plot(steps, [c["reward_mean"] for c in curve], "o-", label="mean reward")
        right.plot(steps, [c["pass_rate"] for c in curve], "s-", label="pass rate")
        right.plot(steps, [c["efficiency"] for c in curve], "^-", label="mean efficiency (tanh gain)")
        right.axhline(0, color="grey", lw=0.5)
        right.set_xlabel("GRPO step")
        right.legend()
    right.set_title("GRPO reward curve (execution reward, objective time)")
    fig.suptitle(
        f"Toy replication: {result['config']['model']} on venus-mini Python, "
        f"{len(result['config']['problems'])} problems, device {result['config']['device']}"
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.toy_replication", description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--problems", type=int, default=3, help=f"how many problems (of {','.join(DEFAULT_PROBLEMS)})")
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--sft-steps", type=int, default=300)
    parser.add_argument("--sft-lr", type=float, default=2e-3)
    parser.add_argument("--rl-lr", type=float, default=1e-4, help="GRPO and DPO learning rate")
    parser.add_argument("--grpo-steps", type=int, default=12)
    parser.add_argument("--dpo-steps", type=int, default=30)
    parser.add_argument("--generations", type=int, default=6, help="GRPO group size")
    parser.add_argument("--samples", type=int, default=8, help="evaluation samples per problem and checkpoint")
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--workdir", default=None, help="keep checkpoints here (default: a temporary directory)")
    parser.add_argument("--out", default=str(RESULTS / "toy_replication.json"))
    args = parser.parse_args(argv)

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(ROOT))
    import torch

    from afterburner_core.datasets import get_problem
    from afterburner_core.litmus.humans import human_distribution
    from afterburner_core.prompts import build_messages
    from afterburner_core.sandbox.api import Sandbox
    from afterburner_core.training.trainers import (
        DPOTrainConfig,
        GRPOTrainConfig,
        RewardSettings,
        SFTTrainConfig,
        train,
    )
    from tests.tiny_model import build_tiny_model

    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda, but torch sees no CUDA device")
    cores = os.cpu_count() or 2
    # Training (SFT, DPO) may use every core; while the sandbox measures (GRPO, evaluation) torch
    # keeps off the measured core.
    torch.set_num_threads(cores)
    wall = time.time()
    timings: dict[str, float] = {}
    problems = DEFAULT_PROBLEMS[: max(1, min(args.problems, len(DEFAULT_PROBLEMS)))]
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="toy-replication-"))
    work.mkdir(parents=True, exist_ok=True)
    _seed(args.seed)

    def log(message: str) -> None:
        print(f"[{time.time() - wall:6.1f}s] {message}", file=sys.stderr, flush=True)

    # -- data and the model from scratch ----------------------------------------------------------------
    t = time.time()
    sft_rows, dpo_rows = build_data(problems)
    sandbox = Sandbox()
    humans = human_distribution(
        "venus-mini", [get_problem(p, "venus-mini") for p in problems], ["python"], sandbox=sandbox
    )
    timings["data_s"] = time.time() - t
    log(f"data: {len(sft_rows)} SFT rows, {len(dpo_rows)} DPO pairs over {problems}")
    base = build_tiny_model(work / "base", vocab_size=2048, hidden_size=args.hidden, layers=args.layers, seed=args.seed)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base)
    prompt_tokens = max(
        len(
            tokenizer(
                tokenizer.apply_chat_template(
                    build_messages(get_problem(p, "venus-mini"), "python", "time"),
                    tokenize=False,
                    add_generation_prompt=True,
                ),
                add_special_tokens=False,
            )["input_ids"]
        )
        for p in problems
    )
    response_tokens = max(len(tokenizer(r["response"], add_special_tokens=False)["input_ids"]) for r in sft_rows)
    max_new = response_tokens + 24
    max_length = prompt_tokens + max_new + 8
    params = sum(p.numel() for p in __import__("transformers").AutoModelForCausalLM.from_pretrained(base).parameters())
    log(f"model: {params / 1e6:.2f} M parameters; prompt ≤ {prompt_tokens} tokens, response ≤ {response_tokens}")

    common = {
        "languages": ["python"],
        "problems": problems,
        "device": args.device,
        "seed": args.seed,
        "bf16": False,
        "save": True,
        "logging_steps": 1,
    }
    # -- SFT -------------------------------------------------------------------------------------------
    t = time.time()
    sft_dir = work / "sft"
    sft_summary = train(
        "sft",
        SFTTrainConfig(
            model=str(base),
            output_dir=str(sft_dir),
            data=str(_write(sft_rows, work / "data" / "sft.jsonl")),
            max_steps=args.sft_steps,
            learning_rate=args.sft_lr,
            per_device_train_batch_size=4,
            max_length=max_length,
            trl={"lr_scheduler_type": "cosine", "warmup_steps": 10, "weight_decay": 0.0},
            **common,
        ),
    )
    timings["sft_s"] = time.time() - t
    log(f"SFT: {sft_summary['steps']} steps, loss {sft_summary['train_loss']:.3f}, {timings['sft_s']:.0f}s")

    # -- GRPO from the SFT checkpoint -------------------------------------------------------------------
    torch.set_num_threads(max(1, cores - 1))
    t = time.time()
    grpo_summary = train(
        "grpo",
        GRPOTrainConfig(
            model=str(sft_dir),
            output_dir=str(work / "grpo"),
            max_steps=args.grpo_steps,
            learning_rate=args.rl_lr,
            per_device_train_batch_size=args.generations * len(problems),
            num_generations=args.generations,
            max_completion_length=max_new,
            temperature=args.temperature,
            beta=0.0,
            reward=RewardSettings(name="afterburner", repeat=1),
            **common,
        ),
    )
    timings["grpo_s"] = time.time() - t
    curve = _curve(grpo_summary)
    log(
        f"GRPO: {grpo_summary['steps']} steps, {timings['grpo_s']:.0f}s; reward "
        f"{curve[0]['reward_mean'] if curve else None} → {curve[-1]['reward_mean'] if curve else None}"
    )

    # -- DPO from the SFT checkpoint --------------------------------------------------------------------
    torch.set_num_threads(cores)
    t = time.time()
    dpo_summary = train(
        "dpo",
        DPOTrainConfig(
            model=str(sft_dir),
            output_dir=str(work / "dpo"),
            data=str(_write(dpo_rows, work / "data" / "dpo.jsonl")),
            max_steps=args.dpo_steps,
            learning_rate=args.rl_lr,
            per_device_train_batch_size=4,
            max_length=max_length,
            beta=0.1,
            **common,
        ),
    )
    timings["dpo_s"] = time.time() - t
    log(f"DPO: {dpo_summary['steps']} steps, loss {dpo_summary['train_loss']:.3f}, {timings['dpo_s']:.0f}s")

    # -- sample and score each checkpoint ---------------------------------------------------------------
    torch.set_num_threads(max(1, cores - 1))
    evaluation = {}
    for method in ("sft", "grpo", "dpo"):
        t = time.time()
        evaluation[method] = sample_and_score(
            work / method,
            problems,
            args.samples,
            args.temperature,
            max_new,
            args.device,
            args.seed + 1,
            method,
            humans,
            sandbox,
        )
        timings[f"eval_{method}_s"] = time.time() - t
        log(f"eval {method}: {evaluation[method]['scores']}")

    def delta(method: str) -> dict[str, float]:
        return {
            k: round(evaluation[method]["scores"][k] - evaluation["sft"]["scores"][k], 1)
            for k in evaluation["sft"]["scores"]
        }

    grpo_delta = delta("grpo")
    result = {
        "benchmark": "toy_replication",
        "claim": "GRPO raises Time% by >= 15 points over the SFT start without lowering Pass@1",
        "config": {
            "device": args.device,
            "problems": problems,
            "language": "python",
            "objective": "time",
            "model": f"tiny LLaMA {args.layers}x{args.hidden}, {params / 1e6:.2f} M params, from scratch",
            "seed": args.seed,
            "sft_steps": args.sft_steps,
            "grpo_steps": args.grpo_steps,
            "dpo_steps": args.dpo_steps,
            "grpo_group": args.generations,
            "grpo_beta": 0.0,
            "sft_lr": args.sft_lr,
            "rl_lr": args.rl_lr,
            "hidden": args.hidden,
            "layers": args.layers,
            "samples_per_problem": args.samples,
            "temperature": args.temperature,
            "max_code_chars": MAX_CODE_CHARS,
            "sft_rows": len(sft_rows),
            "dpo_pairs": len(dpo_rows),
            "max_new_tokens": max_new,
            "torch": torch.__version__,
        },
        "sft_data": [
            {
                "problem_id": r["problem_id"],
                **{k: r["performance"].get(k) for k in ("value", "unit", "rank", "of", "label")},
            }
            for r in sft_rows
        ],
        "evaluation": evaluation,
        "delta_vs_sft": {"grpo": grpo_delta, "dpo": delta("dpo")},
        "claim_holds": grpo_delta["time%"] >= 15.0 and grpo_delta["pass@1"] >= 0.0,
        "grpo_curve": curve,
        "train": {
            kind: {"steps": s["steps"], "train_loss": s["train_loss"], "seconds": s["seconds"]}
            for kind, s in (("sft", sft_summary), ("grpo", grpo_summary), ("dpo", dpo_summary))
        },
        "timings_s": {k: round(v, 1) for k, v in timings.items()},
        "wall_s": round(time.time() - wall, 1),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    plot(result, out.with_suffix(".png"))
    log(f"wrote {out} and {out.with_suffix('.png')} ({result['wall_s']:.0f}s)")
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        for method in ("sft", "grpo", "dpo"):
            print(f"{method:5s} {evaluation[method]['scores']}")
        print(f"GRPO − SFT: {grpo_delta}; claim holds: {result['claim_holds']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
