"""Interleaved repeats (rounds over a batch) and paired Litmus evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from afterburner_core.datasets import get_problem
from afterburner_core.litmus.evaluate import Sample
from afterburner_core.litmus.paired import PAIRED_SOURCE, measure_paired
from afterburner_core.models import CompileInfo, ExecutionRequest, Limits, RunReport, Verdict
from afterburner_core.sandbox.api import Sandbox
from afterburner_core.sandbox.scheduling.rounds import merge_runs, run_in_rounds
from tests.helpers import require_language, run_cli


def _report(time_ms: float, passed: bool = True, memory_kb: float = 100.0) -> RunReport:
    return RunReport(
        verdict=Verdict.accepted if passed else Verdict.wrong_answer,
        passed=passed,
        language="python",
        compile=CompileInfo(ok=True),
        time_ms=time_ms if passed else None,
        cpu_ms=time_ms,
        memory_kb=memory_kb,
        integral_kb_ms=time_ms * memory_kb,
        repeats=1,
        samples=10,
    )


class RecordingSandbox:
    """Answers `execute` from a script of times per request (by code), recording the order of calls."""

    parallel = 1

    def __init__(self, times: dict[str, list[float]], failing: dict[str, int] | None = None) -> None:
        self.times = times
        self.failing = failing or {}
        self.calls: list[tuple[str, int]] = []

    def execute(self, request: ExecutionRequest) -> RunReport:
        made = sum(1 for code, _ in self.calls if code == request.code)
        self.calls.append((request.code, request.repeat))
        passed = self.failing.get(request.code) != made
        return _report(self.times[request.code][made], passed)


def test_merge_runs_takes_medians_intervals_and_counts() -> None:
    merged = merge_runs([_report(10.0), _report(30.0, memory_kb=300.0), _report(20.0, memory_kb=200.0)])
    assert merged.time_ms == 20.0 and merged.memory_kb == 200.0 and merged.integral_kb_ms == 4000.0
    assert merged.repeats == 3 and merged.samples == 30
    assert merged.ci.time_ms == (10.0, 30.0) and merged.ci.memory_kb == (100.0, 300.0)
    failing = _report(0.0, passed=False)
    assert merge_runs([_report(10.0), failing, _report(12.0)]) is failing
    with pytest.raises(ValueError):
        merge_runs([])


def test_rounds_interleave_rotate_and_stop_failing_requests() -> None:
    times = {code: [1.0, 2.0, 3.0] for code in "abcd"}
    sandbox = RecordingSandbox(times, failing={"b": 1})  # b fails on its second run
    requests = [ExecutionRequest(language="python", code=code, repeat=5) for code in "abcd"]
    seen: list[tuple[int, bool]] = []
    reports = run_in_rounds(sandbox, requests, 3, lambda index, report: seen.append((index, report.passed)))
    codes = [code for code, _ in sandbox.calls]
    assert codes[:4] == list("abcd")  # round 1: the batch in order
    assert codes[4:8] == list("bcda")  # round 2 starts elsewhere; each request once a round
    assert set(codes[8:]) == set("acd") and len(codes) == 11  # b failed in round 2: not run again
    assert all(repeat == 1 for _, repeat in sandbox.calls)  # one run a round, whatever was asked
    assert not reports[1].passed and reports[1].verdict == Verdict.wrong_answer
    assert [r.time_ms for i, r in enumerate(reports) if i != 1] == [2.0, 2.0, 2.0]
    assert sorted(seen) == [(0, True), (1, False), (2, True), (3, True)]  # once per request, merged
    with pytest.raises(ValueError):
        run_in_rounds(sandbox, requests, 0)


def test_rounds_on_real_processes() -> None:
    require_language("python")
    with Sandbox() as sandbox:
        requests = [
            ExecutionRequest(language="python", code="print(sum(range(10**5)))"),
            ExecutionRequest(language="python", code="print(1/0)"),
        ]
        good, bad = run_in_rounds(sandbox, requests, 2)
    assert good.passed and good.repeats == 2 and good.stdout.strip() == str(sum(range(10**5)))
    assert good.ci.time_ms is not None and good.ci.time_ms[0] <= good.time_ms <= good.ci.time_ms[1]
    assert not bad.passed and bad.verdict == Verdict.runtime_error and bad.repeats <= 1  # not run again


def test_measure_paired_ranks_against_humans_measured_alongside() -> None:
    require_language("python")
    problem = get_problem("run-length-encode")
    human = next(s for s in problem.solutions["python"] if s.passed)
    wrong = next(s for s in problem.solutions["python"] if not s.passed)
    samples = [Sample(str(problem.problem_id), "python3", human.code), Sample(problem.title, "python", wrong.code)]
    problems = {str(problem.problem_id): problem, problem.title: problem}
    counted: list[tuple[int, int]] = []
    with Sandbox() as sandbox:
        humans, reports = measure_paired(
            samples, problems, sandbox, 2, Limits(), lambda done, total: counted.append((done, total))
        )
    correct = sum(s.passed for s in problem.solutions["python"])
    assert len(humans.values(problem.problem_id, "python", "time")) == correct
    assert set(humans.source.values()) == {PAIRED_SOURCE}
    assert reports[0].passed and reports[0].repeats == 2 and not reports[1].passed
    assert counted[-1] == (correct + 2, correct + 2)


def test_evaluate_cli_paired(tmp_path: Path) -> None:
    require_language("python")
    problem = get_problem("run-length-encode")
    correct = next(s for s in problem.solutions["python"] if s.passed)
    samples = tmp_path / "s.jsonl"
    samples.write_text(json.dumps({"problem_id": problem.title, "language": "python", "code": correct.code}) + "\n")
    result = run_cli("evaluate", "--samples", str(samples), "--paired", "--repeat", "auto")
    assert result.returncode == 2 and "--pairing all takes a number of rounds" in result.stderr
    result = run_cli("evaluate", "--samples", str(samples), "--pairing", "sideways")
    assert result.returncode == 2 and "unknown pairing 'sideways'" in result.stderr
    result = run_cli("evaluate", "--samples", str(samples), "--paired", "--repeat", "2", "--json", timeout=1200)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["meta"]["pairing"] == "all" and data["meta"]["human_distribution"] == PAIRED_SOURCE
    assert data["overall"]["scores"]["pass@1"] == 1.0 and data["overall"]["scores"]["time%"] > 0
