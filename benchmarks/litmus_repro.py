"""Litmus reproducibility (issue 15): the same samples, run after run, with and without a busy host.

    python -m benchmarks.litmus_repro [--runs 3] [--conditions quiet,hog] [--demo-args ...] > litmus_repro.json

For each condition, `--runs` runs of `afterburner demo` as a user runs it (a real process each),
all sharing one fresh cache root per condition: the first run measures the human distribution
(beside the samples), the next ones reuse that calibration for the humans far from every sample and
re-measure the near ones beside the samples (`--pairing near`, litmus/nearby.py). `hog` keeps a busy process running throughout on the other
(housekeeping) core. Per condition: every run's Pass@1, Time%, Memory%, Integral% overall, per
language and per tag (model), the spread (max - min, in points) of each, and each run's wall time.

Prints the JSON and writes `benchmarks/results/litmus_repro.json`; conditions not run this time are
kept from that file when it was measured with the same runs and demo arguments (each condition
says its commit and date).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from afterburner_core.sandbox.scheduling.scheduler import core_layout

RESULTS = Path(__file__).with_name("results")
REPO = Path(__file__).resolve().parents[1]
SCORES = ("pass@1", "time%", "memory%", "integral%")
HOG = "while True:\n    pass\n"


def _demo(cache: Path, extra: list[str], keep: Path | None = None) -> tuple[dict[str, Any], float]:
    env = {**os.environ, "AFTERBURNER_CACHE": str(cache)}
    with tempfile.TemporaryDirectory(prefix="afterburner-repro-") as out:
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "afterburner_core", "demo", "--json", "--out", out, *extra],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            check=False,
        )
        elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise RuntimeError(f"the demo failed: {proc.stderr[-1500:]}")
    if keep is not None:
        keep.write_text(proc.stdout)
    return json.loads(proc.stdout), elapsed


def _points(aggregate: dict[str, Any]) -> dict[str, float]:
    return {name: round(aggregate["scores"][name] * 100, 2) for name in SCORES}


def _spread(rows: list[dict[str, float]]) -> dict[str, float]:
    return {name: round(max(r[name] for r in rows) - min(r[name] for r in rows), 2) for name in SCORES}


def condition(name: str, runs: int, extra: list[str], keep: Path | None = None) -> dict[str, Any]:
    hog = None
    if name == "hog":
        other = core_layout().housekeeping
        hog = subprocess.Popen(["taskset", "-c", str(other), sys.executable, "-c", HOG])
    try:
        cache = Path(tempfile.mkdtemp(prefix=f"afterburner-repro-{name}-"))
        results = []
        for number in range(runs):
            data, seconds = _demo(cache, extra, keep / f"{name}-{number + 1}.json" if keep else None)
            results.append(
                {
                    "wall_s": round(seconds, 1),
                    "overall": _points(data["overall"]),
                    "by_language": {k: _points(v) for k, v in data["by_language"].items()},
                    "by_tag": {k: _points(v) for k, v in data.get("by_tag", {}).items()},
                    "human_distribution": data["meta"]["human_distribution"],
                    "pairing": data["meta"].get("pairing"),
                    "nearby": data["meta"].get("nearby"),
                    "drift": {k: (data["meta"].get("drift") or {}).get(k) for k in ("factors", "noise")},
                }
            )
            print(
                f"litmus_repro: {name} run {number + 1}: {results[-1]['overall']} in {seconds:.0f} s", file=sys.stderr
            )
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()
    languages = sorted(results[0]["by_language"])
    tags = sorted(results[0]["by_tag"])
    return {
        "runs": results,
        "spread": {
            "overall": _spread([r["overall"] for r in results]),
            "by_language": {k: _spread([r["by_language"][k] for r in results]) for k in languages},
            "by_tag": {k: _spread([r["by_tag"][k] for r in results]) for k in tags},
        },
        "wall_s": [r["wall_s"] for r in results],
    }


def _commit() -> str:
    proc = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO, check=False
    )
    return proc.stdout.strip() or "unknown"


def _today() -> str:
    return time.strftime("%Y-%m-%d", time.gmtime())


def _earlier(runs: int, extra: list[str]) -> dict[str, Any]:
    """Conditions of the previous results file measured the same way (runs, demo arguments): a
    run of one condition (`--conditions hog`) keeps the others, each stamped with its commit and date."""
    try:
        previous = json.loads((RESULTS / "litmus_repro.json").read_text())
    except (OSError, ValueError):
        return {}
    if previous.get("runs") != runs or previous.get("demo_args") != extra:
        return {}
    return {k: v for k, v in previous.get("conditions", {}).items() if "commit" in v}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--conditions", default="quiet,hog")
    parser.add_argument("--demo-args", default="", help="extra arguments for `afterburner demo`")
    parser.add_argument("--keep", type=Path, help="also keep each run's whole report (JSON) in this folder")
    args = parser.parse_args()
    extra = args.demo_args.split()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    conditions = {
        name: {**condition(name, args.runs, extra, args.keep), "commit": _commit(), "date": _today()}
        for name in args.conditions.split(",")
    }
    earlier = _earlier(args.runs, extra)
    result = {
        "runs": args.runs,
        "demo_args": extra,
        "conditions": {**{k: v for k, v in earlier.items() if k not in conditions}, **conditions},
    }
    worst = max((v for c in result["conditions"].values() for v in c["spread"]["overall"].values()), default=0.0)
    result["max_overall_spread_points"] = worst
    result["target_met"] = worst <= 2.0
    text = json.dumps(result, indent=2)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "litmus_repro.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
