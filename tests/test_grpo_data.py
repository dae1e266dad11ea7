"""`afterburner data grpo`: verl parquet and OpenRLHF JSONL, read back the way each framework reads them.

The verl files are read with pyarrow, with ``datasets`` (what verl's loader uses) and, where verl
is installed, with verl's own ``RLHFDataset``; a row read back is scored through
``compute_score``, closing the loop from data to reward. The original solutions in the prompts are
run for real (python, three problems).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from afterburner_core.datasets import get_problem
from afterburner_core.prompts import SYSTEM_PROMPT, build_messages, format_response
from afterburner_core.rewards import verl as verl_reward
from afterburner_core.rewards.labels import RewardLabel, parse_label
from afterburner_core.training.grpo_data import build_grpo, split_problems
from tests.helpers import private_calibration, require_language, require_module, run_cli
from tests.tiny_model import build_tiny_model

PROBLEMS = ("9001", "9010", "9007")
COMMON = ["-l", "python", "--timeout", "10", "--seed", "3", "--test-fraction", "0.34"]
for _pid in PROBLEMS:
    COMMON += ["-p", _pid]


@pytest.fixture(scope="module", autouse=True)
def calibration_dir(tmp_path_factory: pytest.TempPathFactory):
    """Percentiles in prompts come from the calibration: a private, empty one for in-process builds."""
    require_language("python")
    with private_calibration(tmp_path_factory) as root:
        yield root


@pytest.fixture(scope="module")
def verl_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("verl")
    result = run_cli(
        "data", "grpo", "--format", "verl", "--out", str(out), "--json", "-o", "time", "-o", "memory", *COMMON
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rows"] == 6 and summary["train"] == 4 and summary["test"] == 2  # 3 problems x 2 objectives
    assert summary["files"] == [str(out / "train.parquet"), str(out / "test.parquet")]
    return out


def _rows(path: Path) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


def test_verl_parquet_has_the_fields_verl_reads(verl_dir: Path) -> None:
    train, test = _rows(verl_dir / "train.parquet"), _rows(verl_dir / "test.parquet")
    for split, rows in (("train", train), ("test", test)):
        for index, row in enumerate(rows):
            assert set(row) == {"data_source", "prompt", "ability", "reward_model", "extra_info"}
            assert row["data_source"] == "afterburner/venus-mini" and row["ability"] == "code"
            assert row["reward_model"]["style"] == "rule"
            label = parse_label(row["reward_model"]["ground_truth"])
            info = row["extra_info"]
            assert info["index"] == index and info["split"] == split
            assert {
                k: info[k] for k in ("problem_id", "language", "objective", "baseline", "dataset")
            } == label.model_dump()
            problem = get_problem(label.problem_id)
            assert label.baseline in [s.code for s in problem.solutions["python"]]  # an original solution
            system, user = row["prompt"]
            assert system == {"role": "system", "content": SYSTEM_PROMPT} and user["role"] == "user"
            assert (
                label.baseline.rstrip() in user["content"]
                and "## Measured performance of the original" in user["content"]
                and "Verdict: " in user["content"]
            )
    assert {r["extra_info"]["objective"] for r in train} == {"time", "memory"}
    train_ids = {r["extra_info"]["problem_id"] for r in train}
    test_ids = {r["extra_info"]["problem_id"] for r in test}
    assert not train_ids & test_ids and len(test_ids) == 1 and train_ids | test_ids == set(PROBLEMS)


def test_verl_parquet_loads_with_datasets_and_verls_dataset(verl_dir: Path, tmp_path: Path) -> None:
    import datasets

    loaded = datasets.load_dataset("parquet", data_files=str(verl_dir / "train.parquet"), split="train")
    assert len(loaded) == 4 and loaded[0]["prompt"] == _rows(verl_dir / "train.parquet")[0]["prompt"]
    require_module("verl")
    from omegaconf import OmegaConf
    from transformers import AutoTokenizer
    from verl.utils.dataset.rl_dataset import RLHFDataset

    tokenizer = AutoTokenizer.from_pretrained(build_tiny_model(tmp_path / "tiny"))
    config = OmegaConf.create(
        {
            "max_prompt_length": 16384,
            "filter_overlong_prompts": True,
            "cache_dir": str(tmp_path / "cache"),
            "filter_overlong_prompts_workers": 1,
        }
    )
    dataset = RLHFDataset([str(verl_dir / "train.parquet")], tokenizer, config)
    assert len(dataset) == 4
    item = dataset[0]
    assert item["raw_prompt"] == _rows(verl_dir / "train.parquet")[0]["prompt"]
    # what verl's reward manager hands the reward, for a completion that is the original solution itself
    label = parse_label(item["reward_model"]["ground_truth"])
    completion = format_response(label.baseline, "python", "the original")
    row = verl_reward.compute_score(
        item["data_source"], completion, item["reward_model"]["ground_truth"], item["extra_info"], timeout_s=10
    )
    assert row["parsable"] == 1.0 and row["format"] == 1.0
    assert row["acc"] == float(
        next(s.passed for s in get_problem(label.problem_id).solutions["python"] if s.code == label.baseline)
    )


def test_openrlhf_jsonl_carries_prompt_and_label(tmp_path: Path) -> None:
    result = run_cli("data", "grpo", "--format", "openrlhf", "--out", str(tmp_path), "--baseline", "none", *COMMON)
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stdout and (tmp_path / "train.jsonl").exists() and (tmp_path / "test.jsonl").exists()
    rows = [
        json.loads(line) for name in ("train", "test") for line in (tmp_path / f"{name}.jsonl").read_text().splitlines()
    ]
    assert len(rows) == 3
    for row in rows:
        assert set(row) == {"prompt", "label", "datasource"} and isinstance(row["label"], str)
        label = parse_label(row["label"])
        assert label.baseline is None and label.objective == "time"
        assert row["prompt"] == build_messages(get_problem(label.problem_id), "python", "time")  # from scratch


def test_the_split_and_the_originals_are_seeded() -> None:
    problems = [get_problem(pid) for pid in PROBLEMS]
    assert split_problems(problems, 0.34, 3) == split_problems(problems, 0.34, 3)
    assert split_problems(problems, 0.0, 3) == set() and len(split_problems(problems, 0.9, 3)) == 2
    first = build_grpo(problems=PROBLEMS, languages=["python"], baseline="random", seed=5, repeat=1)
    again = build_grpo(problems=PROBLEMS, languages=["python"], baseline="random", seed=5, repeat=1)
    assert [r.label for r in first] == [r.label for r in again]
    assert all(isinstance(r.label, RewardLabel) and r.baseline_verdict is not None for r in first)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml"], "--format must be one of verl, openrlhf"),
        (["--baseline", "best"], "baseline must be one of random, none"),
        (["--test-fraction", "1"], "test_fraction must be in [0, 1)"),
        (["-o", "speed"], "unknown objective 'speed'"),
        (["-l", "cobol"], "unknown language 'cobol'"),
    ],
)
def test_bad_options_are_one_line_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = run_cli("data", "grpo", "--out", str(tmp_path), "-p", "9001", *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
