"""From the supervisor's raw runs to verdicts and metrics (pure functions, no processes).

Definitions (README → Measurement):
- program mode: time = wall from exec() to exit, cpu = user+sys of the tree, memory = peak RSS of
  the tree, integral = ∫RSS dt over the run;
- tests, one process per test (native): each test's wall, cpu and integral minus this host's
  calibrated start-up of an empty program of the language, summed over tests; memory = the
  largest peak of any test process;
- tests, in-process harness (interpreters, JVM): each test's window as the *supervisor* stamped it
  (from the harness's GO to its complete DONE) and the job's CPU over the same window, summed,
  plus any CPU the job burnt between windows beyond what feeding it the next input costs (work
  done is work done, wherever the program hides it); memory = peak of the run; integral = ∫ dt
  restricted to the windows (and to any gap that held such work), from the sample log.

Memory everywhere is the larger of the process tree's RSS and the job cgroup's charge above its
level before the run (so tmpfs files and memfds count), sampled by the supervisor.
"""

from __future__ import annotations

import os
import signal as signal_module
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from afterburner_core.models import FailingTest, TestCase, Verdict
from afterburner_core.sandbox.supervision.supervisor import RunRecord, SupervisorResult, TestRecord

EXCERPT = 2048
# How measurements are derived from the runs. A calibration measured one way cannot be compared
# with samples measured another, so it is part of a calibration's content key: change it whenever
# the same program would measure differently (2: process-per-test start-up measured beside each
# run and subtracted from the sum, not per test).
METHOD = 2

# What the harness may honestly spend between two windows (reading the next TEST line, saying GO;
# the input itself is read inside the window). Measured here with count-pairs-with-sum's human
# solutions: Python 40-160 µs of CPU per gap, JavaScript mostly under 400 µs (a young-generation
# collection now and then: 1.4 ms), Java 60 µs-3.7 ms (its compiler threads); benchmarks/integrity.py
# prints the observed gaps. Beyond the allowance a gap's CPU is the program's own work (or its
# runtime's on its behalf) and is added to its figures. Without an exact CPU counter the gap's
# wall time is judged instead, which a busy host stretches: its allowance is wider.
GAP_ALLOWANCE_NS = 1_000_000
GAP_WALL_ALLOWANCE_NS = 3_000_000
# A run on one pinned core cannot use more CPU than wall time; the slack covers clock-tick
# rounding of children reaped inside a window.
CPU_OVER_WALL_SLACK_NS = 20_000_000


@dataclass
class Baseline:
    """Start-up cost of an empty program of one language on this host (medians)."""

    wall_ms: float = 0.0
    cpu_ms: float = 0.0
    integral_kb_ms: float = 0.0
    memory_kb: float = 0.0


@dataclass
class Measurement:
    time_ms: float
    cpu_ms: float
    memory_kb: float
    integral_kb_ms: float
    samples: int
    sampled_ms: float
    instructions: int | None = None

    @property
    def sample_hz(self) -> float:
        return self.samples / (self.sampled_ms / 1000) if self.sampled_ms > 0 else 0.0


@dataclass
class Outcome:
    verdict: Verdict
    tests_passed: int
    tests_total: int
    measurement: Measurement | None
    exit_code: int | None = None
    signal: int | None = None
    stdout: str = ""
    stderr: str = ""
    failing_test: FailingTest | None = None
    extras: dict[str, object] = field(default_factory=dict)


def decode(data: bytes, limit: int | None = None) -> str:
    text = data.decode("utf-8", errors="replace")
    return text if limit is None or len(text) <= limit else text[:limit] + "…[truncated]"


def tail(data: bytes, limit: int = EXCERPT) -> str:
    text = data.decode("utf-8", errors="replace")
    return text if len(text) <= limit else "…" + text[-limit:]


def read_untrusted(path: Path) -> bytes:
    """A file the program may have touched, read without trusting it: a symlink (say to
    /etc/shadow, planted where an output belongs) is not followed, and anything but a regular file
    (a FIFO would block us forever) reads as empty."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return b""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b""
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    except OSError:
        return b""
    finally:
        os.close(fd)


def limit_verdict(run: RunRecord, oom_killed: bool) -> tuple[Verdict, str] | None:
    """The verdict a run earned by breaking a limit or crashing, if any."""
    if run.spawn_error:
        return Verdict.sandbox_error, f"could not start the program: {run.spawn_error}"
    if run.memory_exceeded or (oom_killed and run.signal == signal_module.SIGKILL):
        return Verdict.memory_limit, "memory limit exceeded"
    if run.timed_out:
        return Verdict.time_limit, "time limit exceeded"
    if run.output_exceeded:
        return Verdict.output_limit, "output limit exceeded"
    if run.signal:
        return Verdict.runtime_error, f"killed by signal {run.signal} ({_signal_name(run.signal)})"
    if run.exit_code != 0:
        return Verdict.runtime_error, f"exit code {run.exit_code}"
    return None


def _signal_name(number: int) -> str:
    try:
        return signal_module.Signals(number).name
    except ValueError:
        return "unknown"


def _sampled(runs: Sequence[RunRecord]) -> tuple[int, float]:
    return sum(r.samples for r in runs), sum(r.wall_ns for r in runs) / 1e6


def _instructions(runs: Sequence[RunRecord]) -> int | None:
    """Total user-space instructions, or None when the host has no hardware counters."""
    if not runs or any(r.instructions < 0 for r in runs):
        return None
    return sum(r.instructions for r in runs)


def program_outcome(result: SupervisorResult, oom_killed: bool, stdout_limit: int) -> Outcome:
    run = result.runs[0]
    samples, sampled_ms = _sampled(result.runs)
    measurement = Measurement(
        time_ms=run.wall_ns / 1e6,
        cpu_ms=run.cpu_us / 1000,
        memory_kb=float(run.peak_kb),
        integral_kb_ms=_integral_or_bound(run),
        samples=samples,
        sampled_ms=sampled_ms,
        instructions=_instructions(result.runs),
    )
    broken = limit_verdict(run, oom_killed)
    verdict, message = broken if broken else (Verdict.accepted, "")
    stderr = tail(run.stderr)
    if message and verdict != Verdict.runtime_error:
        stderr = (stderr + "\n" if stderr else "") + f"[afterburner] {message}"
    return Outcome(
        verdict=verdict,
        tests_passed=int(verdict == Verdict.accepted),
        tests_total=1,
        measurement=measurement if verdict != Verdict.sandbox_error else None,
        exit_code=run.exit_code if run.exit_code >= 0 else None,
        signal=run.signal or None,
        stdout=decode(run.stdout, stdout_limit),
        stderr=stderr,
    )


def clean_exit(run: RunRecord) -> bool:
    return run.exit_code == 0 and not run.signal


def startup_baseline(runs: Sequence[RunRecord], summary: Callable[[list[float]], float]) -> Baseline | None:
    """An empty program's start-up from its cleanly ended runs, each quantity summarised by
    `summary` (`min` for the day-long cache, the median beside a run); None without a clean run."""
    good = [r for r in runs if clean_exit(r)]
    if not good:
        return None
    return Baseline(
        wall_ms=summary([r.wall_ns / 1e6 for r in good]),
        cpu_ms=summary([r.cpu_us / 1000 for r in good]),
        integral_kb_ms=summary([_integral_or_bound(r) for r in good]),
        memory_kb=summary([float(r.peak_kb) for r in good]),
    )


def _integral_or_bound(run: RunRecord) -> float:
    """∫RSS dt in KiB·ms; a run too short for any sample gets peak × wall (an upper bound)."""
    if run.samples > 0:
        return run.integral_kb_ns / 1e6
    return run.maxrss_kb * run.wall_ns / 1e6


Evaluator = Callable[[str, str], bool]


class TestJudge:
    """Checks answers against the expected outputs, once per test: the engine asks while the run
    is still going (to stop at the first wrong answer) and the analysis asks again afterwards."""

    __test__ = False  # not a pytest class

    def __init__(self, tests: Sequence[TestCase], evaluate: Evaluator) -> None:
        self.tests = tests
        self.evaluate = evaluate
        self._verdicts: dict[int, tuple[bool, str]] = {}

    def __call__(self, index: int, output: bytes) -> tuple[bool, str]:
        if index not in self._verdicts:
            try:
                self._verdicts[index] = (bool(self.evaluate(self.tests[index].output, decode(output))), "")
            except Exception as exc:  # the evaluator is dataset code; a crash there is a wrong answer
                self._verdicts[index] = (False, f"evaluator raised {type(exc).__name__}: {exc}")
        return self._verdicts[index]

    def keeps_going(self, record: RunRecord | TestRecord) -> bool:
        """For the supervisor's stream: False once a test has failed (the rest need not run)."""
        if isinstance(record, TestRecord):
            return record.status == "ok" and self(record.index, record.output)[0]
        if limit_verdict(record, False) is not None:
            return False
        return record.index < len(self.tests) and self(record.index, record.stdout)[0]


def _failing(index: int, test: TestCase, actual: str | None, reason: str) -> FailingTest:
    return FailingTest(
        index=index,
        input=decode(test.input.encode(), 1000),
        expected=decode(test.output.encode(), 1000),
        actual=None if actual is None else decode(actual.encode(), 1000),
        reason=reason,
    )


def _failed(
    verdict: Verdict,
    passed: int,
    tests: Sequence[TestCase],
    index: int,
    *,
    actual: bytes | None = None,
    reason: str,
    stderr: str = "",
    run: RunRecord | None = None,
) -> Outcome:
    index = min(index, len(tests) - 1)
    shown = None if actual is None else decode(actual)
    return Outcome(
        verdict,
        passed,
        len(tests),
        None,
        exit_code=run.exit_code if run is not None and run.exit_code >= 0 else None,
        signal=(run.signal or None) if run is not None else None,
        stdout="" if actual is None else decode(actual, EXCERPT),
        stderr=stderr,
        failing_test=_failing(index, tests[index], shown, reason),
    )


def process_tests_outcome(
    result: SupervisorResult,
    tests: Sequence[TestCase],
    judge: TestJudge,
    baseline: Baseline,
    oom_killed: bool,
) -> Outcome:
    """One process per test: verdict at the first failing test, metrics over all tests."""
    runs = result.runs
    passed = 0
    for index, run in enumerate(runs):
        broken = limit_verdict(run, oom_killed and index == len(runs) - 1)
        if broken:
            return _failed(
                broken[0], passed, tests, index, actual=run.stdout, reason=broken[1], stderr=tail(run.stderr), run=run
            )
        ok, why = judge(index, run.stdout)
        if not ok:
            return _failed(
                Verdict.wrong_answer,
                passed,
                tests,
                index,
                actual=run.stdout,
                reason=why or "output differs from the expected answer",
                stderr=tail(run.stderr),
                run=run,
            )
        passed += 1
    if passed < len(tests):
        return _failed(Verdict.sandbox_error, passed, tests, passed, reason="the supervisor ended the sequence early")
    samples, sampled_ms = _sampled(runs)
    # start-up is subtracted from the sum, not from each test: clipping each test at zero would
    # turn a test's share of start-up noise into a positive bias that grows with the test count
    starts = len(runs)
    measurement = Measurement(
        time_ms=max(0.0, sum(r.wall_ns / 1e6 for r in runs) - starts * baseline.wall_ms),
        cpu_ms=max(0.0, sum(r.cpu_us / 1000 for r in runs) - starts * baseline.cpu_ms),
        memory_kb=float(max(r.peak_kb for r in runs)),
        integral_kb_ms=max(0.0, sum(_integral_or_bound(r) for r in runs) - starts * baseline.integral_kb_ms),
        samples=samples,
        sampled_ms=sampled_ms,
        instructions=_instructions(runs),
    )
    return Outcome(Verdict.accepted, passed, len(tests), measurement, 0, None)


def windowed_integral(samples: Sequence[tuple[int, int]], windows: Sequence[tuple[int, int]]) -> tuple[float, int]:
    """∫ memory dt (KiB·ms) restricted to disjoint, increasing windows (sample-and-hold between samples).

    Also returns how many samples fell inside the windows.
    """
    total = 0.0
    inside = 0
    j = 0
    n = len(samples)
    for start, end in windows:
        while j + 1 < n and samples[j + 1][0] <= start:
            j += 1
        k = j
        while k < n and samples[k][0] < end:
            t, rss = samples[k]
            if start <= t:
                inside += 1
            seg_start = max(t, start)
            seg_end = min(samples[k + 1][0], end) if k + 1 < n else end
            if seg_end > seg_start:
                total += rss * (seg_end - seg_start)
            k += 1
        j = max(j, k - 1)
    return total / 1e6, inside


def outside_work_ns(test: TestRecord, cpu_exact: bool) -> int:
    """What the gap before `test` took beyond what the harness needs there: its CPU when the
    supervisor's counter is exact (host load then changes nothing), else its wall time."""
    if cpu_exact:
        return max(0, test.gap_cpu_ns - GAP_ALLOWANCE_NS)
    return max(0, test.gap_ns - GAP_WALL_ALLOWANCE_NS)


def harness_tests_outcome(
    result: SupervisorResult,
    tests: Sequence[TestCase],
    judge: TestJudge,
    oom_killed: bool,
    samples: Sequence[tuple[int, int]],
) -> Outcome:
    """One harness process ran the tests; the supervisor fed them and stamped each window."""
    run = result.runs[0]
    stderr = tail(run.stderr)
    if result.tampered:
        index = len(result.tests)
        return _failed(
            Verdict.tampered,
            index,
            tests,
            index,
            stderr=stderr,
            run=run,
            reason=f"the test channel was tampered with: {result.tampered}",
        )
    if run.spawn_error:
        return _failed(
            Verdict.sandbox_error,
            0,
            tests,
            0,
            reason=f"could not start the program: {run.spawn_error}",
            stderr=stderr,
            run=run,
        )
    passed = 0
    for record in result.tests:
        index = record.index
        if record.status == "output_limit":
            return _failed(Verdict.output_limit, passed, tests, index, reason="output limit exceeded", stderr=stderr)
        if record.status != "ok":
            message = decode(record.message)
            return _failed(
                Verdict.runtime_error,
                passed,
                tests,
                index,
                actual=record.output,
                reason=message[:300],
                stderr=tail(record.message) or stderr,
                run=run,
            )
        ok, why = judge(index, record.output)
        if not ok:
            return _failed(
                Verdict.wrong_answer,
                passed,
                tests,
                index,
                actual=record.output,
                reason=why or "output differs from the expected answer",
                stderr=stderr,
            )
        passed += 1
    if passed < len(tests):
        if run.timed_out:
            where = run.timed_out_test if run.timed_out_test >= 0 else passed
            reason = "time limit exceeded" if run.timed_out_test >= 0 else "the harness did not start in time"
            return _failed(Verdict.time_limit, passed, tests, where, reason=reason, stderr=stderr, run=run)
        broken = limit_verdict(run, oom_killed)
        verdict, message = broken if broken else (Verdict.runtime_error, "the program ended the test run early")
        return _failed(verdict, passed, tests, passed, reason=message, stderr=stderr, run=run)
    if run.lingered:
        return _failed(
            Verdict.time_limit,
            passed,
            tests,
            len(tests) - 1,
            stderr=stderr,
            run=run,
            reason="the program kept running after its last test",
        )
    broken = limit_verdict(run, oom_killed)
    if broken:
        return _failed(
            broken[0], passed, tests, len(tests) - 1, reason=f"after the last test: {broken[1]}", stderr=stderr, run=run
        )
    wall_ns = sum(t.wall_ns for t in result.tests)
    cpu_ns = sum(t.cpu_ns for t in result.tests)
    if cpu_ns > wall_ns * 1.25 + CPU_OVER_WALL_SLACK_NS:
        return _failed(
            Verdict.tampered,
            passed,
            tests,
            len(tests) - 1,
            stderr=stderr,
            run=run,
            reason=f"the tests used {cpu_ns / 1e6:.1f} ms of CPU in {wall_ns / 1e6:.1f} ms on one core",
        )
    outside = [outside_work_ns(t, run.cpu_exact) for t in result.tests]
    windows = [(t.begin_ns, t.end_ns) for t in result.tests]
    gaps = [
        (previous.end_ns, t.begin_ns)
        for previous, t, extra in zip(result.tests, result.tests[1:], outside[1:], strict=False)
        if extra > 0
    ]
    integral, _ = windowed_integral(samples, sorted(windows + gaps))
    measurement = Measurement(
        time_ms=wall_ns / 1e6 + sum(outside) / 1e6,
        cpu_ms=(cpu_ns + sum(outside)) / 1e6,
        memory_kb=float(run.peak_kb),
        integral_kb_ms=integral,
        # the sampler's achieved rate over the run: test windows can be shorter than its period
        samples=run.samples,
        sampled_ms=run.wall_ns / 1e6,
    )
    outcome = Outcome(Verdict.accepted, passed, len(tests), measurement, run.exit_code, None)
    outcome.extras["harness_startup_ms"] = round(run.startup_ns / 1e6, 3)
    if sum(outside):
        outcome.extras["outside_ms"] = round(sum(outside) / 1e6, 3)
    return outcome


def reclassify_memory(outcome: Outcome, markers: Sequence[str]) -> Outcome:
    """A runtime error whose message says the runtime refused an allocation is a memory_limit."""
    if outcome.verdict != Verdict.runtime_error or not markers:
        return outcome
    text = outcome.stderr + (outcome.failing_test.reason if outcome.failing_test else "")
    if any(marker in text for marker in markers):
        outcome.verdict = Verdict.memory_limit
        if outcome.failing_test:
            outcome.failing_test.reason = "memory limit exceeded (the runtime refused an allocation)"
    return outcome
