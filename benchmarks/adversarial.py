"""Adversarial benchmark (issue 9): is a normal job measured the same after the hostile corpus?

    python -m benchmarks.adversarial [--backend local] [--repeat 9] > adversarial.json

1. `before`: a batch of normal jobs (one CPU- and memory-bound program per language), each with
   `repeat` measured runs: medians and 95 % intervals of time, CPU, peak memory and integral.
2. `corpus`: every attack of `tests/adversarial/programs.py` that needs no host-specific input
   (bombs, floods, daemons, endless loops, disk filling, forged measurement, binary output,
   closed stdout, compile-time bombs), in every language it exists for, under tight limits; each
   attack's verdict is recorded, and processes it leaves behind are counted.
3. `after`: the same batch again. The batch is measured twice before the corpus (`before`,
   `control`) and the after-batch is compared with the hull of their intervals (`batch_agreement`).
   That comparison is reported but does not decide: on this shared machine, batches a minute apart
   drift by a few percent even with nothing in between (two back-to-back batches agree within
   0.5 %, the same batch 30 s later can be 5 % off), which is larger than the batches' intervals.
4. What decides is side by side, at the scale of seconds (`paired`): every attack is sandwiched
   between two measurements of its language's normal job, and so is every *control* (the normal
   job run in the attack's place). Per metric, the median relative change over the attack
   sandwiches must fall within the 95 % interval of the median change over the control
   sandwiches (and vice versa: the two intervals overlap) -- an attack that leaves anything behind
   that disturbs the next job shows up there, while drift hits both alike. The run `passed` when
   every metric agrees and no attack left a process behind.

Prints the JSON and writes it to `benchmarks/results/adversarial.json` (`adversarial_<backend>.json`
for other backends than local).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from afterburner_core.models import ExecutionRequest, Limits, RunReport
from afterburner_core.sandbox.api import Sandbox
from afterburner_core.sandbox.measurement import stats
from afterburner_core.sandbox.supervision.isolation import cgroup_version, jail_available, sandbox_netns
from tests.adversarial import programs
from tests.adversarial.procs import marked_processes

RESULTS = Path(__file__).with_name("results")
METRICS = ("time_ms", "cpu_ms", "memory_kb", "integral_kb_ms")
ATTACK_LIMITS = Limits(
    timeout_s=2, memory_mb=256, pids=64, output_kb=1024, file_size_mb=64, compile_timeout_s=10, compile_memory_mb=1024
)

# ~50-100 ms of work holding a few MiB: long enough for hundreds of samples, short enough to repeat.
NORMAL = {
    "cpp": """#include <cstdio>
#include <vector>
int main() { std::vector<long> v(1 << 20); long s = 0;
    for (int r = 0; r < 40; r++) for (size_t i = 0; i < v.size(); i++) { v[i] += i ^ r; s += v[i]; }
    std::printf("%ld\\n", s); }
""",
    "rust": """fn main() { let mut v = vec![0u64; 1 << 20]; let mut s: u64 = 0;
    for r in 0..40u64 { for i in 0..v.len() { v[i] = v[i].wrapping_add(i as u64 ^ r); s = s.wrapping_add(v[i]); } }
    println!("{}", s); }
""",
    "go": """package main

import "fmt"

func main() {
	v := make([]int64, 1<<20)
	var s int64
	for r := int64(0); r < 40; r++ {
		for i := range v {
			v[i] += int64(i) ^ r
			s += v[i]
		}
	}
	fmt.Println(s)
}
""",
    "python": """v = list(range(1 << 16))
s = 0
for r in range(8):
    s += sum(x ^ r for x in v)
print(s)
""",
    "javascript": """const v = new Float64Array(1 << 20); let s = 0;
for (let r = 0; r < 40; r++) for (let i = 0; i < v.length; i++) { v[i] += i ^ r; s += v[i]; }
console.log(s);
""",
    "java": """public class Main { public static void main(String[] a) { long[] v = new long[1 << 20]; long s = 0;
    for (int r = 0; r < 40; r++) for (int i = 0; i < v.length; i++) { v[i] += i ^ r; s += v[i]; }
    System.out.println(s); } }
""",
}


def available(sandbox: Sandbox, language: str) -> bool:
    try:
        sandbox.registry.require_toolchain(language)
        return True
    except Exception:
        return False


def batch(sandbox: Sandbox, languages: list[str], repeat: int) -> dict[str, dict[str, Any]]:
    """Medians and 95 % intervals of each normal job."""
    out: dict[str, dict[str, Any]] = {}
    for language in languages:
        report = sandbox.execute(ExecutionRequest(code=NORMAL[language], language=language, repeat=repeat))
        assert report.verdict.value == "accepted", (language, report.stderr)
        ci = report.ci.model_dump()
        out[language] = {m: {"median": getattr(report, m), "ci": list(ci[m])} for m in METRICS}
        out[language]["sample_hz"] = report.sample_hz
    return out


def attacks() -> list[tuple[str, str, str]]:
    """(name, language, source) of every attack that needs nothing from the host."""
    tables = {
        "fork_bomb": programs.FORK_BOMB,
        "thread_bomb": programs.THREAD_BOMB,
        "memory_bomb": programs.MEMORY_BOMB,
        "spin_ignoring_sigterm": programs.SPIN_IGNORING_SIGTERM,
        "sleep_forever": programs.SLEEP_FOREVER,
        "stdout_flood": programs.flood("stdout"),
        "stderr_flood": programs.flood("stderr"),
        "binary_output": programs.BINARY_OUTPUT,
        "close_stdout": programs.CLOSE_STDOUT,
        "daemon": programs.DAEMON,
        "disk_fill": programs.DISK_FILL,
        "tamper": programs.TAMPER,
        "compile_bomb": programs.COMPILE_BOMB,
    }
    return [(name, language, source) for name, table in tables.items() for language, source in table.items()]


PAIR_REPEAT = 3


def _normal(sandbox: Sandbox, language: str) -> dict[str, float]:
    report = sandbox.execute(ExecutionRequest(code=NORMAL[language], language=language, repeat=PAIR_REPEAT))
    assert report.verdict.value == "accepted", (language, report.stderr)
    return {m: float(getattr(report, m)) for m in METRICS}


def corpus(sandbox: Sandbox, languages: list[str], marker: str) -> dict[str, Any]:
    """Run every attack once, each sandwiched between two normal jobs, and as many controls."""
    verdicts: dict[str, str] = {}
    changes: dict[str, dict[str, list[float]]] = {kind: {m: [] for m in METRICS} for kind in ("attack", "control")}
    started = time.monotonic()
    for name, language, source in attacks():
        if language not in languages:
            continue
        code = source.replace("@MARK@", marker).replace("@NMARK@", "0.000" + str(int(marker[5:], 16)))
        code = code.replace("@COMM@", marker[:15])
        for kind in ("control", "attack"):
            first = _normal(sandbox, language)
            if kind == "attack":
                report: RunReport = sandbox.execute(
                    ExecutionRequest(code=code, language=language, limits=ATTACK_LIMITS)
                )
                verdicts[f"{name}/{language}"] = report.verdict.value
            else:
                _normal(sandbox, language)
            second = _normal(sandbox, language)
            for m in METRICS:
                changes[kind][m].append(second[m] / first[m] - 1 if first[m] else 0.0)
    time.sleep(1)
    leftovers = marked_processes(marker, "0.000" + str(int(marker[5:], 16)))
    return {
        "attacks": len(verdicts),
        "seconds": round(time.monotonic() - started, 1),
        "verdicts": verdicts,
        "leftover_processes": leftovers,
        "paired": paired_agreement(changes),
    }


def paired_agreement(changes: dict[str, dict[str, list[float]]]) -> dict[str, Any]:
    """Per metric: median relative change (after / before - 1) of the attack and of the control
    sandwiches, their 95 % intervals, and whether those overlap."""
    result: dict[str, Any] = {}
    for m in METRICS:
        row: dict[str, Any] = {}
        for kind in ("attack", "control"):
            values = changes[kind][m]
            low, high = stats.median_interval(values)
            row[kind] = {
                "median": round(stats.median(values), 4),
                "ci": [round(low, 4), round(high, 4)],
                "n": len(values),
            }
        row["agrees"] = _overlap(row["attack"]["ci"], row["control"]["ci"])
        result[m] = row
    return result


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def compare(
    before: dict[str, dict[str, Any]], control: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Per job and metric: does the after-interval overlap the hull of the before-intervals?"""
    result: dict[str, Any] = {}
    for language, metrics in before.items():
        result[language] = {}
        for m in METRICS:
            first, second, last = metrics[m]["ci"], control[language][m]["ci"], after[language][m]["ci"]
            hull = [min(first[0], second[0]), max(first[1], second[1])]
            b, a = metrics[m]["median"], after[language][m]["median"]
            result[language][m] = {
                "agrees": _overlap(last, hull),
                "control_agrees": _overlap(first, second),
                "relative_change": round((a - b) / b, 4) if b else None,
            }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="local")
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    import secrets

    sandbox = Sandbox(args.backend)
    languages = [language for language in NORMAL if available(sandbox, language)]
    for language in languages:  # compile and calibrate outside the compared batches
        sandbox.execute(ExecutionRequest(code=NORMAL[language], language=language))
    marker = "abadv" + secrets.token_hex(6)
    before = batch(sandbox, languages, args.repeat)
    control = batch(sandbox, languages, args.repeat)
    attacked = corpus(sandbox, languages, marker)
    after = batch(sandbox, languages, args.repeat)
    agreement = compare(before, control, after)
    same = all(row["agrees"] for row in attacked["paired"].values())
    output = {
        "backend": args.backend,
        "isolation": {
            "cgroup_version": cgroup_version(),
            "netns": sandbox_netns() is not None,
            "jail": jail_available(),
        }
        if args.backend == "local"
        else {},
        "repeat": args.repeat,
        "before": before,
        "control": control,
        "corpus": attacked,
        "after": after,
        "batch_agreement": agreement,
        "batch_same": all(v["agrees"] for metrics in agreement.values() for v in metrics.values()),
        "same_numbers": same,
        "no_leftovers": not attacked["leftover_processes"],
        "passed": same and not attacked["leftover_processes"],
    }
    text = json.dumps(output, indent=2)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "adversarial.json" if args.backend == "local" else f"adversarial_{args.backend}.json"
    (RESULTS / name).write_text(text + "\n")
    sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
