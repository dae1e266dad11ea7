"""Language-plugin benchmark: harness overhead, cold vs. cached compile, tests per second.

    python -m benchmarks.languages [--tests N] > languages.json

For each installed language, on the same generated tests (sum of 100,000 integers per test):
- `empty_ms`: measured time of a solution whose body does nothing (input parsing by the runner and
  the harness's per-test cost are what remains) vs. `real_ms` of a real solution;
- `compile_cold_ms` (a never-seen source) vs. `request_cached_ms` (the same request again:
  compile-cache hit, start-up calibration cached);
- `tests_per_s`: tests completed per second of wall time for the whole cached request;
- `per_test_overhead_ms`: measured time per test of the empty solution on a one-number input — what
  the harness (or, for native code, process creation after start-up calibration) adds per test.

With 100,000 numbers per test the runner's input parsing dominates both `real_ms` and `empty_ms`:
that cost belongs to the Venus runner contract (the runner parses, then calls the solution), so
`empty_ms ≈ real_ms` here means the solution body is cheap, not that the harness is.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid

from afterburner_core.models import ProblemRunRequest, TestCase
from afterburner_core.sandbox.api import Sandbox
from tests.corpus import PROBLEM, SOLUTIONS
from tests.helpers import LANGUAGES

EMPTY = {
    "python": "class Solution:\n    def total(self, nums):\n        return 0\n",
    "cpp": "class Solution {\npublic:\n    long long total(vector<long long>& v) { return 0; }\n};\n",
    "rust": "impl Solution {\n    pub fn total(v: Vec<i64>) -> i64 { 0 }\n}\n",
    "go": "func total(v []int64) int64 {\n\treturn 0\n}\n",
    "java": "class Solution {\n    public long total(long[] v) { return 0; }\n}\n",
    "javascript": "var total = function(nums) {\n    return 0;\n};\n",
}
COMMENT = {"python": "#", "cpp": "//", "rust": "//", "go": "//", "java": "//", "javascript": "//"}


def make_tests(count: int, size: int) -> list[TestCase]:
    rng = random.Random(5)
    tests = []
    for _ in range(count):
        values = [rng.randint(-(10**6), 10**6) for _ in range(size)]
        tests.append(TestCase(input=f"{size}\n{' '.join(map(str, values))}\n", output=f"{sum(values)}\n"))
    return tests


def bench_language(sandbox: Sandbox, language: str, tests: list[TestCase]) -> dict[str, float | str]:
    accept_all = PROBLEM.model_copy(update={"test_case_evaluator": "def evaluate(e, a):\n    return True\n"})
    nonce = f"\n{COMMENT[language]} {uuid.uuid4().hex}\n"
    real_code = SOLUTIONS["accepted"][language] + nonce

    def request(code: str, problem=PROBLEM) -> ProblemRunRequest:
        return ProblemRunRequest(problem=problem, code=code, language=language, tests=tests, repeat=3)

    cold = sandbox.run_problem(request(real_code))
    if not cold.passed:
        return {"error": f"{cold.verdict.value}: {cold.stderr[:200]}"}
    started = time.perf_counter()
    cached = sandbox.run_problem(request(real_code))
    cached_wall = (time.perf_counter() - started) / max(1, cached.repeats)
    empty = sandbox.run_problem(request(EMPTY[language] + nonce, accept_all))
    tiny = [TestCase(input="1\n7\n", output="7\n")] * len(tests)
    overhead = sandbox.run_problem(
        ProblemRunRequest(problem=accept_all, code=EMPTY[language] + nonce, language=language, tests=tiny, repeat=5)
    )
    return {
        "compile_cold_ms": cold.compile.ms,
        "compile_cached": cached.compile.cached,
        "request_cached_ms": cached_wall * 1000,
        "real_ms": cached.time_ms,
        "empty_ms": empty.time_ms,
        "harness_share": (empty.time_ms or 0) / (cached.time_ms or 1),
        "tests_per_s": len(tests) / cached_wall,
        "per_test_overhead_ms": (overhead.time_ms or 0.0) / len(tiny),
        "memory_kb": cached.memory_kb,
        "sample_hz": cached.sample_hz,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", type=int, default=10)
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args()
    sandbox = Sandbox()
    tests = make_tests(args.tests, args.size)
    results = {}
    for language in LANGUAGES:
        status = sandbox.registry.resolve_language(language).toolchain()
        results[language] = (
            bench_language(sandbox, language, tests) if status.available else {"skipped": status.message}
        )
    json.dump({"tests": args.tests, "numbers_per_test": args.size, "languages": results}, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
