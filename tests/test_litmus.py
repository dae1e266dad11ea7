"""Litmus: percentiles with explicit ties, bootstrap intervals, and the evaluation end to end."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from afterburner_core.datasets import get_problem
from afterburner_core.litmus.evaluate import Sample, SampleRecord, aggregate, evaluate_records, score
from afterburner_core.litmus.humans import human_distribution
from afterburner_core.litmus.paired import measure_paired
from afterburner_core.litmus.percentile import NOISE_FLOOR, Standing, beyond, relative_noise, standing
from afterburner_core.models import Limits
from afterburner_core.sandbox.api import Sandbox
from tests.helpers import require_language, run_cli


def test_beyond_counts_ties_half_and_handles_no_humans() -> None:
    humans = [10.0, 20.0, 30.0, 40.0]
    assert beyond(5.0, humans) == pytest.approx(1.0)
    assert beyond(80.0, humans) == pytest.approx(0.0)
    assert beyond(20.0, humans) == pytest.approx((2 + 0.5) / 4)  # an exact tie counts half
    assert beyond(25.0, humans) == pytest.approx(0.5, abs=0.01)
    assert beyond(3.0, []) is None


def test_beyond_moves_smoothly_with_the_measurement() -> None:
    """No threshold: a few per cent of measurement change moves the score by a little."""
    humans = [10.0]
    scores = [beyond(v, humans) for v in (9.0, 9.5, 9.9, 10.0, 10.1, 10.5, 11.0)]
    assert scores == sorted(scores, reverse=True)
    assert all(abs(a - b) < 0.35 for a, b in itertools.pairwise(scores))
    assert beyond(9.0, humans) > 0.9 and beyond(11.0, humans) < 0.1  # 10 % apart: clearly ordered
    assert beyond(9.9, humans) == pytest.approx(0.5, abs=0.1)  # 1 %: a near-tie


def test_wide_intervals_make_comparisons_less_certain() -> None:
    humans = [10.0, 11.0, 30.0]
    tight = beyond(10.0, humans, interval=(9.9, 10.1), human_intervals=[(9.9, 10.1), (10.9, 11.1), (29, 31)])
    loose = beyond(10.0, humans, interval=(7.0, 14.0), human_intervals=[(7.0, 14.0), (8.0, 15.0), (29, 31)])
    assert tight > loose > 0.5  # both beat 30 and tie 10; 11 is beaten with less certainty when noisy
    assert relative_noise(10.0, None) == NOISE_FLOOR
    assert relative_noise(10.0, (5.0, 20.0)) > NOISE_FLOOR
    assert (
        standing(True, 10.0, humans, interval=(7.0, 14.0), human_intervals=[(7.0, 14.0), (8.0, 15.0), (29, 31)])
        == Standing.equal
    )
    assert standing(True, 5.0, humans) == Standing.beyond
    assert standing(True, 60.0, humans) == Standing.below
    with pytest.raises(ValueError):
        beyond(10.0, humans, human_intervals=[None, None])


def test_calibration_intervals_stay_parallel_to_values() -> None:
    from afterburner_core.litmus.humans import HumanDistribution

    entries = [
        {"passed": True, "time": 10.0, "cpu": 9.0, "memory": 5.0, "integral": 50.0, "ci": {"time_ms": [9.0, 11.0]}},
        {"passed": False, "time": 1.0, "ci": {"time_ms": [1.0, 1.0]}},
        {"passed": True, "time": 20.0, "memory": None, "integral": 90.0},  # no ci, no cpu
        {"passed": True, "time": 30.0, "memory": 6.0, "integral": 99.0, "ci": {"time_ms": "bogus"}},
    ]
    humans = HumanDistribution()
    humans.add_entries(7, "python", entries, "calibration")
    assert humans.values(7, "python", "time") == [10.0, 20.0, 30.0]
    assert humans.spans(7, "python", "time") == [(9.0, 11.0), None, None]
    assert humans.values(7, "python", "cpu") == [9.0] and humans.spans(7, "python", "cpu") == [None]
    assert humans.values(7, "python", "memory") == [5.0, 6.0] and humans.spans(7, "python", "memory") == [None, None]
    assert humans.spans(8, "python", "time") == []


def test_standing() -> None:
    assert standing(False, None, [1.0]) == Standing.failed
    assert standing(True, 0.5, [1.0, 2.0]) == Standing.beyond
    assert standing(True, 3.0, [1.0, 2.0]) == Standing.below
    assert standing(True, 1.5, [1.0, 2.0]) == Standing.equal
    assert standing(True, 1.0, []) is None


def _record(pid: str, passed: bool, b: float) -> SampleRecord:
    metrics = ("time", "memory", "integral")
    return SampleRecord(
        pid,
        "python",
        "",
        passed,
        "accepted" if passed else "wrong_answer",
        {m: 1.0 if passed else None for m in metrics},
        {m: b if passed else 0.0 for m in metrics},
        {m: "equal" if passed else "failed" for m in metrics},
    )


def test_aggregate_scores_and_bootstrap_interval() -> None:
    records = [_record(f"p{i}", i % 2 == 0, 0.5) for i in range(20)]
    agg = aggregate(records)
    assert agg.scores["pass@1"] == 0.5 and agg.scores["time%"] == 0.25
    lo, hi = agg.ci["pass@1"]
    assert lo < 0.5 < hi and hi - lo > 0.1  # a real interval, not the SE of a bootstrap mean
    assert agg.shares["time"]["failed"] == 0.5


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_fastest_humans_score_high_slowest_low_wrong_zero(tmp_path: Path, monkeypatch) -> None:
    """The issue's acceptance check, on two venus-mini problems in Python and C++.

    The fastest and slowest humans are picked from this run's calibration (a private file), then
    ranked in paired mode: the humans re-measured in the same interleaved rounds as the samples.
    The problems are ones whose fastest human is well ahead of the next (by 66 % or more in both
    languages here) and whose slowest well behind: where two humans are equally fast, which one
    is "the fastest" is decided by noise, and so is a criterion of >= 0.8 (the best attainable is
    (n - 0.5) / n, a solution ties with its own copy). `benchmarks/litmus_paired.py` measures how
    stable the score is on problems with near-tied humans.
    """
    from afterburner_core import calibration

    monkeypatch.setattr(calibration, "calibration_path", lambda dataset: tmp_path / "calibration.json")
    problems = [get_problem("count-primes"), get_problem("grid-paths-with-obstacles")]
    languages = []
    for language in ("python", "cpp"):
        require_language(language)
        languages.append(language)
    sandbox = Sandbox()
    measured = human_distribution("venus-mini", problems, languages, sandbox=sandbox, repeat=3)
    sets: dict[str, list[Sample]] = {"fastest": [], "slowest": [], "wrong": []}
    for problem in problems:
        for language in languages:
            correct = [s for s in problem.solutions[language] if s.passed]
            times = measured.values(problem.problem_id, language, "cpu")
            assert len(times) == len(correct)
            order = sorted(range(len(correct)), key=lambda i: times[i])
            sets["fastest"].append(Sample(str(problem.problem_id), language, correct[order[0]].code))
            sets["slowest"].append(Sample(str(problem.problem_id), language, correct[order[-1]].code))
            bad = next(s for s in problem.solutions[language] if not s.passed)
            sets["wrong"].append(Sample(str(problem.problem_id), language, bad.code))
    samples = [sample for group in sets.values() for sample in group]
    humans, reports = measure_paired(samples, {str(p.problem_id): p for p in problems}, sandbox, 3, Limits())
    records = score(samples, reports, humans)
    results = {}
    for offset, (name, group) in zip(range(0, len(samples), len(sets["fastest"])), sets.items(), strict=True):
        results[name] = evaluate_records(records[offset : offset + len(group)]).overall.scores
    assert results["fastest"]["time%"] >= 0.8, results
    assert results["slowest"]["time%"] <= 0.2, results
    assert all(value == 0 for value in results["wrong"].values()), results


def test_tags_are_compared_on_shared_problems_with_a_paired_interval() -> None:
    def tagged(pid: str, tag: str, b: float) -> SampleRecord:
        record = _record(pid, True, b)
        record.tag = tag
        return record

    records = [tagged(f"p{i}", "model-a", 0.2 + 0.02 * i) for i in range(10)]
    records += [tagged(f"p{i}", "model-b", 0.7 + 0.02 * i) for i in range(10)]
    records += [tagged("only-b", "model-b", 0.0)]  # not attempted by model-a: not compared
    evaluation = evaluate_records(records)
    assert set(evaluation.by_tag) == {"model-a", "model-b"}
    (comparison,) = evaluation.comparisons
    assert comparison.problems == 10
    assert comparison.difference["time%"] == pytest.approx(0.5)
    lo, hi = comparison.ci["time%"]
    assert 0 < lo <= 0.5 <= hi  # "model-b is faster than model-a", with 95 % confidence
    assert comparison.difference["pass@1"] == 0 and comparison.ci["pass@1"] == (0, 0)


def test_a_calibration_is_valid_only_for_the_content_it_measured() -> None:
    from afterburner_core import calibration

    problem = get_problem("count-primes")
    key = calibration.content_key(problem, "python")
    document = {"problems": {str(problem.problem_id): {"python": {"content": key, "entries": [{"passed": True}]}}}}
    assert calibration.entries_for(document, problem, "python") == [{"passed": True}]
    edited = [
        problem.model_copy(update={"test_cases": problem.test_cases[:-1]}),  # another test set
        problem.model_copy(update={"test_case_evaluator": "def evaluate(a, b):\n    return True\n"}),
        problem.model_copy(update={"solutions": {**problem.solutions, "python": problem.solutions["python"][:-1]}}),
        problem.model_copy(update={"time_limit_ms": 500}),
    ]
    for other in edited:
        assert calibration.content_key(other, "python") != key
        assert calibration.entries_for(document, other, "python") is None
    assert calibration.content_key(problem, "cpp") != key
    assert calibration.entries_for(document, problem, "cpp") is None


def test_two_datasets_under_one_file_name_never_share_humans(tmp_path: Path, monkeypatch) -> None:
    """The issue's case: a/train.jsonl calibrated, then b/train.jsonl (same ids, other content)."""
    from afterburner_core import calibration

    require_language("python")
    monkeypatch.setattr(calibration, "calibration_path", lambda dataset: tmp_path / "humans-train.jsonl.json")
    rows = {}
    for name, work in (("a", 1), ("b", 30000)):
        row = {
            "problem_id": 1,
            "title": "echo",
            "kind": "stdio",
            "test_cases": [{"input": "x\n", "output": "x"}],
            "solutions": {"python": [{"code": f"for _ in range({work}): pass\nprint(input())\n"}]},
        }
        folder = tmp_path / name
        folder.mkdir()
        (folder / "train.jsonl").write_text(json.dumps(row) + "\n")
        rows[name] = folder / "train.jsonl"
    from afterburner_core.datasets import load_problems

    first = human_distribution(str(rows["a"]), load_problems(str(rows["a"])), ["python"], repeat=1)
    again = human_distribution(str(rows["a"]), load_problems(str(rows["a"])), ["python"], repeat=1)
    other = human_distribution(str(rows["b"]), load_problems(str(rows["b"])), ["python"], repeat=1)
    assert first.source[("1", "python")] == "measured" and again.source[("1", "python")] == "calibration"
    assert other.source[("1", "python")] == "measured"  # not a's humans, whatever the file name
    assert first.calibration["content"]["1/python"] != other.calibration["content"]["1/python"]
    assert first.calibration["content"]["1/python"] == again.calibration["content"]["1/python"]


def test_evaluate_cli_bad_input(tmp_path: Path) -> None:
    samples = tmp_path / "s.jsonl"
    samples.write_text('{"problem_id": "count-primes"}\n')
    result = run_cli("evaluate", "--samples", str(samples))
    assert result.returncode == 2 and "needs problem_id, language and code" in result.stderr
    samples.write_text("not json\n")
    result = run_cli("evaluate", "--samples", str(samples))
    assert result.returncode == 2 and "not JSON" in result.stderr
    result = run_cli("evaluate", "--samples", str(tmp_path / "missing.jsonl"))
    assert result.returncode == 2 and "no such samples file" in result.stderr


def test_evaluate_cli_writes_reports(tmp_path: Path) -> None:
    require_language("python")
    problem = get_problem("run-length-encode")
    correct = next(s for s in problem.solutions["python"] if s.passed)
    wrong = next(s for s in problem.solutions["python"] if not s.passed)
    samples = tmp_path / "s.jsonl"
    samples.write_text(
        json.dumps({"problem_id": "run-length-encode", "language": "python3", "code": correct.code})
        + "\n"
        + json.dumps({"problem_id": problem.problem_id, "language": "python", "code": wrong.code})
        + "\n"
    )
    out = tmp_path / "out"
    result = run_cli("evaluate", "--samples", str(samples), "--out", str(out), "--json", timeout=1200)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["overall"]["scores"]["pass@1"] == 0.5
    assert {p.name for p in out.iterdir()} >= {"report.json", "report.md", "languages.png", "problems_time.png"}
    assert data["meta"]["time_basis"] == "cpu" and data["meta"]["calibration"]["content"]


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    """The quick start's main job: every available language evaluated, reports written."""
    out = tmp_path / "demo"
    result = run_cli("demo", "--out", str(out), "--json", timeout=3600)
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(result.stdout)
    assert data["meta"]["skipped_languages"] == {}
    assert set(data["by_language"]) == {"python", "cpp", "rust", "go", "java", "javascript"}
    # model-c outputs are wrong answers, model-a/-b correct: Pass@1 is two thirds in every language
    for language, agg in data["by_language"].items():
        assert abs(agg["scores"]["pass@1"] - 2 / 3) < 1e-9, language
    assert (out / "report.md").exists() and (out / "languages.png").exists()
