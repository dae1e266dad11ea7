"""Paired where it matters: the humans near a sample are re-measured in its rounds, the far ones
come from the calibration (scaled by the paired humans' drift), and a first run calibrates."""

from __future__ import annotations

import json

import pytest

from afterburner_core.datasets import get_problem
from afterburner_core.litmus.evaluate import Sample
from afterburner_core.litmus.nearby import NEAR_FACTOR, _near
from afterburner_core.litmus.pipeline import Settings, run_evaluation
from afterburner_core.models import CompileInfo, RunReport, Verdict
from tests.helpers import require_language


def _sample(cpu: float, integral: float) -> RunReport:
    return RunReport(
        verdict=Verdict.accepted,
        passed=True,
        language="python",
        compile=CompileInfo(ok=True),
        time_ms=cpu,
        cpu_ms=cpu,
        memory_kb=1000.0,
        integral_kb_ms=integral,
    )


def _entry(cpu: float, integral: float) -> dict[str, float]:
    return {"time": cpu, "cpu": cpu, "memory": 1000.0, "integral": integral}


def test_a_human_is_near_when_within_the_factor_of_a_passing_sample_on_time_or_integral() -> None:
    samples = [_sample(10.0, 10_000.0), _sample(1000.0, 1_000_000.0)]
    assert _near(_entry(10.0 * NEAR_FACTOR * 0.99, 1.0), samples, "cpu")  # time within reach of the first
    assert _near(_entry(300.0, 1_000_000.0 / NEAR_FACTOR * 1.01), samples, "cpu")  # the integral of the second
    assert not _near(_entry(10.0 * NEAR_FACTOR * 1.5, 10_000.0 * NEAR_FACTOR * 1.5), samples, "cpu")
    assert not _near(_entry(5.0, 5_000.0), [], "cpu")  # no passing sample: nothing is in doubt
    assert not _near(None, samples, "cpu")  # a human the calibration lacks (failed there): not ranked
    assert _near(_entry(0.0, 0.0), [_sample(0.0, 0.0)], "cpu")  # zeros compare as equals, not as errors
    wall = _sample(10.0, 1.0)
    wall.time_ms = 1000.0
    assert _near(_entry(1000.0, 1e9), [wall], "time") and not _near(_entry(1000.0, 1e9), [wall], "cpu")


@pytest.mark.timeout(1200)
def test_a_first_run_calibrates_and_the_next_pairs_only_the_near_humans(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """First run: nothing calibrated, every correct human measured beside the samples and written
    as the calibration. Then the calibration is edited: one human 60x slower (far from every
    sample: taken from the calibration, scaled by the drift), the rest 1.5x slower (near: paired,
    and their now/calibrated ratio is the drift). The scores stay where the first run put them."""
    from tests.helpers import private_calibration

    require_language("python")
    problem = get_problem("run-length-encode")
    correct = [s for s in problem.solutions["python"] if s.passed]
    wrong = next(s for s in problem.solutions["python"] if not s.passed)
    samples = [Sample(problem.title, "python", s.code) for s in correct[:2]]
    samples.append(Sample(str(problem.problem_id), "python3", wrong.code))
    settings = Settings(repeat=2)
    with private_calibration(tmp_path_factory) as root:
        first = run_evaluation(samples, settings=settings)
        nearby = first.meta["nearby"]
        assert nearby["humans_calibrated_now"] == len(correct) and nearby["humans_paired"] == 0
        assert nearby["screened_samples"] == 0 and first.meta["human_distribution"] == "paired"
        (path,) = root.glob("*.json")
        document = json.loads(path.read_text())
        entries = document["problems"][str(problem.problem_id)]["python"]["entries"]
        assert len(entries) == len(correct) and all(e["passed"] and e["cpu"] > 0 for e in entries)
        slowest = max(entries, key=lambda e: e["cpu"])
        for entry in entries:
            for quantity in ("time", "cpu", "integral"):
                entry[quantity] *= 60 if entry is slowest else 1.5
        path.write_text(json.dumps(document))
        second = run_evaluation(samples, settings=settings)
    nearby = second.meta["nearby"]
    assert nearby == {  # (a human that failed in the first run would be missing from both counts)
        "near_factor": NEAR_FACTOR,
        "humans_paired": len(correct) - 1,
        "humans_from_calibration": 1,
        "humans_calibrated_now": 0,
        "screened_samples": 3,
    }
    assert second.meta["human_distribution"] == "calibration+paired"
    assert 0.4 < second.meta["drift"]["factors"]["harness"]["cpu"] < 1.0, second.meta["drift"]  # about 1 / 1.5
    assert [r.passed for r in second.records] == [True, True, False]
    for name in ("pass@1", "time%", "memory%"):
        assert second.overall.scores[name] == pytest.approx(first.overall.scores[name], abs=0.2), (
            name,
            first.overall.scores,
            second.overall.scores,
        )
    assert second.meta["calibration"]["content"][f"{problem.problem_id}/python"]
