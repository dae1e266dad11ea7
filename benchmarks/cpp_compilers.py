"""Which C++ compiler makes venus-mini's human solutions faster: clang 19 or the system g++?

    python -m benchmarks.cpp_compilers [--repeat 3] > cpp_compilers.json

LeetCode compiles C++ with clang 19 in C++23 mode; Debian bookworm's g++ 12 accepts -std=c++23
but lacks parts of it (deducing `this`), so the plugin uses clang. This measures what the choice
costs or gains at run time: every correct C++ solution of venus-mini, compiled by each compiler
with the plugin's flags (-O2 -std=c++23), run on the problem's tests through the sandbox
(`repeat` runs, median), the two compilers alternating solution by solution. Prints per problem
and overall the total time of each and the median per-solution ratio g++ / clang (> 1: clang's
code is faster).

Writes `benchmarks/results/cpp_compilers.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

from afterburner_core.datasets import load_problems
from afterburner_core.models import ProblemRunRequest
from afterburner_core.plugins import get_registry
from afterburner_core.sandbox.api import Sandbox

RESULTS = Path(__file__).with_name("results")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    gxx = shutil.which("g++")
    if not gxx:
        sys.exit("cpp_compilers: no g++ on this host")
    plugin = get_registry().resolve_language("cpp").plugin
    override = plugin.override_variable("clang++")
    plugin.minimum_version = ()  # g++ 12 is no clang 19: let it through for the comparison
    sandbox = Sandbox()
    rows: list[dict[str, Any]] = []
    for problem in load_problems("venus-mini"):
        for index, solution in enumerate(problem.solutions.get("cpp", [])):
            if not solution.passed:
                continue
            times: dict[str, float | None] = {}
            order = ("clang", "g++") if len(rows) % 2 == 0 else ("g++", "clang")
            for compiler in order:
                if compiler == "g++":
                    os.environ[override] = gxx
                else:
                    os.environ.pop(override, None)
                report = sandbox.run_problem(
                    ProblemRunRequest(problem=problem, code=solution.code, language="cpp", repeat=args.repeat)
                )
                times[compiler] = report.time_ms if report.passed else None
            os.environ.pop(override, None)
            rows.append({"problem": problem.title, "solution": index, **{f"{k}_ms": v for k, v in times.items()}})
            print(f"cpp_compilers: {problem.title}#{index}: {times}", file=sys.stderr)
    measured = [r for r in rows if r["clang_ms"] and r["g++_ms"]]
    ratios = [r["g++_ms"] / r["clang_ms"] for r in measured]
    result = {
        "repeat": args.repeat,
        "solutions": rows,
        "total_ms": {
            "clang": round(sum(r["clang_ms"] for r in measured), 1),
            "g++": round(sum(r["g++_ms"] for r in measured), 1),
        },
        "median_ratio_gxx_over_clang": round(statistics.median(ratios), 3) if ratios else None,
        "clang_faster_in": sum(1 for x in ratios if x > 1),
        "gxx_faster_in": sum(1 for x in ratios if x < 1),
    }
    text = json.dumps(result, indent=2)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cpp_compilers.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
