"""Forged measurement in harness mode, where the program shares its process with the timing loop.

The in-process harness (Python here; Java and JavaScript work the same way) writes one timing line
per test; the supervisor writes the memory sample log next to it. A solution that rewrites the
timing log with stamps outside its own run must be caught, and one that overwrites the sample log
must not change the memory numbers (the log is the supervisor's, and not writable to the program).
"""

from __future__ import annotations

from afterburner_core.datasets import get_problem
from afterburner_core.models import Limits, ProblemRunRequest, Verdict
from afterburner_core.sandbox.api import Sandbox
from tests.adversarial.conftest import Canaries
from tests.adversarial.procs import assert_no_leftovers
from tests.conftest import require_language

PROBLEM = "count-pairs-with-sum"
HONEST = """
        freq = Counter(nums)
        total = 0
        for v, c in freq.items():
            w = target - v
            if v < w:
                total += c * freq.get(w, 0)
            elif v == w:
                total += c * (c - 1) // 2
        return total
"""
FORGE_TIMINGS = """import os, sys  # @MARK@
from collections import Counter
class Solution:
    def countPairs(self, nums, target):
        count = int(sys.argv[3])
        with open(sys.argv[4], "w") as log:  # every test 'took' 1 ns, at the epoch of the monotonic clock
            for i in range(count):
                log.write(f"{i}\\t{i + 1}\\t{i + 2}\\t0\\tok\\t\\n")
        for i in range(count):
            with open(os.path.join(sys.argv[2], f"{i}.out"), "w") as out:
                out.write("0\\n")
        os._exit(0)
"""
FORGE_SAMPLES = """import array, os, sys, time  # @MARK@
from collections import Counter
class Solution:
    def countPairs(self, nums, target):
        hold = bytearray(32 << 20)
        hold[::4096] = b"x" * len(hold[::4096])
        io = os.path.dirname(sys.argv[4])
        now = time.monotonic_ns()
        fake = array.array("q")
        for k in range(20000):  # 1 KiB resident, sampled every ms around now
            fake.extend((now - 10_000_000_000 + k * 1_000_000, 1))
        try:
            with open(os.path.join(io, "forged.bin"), "wb") as out:
                fake.tofile(out)
            os.replace(os.path.join(io, "forged.bin"), os.path.join(io, "samples.bin"))
        except OSError:
            pass
""" + HONEST


def _run(sandbox: Sandbox, code: str, c: Canaries):
    require_language("python")
    request = ProblemRunRequest(problem=get_problem(PROBLEM), code=code.replace("@MARK@", c.marker),
                                language="python", limits=Limits(timeout_s=5))
    return sandbox.run_problem(request)


def test_forged_timing_log_is_caught(sandbox: Sandbox, canaries: Canaries) -> None:
    report = _run(sandbox, FORGE_TIMINGS, canaries)
    assert report.verdict == Verdict.runtime_error, report
    assert report.failing_test is not None and "tampered" in report.failing_test.reason
    assert_no_leftovers(canaries.marker)


def test_overwriting_the_sample_log_changes_nothing(sandbox: Sandbox, canaries: Canaries) -> None:
    report = _run(sandbox, FORGE_SAMPLES, canaries)
    assert report.verdict == Verdict.accepted, report
    assert report.memory_kb is not None and report.memory_kb > 32 * 1024
    assert report.integral_kb_ms is not None and report.integral_kb_ms > 0
    assert report.samples > 0
    honest = _run(sandbox, "from collections import Counter\nclass Solution:\n    def countPairs(self, nums, target):\n"
                  + HONEST, canaries)
    assert honest.verdict == Verdict.accepted and honest.memory_kb is not None
    assert report.memory_kb > honest.memory_kb + 16 * 1024  # the held 32 MiB is seen
    assert honest.integral_kb_ms is not None and report.integral_kb_ms > honest.integral_kb_ms
    assert_no_leftovers(canaries.marker)
