"""From the supervisor's raw runs to verdicts and metrics (pure functions, no processes).

Definitions (README → Measurement):
- program mode: time = wall from exec() to exit, cpu = user+sys of the tree, memory = peak RSS of
  the tree, integral = ∫RSS dt over the run;
- tests, one process per test (native): each test's wall, cpu and integral minus this host's
  calibrated start-up of an empty program of the language, summed over tests; memory = the
  largest peak of any test process;
- tests, in-process harness (interpreters, JVM): the harness's CLOCK_MONOTONIC window around each
  call of the runner (and the process CPU clock over the same window), summed; memory = peak RSS
  of the process; integral = ∫RSS dt restricted to the test windows (from the sample log).
"""

from __future__ import annotations

import os
import signal as signal_module
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from afterburner_core.models import FailingTest, TestCase, Verdict
from afterburner_core.sandbox.supervisor import RunRecord, SupervisorResult

EXCERPT = 2048


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


def program_outcome(result: SupervisorResult, out: Path, err: Path, oom_killed: bool, stdout_limit: int) -> Outcome:
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
    stderr = tail(read_untrusted(err))
    if message and verdict != Verdict.runtime_error:
        stderr = (stderr + "\n" if stderr else "") + f"[afterburner] {message}"
    return Outcome(
        verdict=verdict,
        tests_passed=int(verdict == Verdict.accepted),
        tests_total=1,
        measurement=measurement if verdict != Verdict.sandbox_error else None,
        exit_code=run.exit_code if run.exit_code >= 0 else None,
        signal=run.signal or None,
        stdout=decode(read_untrusted(out), stdout_limit),
        stderr=stderr,
    )


def _integral_or_bound(run: RunRecord) -> float:
    """∫RSS dt in KiB·ms; a run too short for any sample gets peak × wall (an upper bound)."""
    if run.samples > 0:
        return run.integral_kb_ns / 1e6
    return run.maxrss_kb * run.wall_ns / 1e6


Evaluator = Callable[[str, str], bool]


def _failing(index: int, test: TestCase, actual: str | None, reason: str) -> FailingTest:
    return FailingTest(
        index=index,
        input=decode(test.input.encode(), 1000),
        expected=decode(test.output.encode(), 1000),
        actual=None if actual is None else decode(actual.encode(), 1000),
        reason=reason,
    )


def _check(evaluate: Evaluator, expected: str, actual: str) -> tuple[bool, str]:
    try:
        return bool(evaluate(expected, actual)), ""
    except Exception as exc:  # the evaluator is dataset code; a crash there is a wrong answer
        return False, f"evaluator raised {type(exc).__name__}: {exc}"


def process_tests_outcome(
    result: SupervisorResult,
    tests: Sequence[TestCase],
    tests_dir: Path,
    evaluate: Evaluator,
    baseline: Baseline,
    oom_killed: bool,
) -> Outcome:
    """One process per test: verdict at the first failing test, metrics over all tests."""
    runs = result.runs
    passed = 0
    for index, run in enumerate(runs):
        test = tests[index]
        out = read_untrusted(tests_dir / f"{index}.out")
        err = read_untrusted(tests_dir / f"{index}.err")
        broken = limit_verdict(run, oom_killed and index == len(runs) - 1)
        if broken:
            verdict, message = broken
            return Outcome(
                verdict, passed, len(tests), None, run.exit_code if run.exit_code >= 0 else None,
                run.signal or None, decode(out, EXCERPT), tail(err), _failing(index, test, decode(out), message),
            )
        ok, why = _check(evaluate, test.output, decode(out))
        if not ok:
            return Outcome(
                Verdict.wrong_answer, passed, len(tests), None, 0, None, decode(out, EXCERPT), tail(err),
                _failing(index, test, decode(out), why or "output differs from the expected answer"),
            )
        passed += 1
    samples, sampled_ms = _sampled(runs)
    measurement = Measurement(
        time_ms=sum(max(0.0, r.wall_ns / 1e6 - baseline.wall_ms) for r in runs),
        cpu_ms=sum(max(0.0, r.cpu_us / 1000 - baseline.cpu_ms) for r in runs),
        memory_kb=float(max(r.peak_kb for r in runs)),
        integral_kb_ms=sum(max(0.0, _integral_or_bound(r) - baseline.integral_kb_ms) for r in runs),
        samples=samples,
        sampled_ms=sampled_ms,
        instructions=_instructions(runs),
    )
    return Outcome(Verdict.accepted, passed, len(tests), measurement, 0, None)


@dataclass
class HarnessLine:
    index: int
    t0_ns: int
    t1_ns: int
    cpu_ns: int
    status: str
    message: str


def parse_timings(path: Path) -> list[HarnessLine]:
    lines = []
    for raw in read_untrusted(path).decode("utf-8", errors="replace").splitlines():
        parts = raw.split("\t", 5)
        if len(parts) < 5:
            break
        try:
            lines.append(HarnessLine(int(parts[0]), int(parts[1]), int(parts[2]), int(parts[3]), parts[4],
                                     parts[5].replace("\\n", "\n") if len(parts) > 5 else ""))
        except ValueError:
            break
    return lines


def windowed_integral(samples: Sequence[tuple[int, int]], windows: Sequence[tuple[int, int]]) -> tuple[float, int]:
    """∫RSS dt (KiB·ms) restricted to disjoint, increasing windows (sample-and-hold between samples).

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


def harness_tests_outcome(
    result: SupervisorResult,
    tests: Sequence[TestCase],
    tests_dir: Path,
    timings_file: Path,
    harness_err: Path,
    evaluate: Evaluator,
    per_test_timeout_ns: int,
    oom_killed: bool,
    samples: Sequence[tuple[int, int]],
) -> Outcome:
    """One harness process looped over the tests and logged a timing line per test."""
    run = result.runs[0]
    lines = parse_timings(timings_file)
    stderr = tail(read_untrusted(harness_err))
    passed = 0
    previous_end = run.start_ns
    for line in lines:
        index = line.index
        if index != passed or index >= len(tests):
            return _tampered(passed, tests, stderr, "the harness log is out of order")
        if not (previous_end <= line.t0_ns <= line.t1_ns <= max(run.end_ns, run.start_ns)):
            return _tampered(passed, tests, stderr, "test timings fall outside the supervised run")
        previous_end = line.t1_ns
        test = tests[index]
        out = read_untrusted(tests_dir / f"{index}.out")
        if line.t1_ns - line.t0_ns > per_test_timeout_ns:
            return Outcome(Verdict.time_limit, passed, len(tests), None, None, None, decode(out, EXCERPT), stderr,
                           _failing(index, test, None, "time limit exceeded"))
        if line.status == "output_limit":
            return Outcome(Verdict.output_limit, passed, len(tests), None, None, None, "", stderr,
                           _failing(index, test, None, "output limit exceeded"))
        if line.status != "ok":
            return Outcome(Verdict.runtime_error, passed, len(tests), None, None, None, decode(out, EXCERPT),
                           tail(line.message.encode()) or stderr, _failing(index, test, decode(out), line.message[:300]))
        ok, why = _check(evaluate, test.output, decode(out))
        if not ok:
            return Outcome(Verdict.wrong_answer, passed, len(tests), None, None, None, decode(out, EXCERPT), stderr,
                           _failing(index, test, decode(out), why or "output differs from the expected answer"))
        passed += 1
    if passed < len(tests):
        test = tests[passed]
        broken = limit_verdict(run, oom_killed)
        verdict, message = broken if broken else (Verdict.runtime_error, "the program ended the test run early")
        return Outcome(verdict, passed, len(tests), None, run.exit_code if run.exit_code >= 0 else None,
                       run.signal or None, "", stderr, _failing(passed, test, None, message))
    broken = limit_verdict(run, oom_killed)
    if broken and broken[0] != Verdict.runtime_error:
        return Outcome(broken[0], passed, len(tests), None, None, None, "", stderr,
                       _failing(len(tests) - 1, tests[-1], None, broken[1]))
    windows = [(line.t0_ns, line.t1_ns) for line in lines]
    integral, inside = windowed_integral(samples, windows)
    window_ms = sum(b - a for a, b in windows) / 1e6
    measurement = Measurement(
        time_ms=window_ms,
        cpu_ms=sum(line.cpu_ns for line in lines) / 1e6,
        memory_kb=float(run.peak_kb),
        integral_kb_ms=integral,
        samples=inside,
        sampled_ms=window_ms,
    )
    return Outcome(Verdict.accepted, passed, len(tests), measurement, run.exit_code, None)


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


def _tampered(passed: int, tests: Sequence[TestCase], stderr: str, message: str) -> Outcome:
    index = min(passed, len(tests) - 1)
    return Outcome(Verdict.runtime_error, passed, len(tests), None, None, None, "", stderr,
                   _failing(index, tests[index], None, f"{message} (was the measurement tampered with?)"))
