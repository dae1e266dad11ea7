"""benchmarks/reward_throughput.py: the step it builds, and its --quick mode end to end (real runs)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from afterburner_core.datasets import get_problem
from afterburner_core.rewards.extract import extract_code
from benchmarks.reward_throughput import LOOP, MIX, build_step, kinds
from tests.helpers import REPO, require_language


def test_the_step_mixes_kinds_in_proportion_with_correct_baselines() -> None:
    tasks, pool = build_step(1024, 32, "python", seed=0)
    assert len(tasks) == len(pool) == 1024
    counts = Counter(pool)
    assert counts == {kind: round(1024 * share) for kind, share in MIX.items()}
    assert len({t.problem_id for t in tasks}) > 10  # 32 prompts cycle over the eligible problems
    for task, kind in zip(tasks, pool, strict=True):
        problem = get_problem(task.problem_id)
        solutions = {s.code: s.passed for s in problem.solutions["python"]}
        assert solutions[task.baseline] is True  # a correct original: no human distribution needed
        code = extract_code(task.completion)
        if kind == "unparsable":
            assert code is None
        elif kind == "timeout":
            assert code == LOOP
        else:
            assert solutions[code] is (kind != "wrong")
    assert sorted(kinds(7, random.Random(1))) == sorted(kinds(7, random.Random(2)))  # the seed only shuffles


@pytest.mark.slow
@pytest.mark.timeout(1800)  # three `while True` loops: ~30 s each while harness runs ignore per-test limits
def test_quick_mode_scores_64_completions_and_reports(tmp_path: Path) -> None:
    require_language("python")
    out = tmp_path / "reward_throughput.json"
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.reward_throughput", "--quick", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert json.loads(result.stdout) == data
    step, local = data["step"], data["backends"]["local"]
    assert step["completions"] == 64 and sum(step["mix"].values()) == 64 and set(step["mix"]) == set(MIX)
    assert data["assumption"]["generation_s"] == pytest.approx(64 * 1024 / 13_000, abs=0.1)
    verdicts = local["verdicts"]
    assert sum(verdicts.values()) == 64 and verdicts["unparsable"] == step["mix"]["unparsable"]
    assert verdicts["accepted"] >= step["mix"]["passing_fast"] and verdicts["time_limit"] >= step["mix"]["timeout"]
    assert local["seconds"] > 0 and local["completions_per_s"] == pytest.approx(64 / local["seconds"], rel=0.02)
    assert local["meets_assumption"] == (local["seconds"] <= data["assumption"]["generation_s"])
    rewards = local["mean_reward_by_kind"]
    assert rewards["passing_fast"] >= rewards["passing_slow"] > rewards["wrong"] > rewards["unparsable"]
    assert rewards["timeout"] > rewards["unparsable"]
