"""Measurement benchmark (Monolith issue): sample rate, overhead, repeatability, accuracy, throughput.

    python -m benchmarks.measurement [--quick] > measurement.json

Prints one JSON object. Every ratio is measured side by side in the same run (interleaved), because
these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from afterburner_core.host import host_info
from afterburner_core.models import ExecutionRequest, Limits
from afterburner_core.paths import cache_root
from afterburner_core.sandbox.api import Sandbox
from afterburner_core.sandbox.measurement.compile_cache import cache_key
from afterburner_core.sandbox.scheduling.scheduler import core_layout
from afterburner_core.sandbox.supervision.isolation import cgroup_version, sandbox_netns

IDLE_CPP = "#include <unistd.h>\nint main() { usleep(500000); return 0; }\n"
BUSY_CPP = """#include <cstdio>
#include <cstdint>
#include <cstdlib>
int main(int argc, char **argv) {
    // ~200 ms of integer work on this class of machine; the result is printed so it is not elided
    uint64_t x = 88172645463325252ull, acc = 0;
    long iterations = argc > 1 ? atol(argv[1]) : 120000000L;
    for (long i = 0; i < iterations; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; acc += x & 1023; }
    std::printf("%llu\\n", (unsigned long long)acc);
}
"""
ALLOC_CPP = """#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <unistd.h>
static long long now() { timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000LL + t.tv_nsec; }
int main() {
    const size_t size = 200u << 20;
    long long t0 = now();
    char *block = (char *)malloc(size);
    for (size_t i = 0; i < size; i += 4096) block[i] = 1;
    long long t1 = now();
    usleep(300000);
    long long t2 = now();
    char last = block[size - 4096];
    free(block);  // glibc unmaps a block this large at once: the charge ends here, not in exit's teardown
    long long t3 = now();
    usleep(50000);
    std::printf("%lld %lld %lld %lld %d\\n", t0, t1, t2, t3, last);
    return 0;
}
"""
TRIVIAL_CPP = "int main() { return 0; }\n"
TRIVIAL_PY = "pass\n"


def _cv(values: list[float]) -> float:
    return statistics.pstdev(values) / statistics.mean(values) if values and statistics.mean(values) else 0.0


def _binary_for(sandbox: Sandbox, code: str) -> Path:
    """The cached artifact of `code` (compiled by a first run), to time the bare binary too."""
    report = sandbox.execute(ExecutionRequest(code=code, language="cpp"))
    assert report.compile.ok, report.compile.stderr
    plan = sandbox.registry.resolve_language("cpp").plugin.afterburner_compile(
        language="cpp", source=code, workdir=Path("/tmp"), purpose="program", toolchain=None
    )
    key = cache_key(plan)
    return cache_root() / "compile" / key[:2] / key / "main"


def _bare_ms(binary: Path, core: int) -> float:
    """Wall time of the binary spawned directly, pinned to the same core, no supervisor."""

    def pin() -> None:
        os.sched_setaffinity(0, {core})

    start = time.perf_counter_ns()
    subprocess.run([str(binary)], stdout=subprocess.DEVNULL, preexec_fn=pin, check=True)
    return (time.perf_counter_ns() - start) / 1e6


def sample_rate(sandbox: Sandbox) -> dict[str, float]:
    idle = sandbox.execute(ExecutionRequest(code=IDLE_CPP, language="cpp"))
    busy = sandbox.execute(ExecutionRequest(code=BUSY_CPP, language="cpp"))
    return {
        "idle_hz": idle.sample_hz or 0.0,
        "busy_hz": busy.sample_hz or 0.0,
        "idle_samples": idle.samples,
        "busy_samples": busy.samples,
    }


def overhead_and_repeatability(sandbox: Sandbox, runs: int) -> dict[str, float]:
    binary = _binary_for(sandbox, BUSY_CPP)
    core = core_layout().measured[0]
    ours, bare, cpu = [], [], []
    for _ in range(runs):  # interleaved: same conditions for both
        report = sandbox.execute(ExecutionRequest(code=BUSY_CPP, language="cpp"))
        ours.append(report.time_ms)
        cpu.append(report.cpu_ms)
        bare.append(_bare_ms(binary, core))
    return {
        "program_ms_median": statistics.median(ours),
        "bare_ms_median": statistics.median(bare),
        "overhead_ratio": statistics.median(ours) / statistics.median(bare),
        "cv_time_ms": _cv(ours),
        "cv_cpu_ms": _cv(cpu),
        "cv_bare_ms": _cv(bare),  # the host's own noise: what the same binary varies by with no supervisor
        "runs": runs,
    }


def accuracy(sandbox: Sandbox) -> dict[str, float]:
    empty = sandbox.execute(ExecutionRequest(code=TRIVIAL_CPP, language="cpp", repeat=5))
    report = sandbox.execute(ExecutionRequest(code=ALLOC_CPP, language="cpp", limits=Limits(memory_mb=1024)))
    t0, t1, t2, t3, _ = (int(v) for v in report.stdout.split())
    base_kb = empty.memory_kb or 0.0
    block_kb = 200 * 1024
    expected_peak = base_kb + block_kb
    # area: the process baseline for the whole run + a linear ramp while touching + the held block +
    # a linear fall while it is unmapped (the program times every phase; the exit that follows holds
    # only the baseline, so how long the kernel takes to tear the process down does not matter)
    expected_integral = (
        base_kb * report.time_ms
        + 0.5 * block_kb * (t1 - t0) / 1e6
        + block_kb * (t2 - t1) / 1e6
        + 0.5 * block_kb * (t3 - t2) / 1e6
    )
    return {
        "memory_kb": report.memory_kb,
        "expected_memory_kb": expected_peak,
        "memory_error": abs(report.memory_kb - expected_peak) / expected_peak,
        "integral_kb_ms": report.integral_kb_ms,
        "expected_integral_kb_ms": expected_integral,
        "integral_error": abs(report.integral_kb_ms - expected_integral) / expected_integral,
    }


def timeout_accuracy(sandbox: Sandbox) -> dict[str, float]:
    report = sandbox.execute(
        ExecutionRequest(code="int main() { for (;;) {} }\n", language="cpp", limits=Limits(timeout_s=1.0))
    )
    return {
        "limit_ms": 1000.0,
        "measured_ms": report.time_ms,
        "error_ms": report.time_ms - 1000.0,
        "verdict": report.verdict.value,
    }


def throughput(sandbox: Sandbox, count: int) -> dict[str, float]:
    result = {}
    for name, code, language in (("cpp_trivial", TRIVIAL_CPP, "cpp"), ("python_trivial", TRIVIAL_PY, "python")):
        sandbox.execute(ExecutionRequest(code=code, language=language))  # compile + calibrate once
        requests = [ExecutionRequest(code=code, language=language) for _ in range(count)]
        start = time.perf_counter()
        reports = sandbox.execute_many(requests)
        elapsed = time.perf_counter() - start
        assert all(r.passed for r in reports)
        result[f"{name}_per_s"] = count / elapsed
    result["parallel"] = sandbox.parallel
    return result


def leftover_processes() -> int:
    """Processes still alive whose command line points into a job's scratch directory."""
    found = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if b"afterburner-job-" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    found += 1
            except OSError:
                pass
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (smoke run)")
    args = parser.parse_args()
    sandbox = Sandbox()
    runs = 6 if args.quick else 20
    output = {
        "host": host_info(),
        "isolation": {
            "cgroup_version": cgroup_version(),
            "netns": sandbox_netns() is not None,
            "measured_cores": list(core_layout().measured),
            "housekeeping_core": core_layout().housekeeping,
        },
        "sample_rate": sample_rate(sandbox),
        "overhead": overhead_and_repeatability(sandbox, runs),
        "accuracy": accuracy(sandbox),
        "timeout": timeout_accuracy(sandbox),
        "throughput": throughput(sandbox, 10 if args.quick else 40),
    }
    output["leftover_processes"] = leftover_processes()
    targets = {
        "sample_rate_ge_10khz": min(output["sample_rate"]["idle_hz"], output["sample_rate"]["busy_hz"]) >= 10_000,
        "overhead_le_1.03": output["overhead"]["overhead_ratio"] <= 1.03,
        "cv_cpu_le_2pct": output["overhead"]["cv_cpu_ms"] <= 0.02,
        "memory_within_2pct": output["accuracy"]["memory_error"] <= 0.02,
        "integral_within_5pct": output["accuracy"]["integral_error"] <= 0.05,
        "timeout_within_100ms": abs(output["timeout"]["error_ms"]) <= 100,
        "no_leftovers": output["leftover_processes"] == 0,
    }
    output["targets_met"] = targets
    json.dump(output, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
