"""Drift anchors: a calibration made when the host ran at another speed is brought to its speed now."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from afterburner_core import calibration, venus
from afterburner_core.datasets import get_problem
from afterburner_core.litmus.drift import Anchor, Drift, choose_anchors, measure_drift, rescale
from afterburner_core.litmus.evaluate import Sample
from afterburner_core.litmus.humans import HumanDistribution
from afterburner_core.litmus.pipeline import Settings, run_evaluation
from afterburner_core.models import CompileInfo, Interval, RunReport, Verdict
from tests.helpers import require_language


def _report(cpu: float, memory: float = 1000.0, passed: bool = True) -> RunReport:
    return RunReport(
        verdict=Verdict.accepted if passed else Verdict.wrong_answer,
        passed=passed,
        language="python",
        compile=CompileInfo(ok=True),
        time_ms=cpu * 1.1,
        cpu_ms=cpu,
        memory_kb=memory,
        integral_kb_ms=cpu * memory,
        repeats=3,
        ci=Interval(cpu_ms=(cpu * 0.9, cpu * 1.1), time_ms=(cpu, cpu * 1.2)),
    )


def _anchor(language: str, cpu: float, index: int = 0) -> Anchor:
    problem = get_problem("run-length-encode")
    job = venus.SolutionJob(problem, language, index, True, "", "")
    return Anchor(
        problem,
        language,
        job,
        {"time": cpu * 1.1, "cpu": cpu, "memory": 1000.0, "integral": cpu * 1000.0},
        "harness" if language in ("python", "java") else "process",
    )


def test_each_measurement_mode_drifts_by_the_median_of_its_anchors() -> None:
    """Process-per-test languages carry each test's start-up, which drifts on its own: C++ and Rust
    share one factor, Python and Java another; a failed anchor does not count."""
    anchors = [
        _anchor("python", 10.0),
        _anchor("python", 20.0, 1),
        _anchor("java", 40.0),
        _anchor("cpp", 5.0),
        _anchor("cpp", 5.0, 1),
        _anchor("rust", 8.0),
        _anchor("rust", 8.0, 1),
    ]
    reports = [
        _report(12.0),
        _report(30.0),
        _report(44.0),  # harness: 1.2, 1.5, 1.1
        _report(7.0),
        _report(1.0, passed=False),
        _report(11.2),
        _report(12.8),
    ]  # process: 1.4, 1.4, 1.6
    drift = measure_drift(anchors, reports)
    assert drift.factors["harness"]["cpu"] == pytest.approx(1.2)
    assert drift.factors["process"]["cpu"] == pytest.approx(1.4)
    assert drift.factor("java", "cpu") == pytest.approx(1.2) and drift.factor("cpp", "cpu") == pytest.approx(1.4)
    assert drift.factor("go", "cpu") == 1.0  # no anchor of its own language: not corrected
    assert drift.factors["process"]["memory"] == pytest.approx(1.0)
    assert drift.by_language["rust"]["cpu"] == pytest.approx(1.5)
    assert len(drift.ratios) == 6 and drift.meta()["anchors"] == 6
    # the scatter around each mode's median: |ln(r / m)| = 0, 0.223, 0.087 | 0, 0, 0.134; median 0.044
    logs = sorted([0.0, math.log(1.5 / 1.2), math.log(1.2 / 1.1), 0.0, 0.0, math.log(1.6 / 1.4)])
    assert drift.noise == pytest.approx(1.4826 * (logs[2] + logs[3]) / 2 / math.sqrt(2), rel=1e-3)


def test_no_usable_anchor_means_no_correction() -> None:
    drift = measure_drift([_anchor("python", 10.0)], [_report(1.0, passed=False)])
    assert drift.factors == {} and drift.noise is None
    humans = HumanDistribution()
    humans.add("p", "python", _report(10.0), "calibration")
    assert rescale(humans, drift).values("p", "python", "cpu") == [10.0]


def test_rescaling_moves_speed_quantities_and_their_intervals_but_never_memory() -> None:
    humans = HumanDistribution()
    humans.add("p", "python", _report(10.0), "calibration")
    humans.add("p", "go", _report(10.0), "calibration")
    drift = Drift(
        {"harness": {"time": 1.5, "cpu": 2.0, "memory": 3.0, "integral": 2.5}}, {"python": "harness"}, 0.1, [], {}
    )
    scaled = rescale(humans, drift)
    assert scaled.values("p", "python", "cpu") == [pytest.approx(20.0)]
    assert scaled.spans("p", "python", "cpu") == [(pytest.approx(18.0), pytest.approx(22.0))]
    assert scaled.values("p", "python", "time") == [pytest.approx(16.5)]
    assert scaled.values("p", "python", "integral") == [pytest.approx(25000.0)]
    assert scaled.values("p", "python", "memory") == [1000.0]  # host speed does not move memory
    assert scaled.values("p", "go", "cpu") == [10.0]  # not anchored: as calibrated
    assert humans.values("p", "python", "cpu") == [10.0]  # the original is left alone
    assert scaled.source == humans.source


def test_the_anchor_is_the_calibrated_human_in_the_middle(tmp_path_factory: pytest.TempPathFactory) -> None:
    from tests.helpers import private_calibration

    problem = get_problem("run-length-encode")
    jobs = venus.solution_jobs([problem], ["python"], only_correct=True)
    cpus = [50.0, 10.0, 30.0, 20.0, 40.0, 60.0][: len(jobs)]
    with private_calibration(tmp_path_factory):
        assert choose_anchors("venus-mini", [(problem, "python")]) == []  # nothing calibrated: no anchor
        calibration.merge_calibration("venus-mini", jobs, [_report(c) for c in cpus], 3)
        (anchor,) = choose_anchors("venus-mini", [(problem, "python"), (problem, "cpp")])
    middle = sorted(cpus)[(len(cpus) - 1) // 2]
    assert anchor.calibrated["cpu"] == middle and anchor.job.index == jobs[cpus.index(middle)].index
    assert anchor.job.code == jobs[cpus.index(middle)].code


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_a_calibration_from_a_slower_host_is_corrected_by_the_anchors(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The humans are calibrated, then the calibration is edited as if the host had run them at a
    quarter of its speed. Unanchored, the samples (copies of those humans) look far faster than
    humans; with anchors, the drift (about 0.25) is measured and they score as before the edit."""
    from tests.helpers import private_calibration

    require_language("python")
    problem = get_problem("run-length-encode")
    correct = [s for s in problem.solutions["python"] if s.passed]
    samples = [Sample(str(problem.problem_id), "python", s.code) for s in correct[:3]]
    settings = Settings(repeat=3, human_repeat=3, pairing="calibration")
    with private_calibration(tmp_path_factory) as root:
        honest = run_evaluation(samples, settings=settings)
        (path,) = root.glob("*.json")
        document = json.loads(path.read_text())
        for entry in document["problems"][str(problem.problem_id)]["python"]["entries"]:
            for quantity in ("time", "cpu", "integral"):
                entry[quantity] *= 4
            entry["ci"] = {}
        Path(path).write_text(json.dumps(document))
        unanchored = run_evaluation(samples, settings=Settings(repeat=3, pairing="calibration", anchor=False))
        anchored = run_evaluation(samples, settings=settings)
    assert unanchored.meta["drift"] is None
    factors = anchored.meta["drift"]["factors"]["harness"]
    assert 0.1 < factors["cpu"] < 0.5 and factors["memory"] == pytest.approx(1.0, abs=0.1)
    assert anchored.meta["noise_floor"]["memory"] == 0.05 <= anchored.meta["noise_floor"]["time"]
    level = honest.overall.scores["time%"]
    assert 0.2 < level < 0.8
    assert unanchored.overall.scores["time%"] > max(0.8, level + 0.2)  # a quarter of the calibrated time
    # the same code measured minutes apart differs by 10-30 % on a shared host: scores move a little
    assert abs(anchored.overall.scores["time%"] - level) < 0.25
    assert anchored.overall.scores["memory%"] == pytest.approx(unanchored.overall.scores["memory%"], abs=0.15)
