"""Backend agreement benchmark: does the docker backend measure what the local backend measures?

    python -m benchmarks.backends [--runs 10] > backends.json

Both backends run the same jobs, interleaved (local, docker, local, docker, ...) so that machine
noise hits both alike: a CPU-bound C++ program (time, cpu), a program that touches 200 MiB and
holds it for 300 ms (peak memory, memory-time integral), and a venus-mini problem in Python
through the in-process harness. For each metric it prints both medians and docker / local.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

from afterburner_core.datasets import load_problems
from afterburner_core.models import ExecutionRequest, Limits, ProblemRunRequest, RunReport
from afterburner_core.sandbox.api import Sandbox
from benchmarks.measurement import ALLOC_CPP, BUSY_CPP


def jobs() -> dict[str, ExecutionRequest | ProblemRunRequest]:
    problem = next(p for p in load_problems("venus-mini") if str(p.problem_id) == "9001")
    solution = next(s.code for s in problem.solutions["python"] if s.passed)
    return {
        "cpp_cpu_bound": ExecutionRequest(code=BUSY_CPP, language="cpp"),
        "cpp_200mib_held_300ms": ExecutionRequest(code=ALLOC_CPP, language="cpp", limits=Limits(memory_mb=1024)),
        "python_problem_9001": ProblemRunRequest(problem=problem, code=solution, language="python"),
    }


def _metrics(report: RunReport) -> dict[str, float]:
    assert report.passed, (report.verdict, report.stderr[:300])
    return {
        name: float(getattr(report, name)) for name in ("time_ms", "cpu_ms", "memory_kb", "integral_kb_ms", "sample_hz")
    }


def compare(runs: int) -> dict[str, object]:
    sandboxes = {"local": Sandbox(), "docker": Sandbox("docker")}
    result: dict[str, object] = {}
    try:
        for name, request in jobs().items():
            for sandbox in sandboxes.values():
                sandbox.submit(request)  # compile and warm up once
            samples: dict[str, list[dict[str, float]]] = {"local": [], "docker": []}
            for _ in range(runs):
                for backend, sandbox in sandboxes.items():
                    samples[backend].append(_metrics(sandbox.submit(request)))
            table = {}
            for metric in ("time_ms", "cpu_ms", "memory_kb", "integral_kb_ms", "sample_hz"):
                local = statistics.median(s[metric] for s in samples["local"])
                docker = statistics.median(s[metric] for s in samples["docker"])
                table[metric] = {
                    "local": round(local, 3),
                    "docker": round(docker, 3),
                    "docker_over_local": round(docker / local, 3) if local else None,
                }
            result[name] = table
    finally:
        for sandbox in sandboxes.values():
            sandbox.close()
    return {"runs_each": runs, "jobs": result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    json.dump(compare(args.runs), sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
