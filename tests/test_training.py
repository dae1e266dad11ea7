"""Training data (SFT / DPO rows from measured solutions) and the TRL trainers, a few steps on CPU."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import yaml

from afterburner_core import calibration
from afterburner_core.datasets import get_problem
from afterburner_core.errors import AfterburnerError
from afterburner_core.host import host_fingerprint
from afterburner_core.prompts import build_messages, format_response
from afterburner_core.rewards.extract import extract_code
from tests.helpers import private_calibration, require_language

MEASURED = "9001"  # count-pairs-with-sum: measured for real (python, one run per solution)
SYNTHETIC = "9010"  # range-sum-queries: calibration written by the test, known values and intervals
# index -> (passed, time ms, 95 % interval); 2 and 3 overlap, 5 is the wrong solution
KNOWN = {
    0: (True, 40.0, (39.0, 41.0)),
    1: (True, 90.0, (88.0, 92.0)),
    2: (True, 130.0, (129.0, 131.0)),
    3: (True, 131.0, (129.5, 132.5)),
    4: (True, 3000.0, (2950.0, 3050.0)),
    5: (False, None, None),
}

needs_train = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("torch", "transformers", "trl", "peft", "datasets")),
    reason="needs the train extra (torch, transformers, trl, peft, datasets)",
)


@pytest.fixture(scope="module", autouse=True)
def calibration_file(tmp_path_factory: pytest.TempPathFactory):
    """A private calibration file: SYNTHETIC's python entries written here, MEASURED's measured by the tests."""
    require_language("python")
    with private_calibration(tmp_path_factory) as root:
        entries = []
        for index, (passed, time_ms, ci) in KNOWN.items():
            entries.append(
                {
                    "index": index,
                    "label": get_problem(SYNTHETIC).solutions["python"][index].label,
                    "passed": passed,
                    "verdict": "accepted" if passed else "wrong_answer",
                    "time": time_ms,
                    "memory": 10_000.0 + index if passed else None,
                    "integral": time_ms * 10_000.0 if passed else None,
                    "ci": {"time_ms": list(ci) if ci else None, "memory_kb": None, "integral_kb_ms": None},
                    "repeats": 9,
                }
            )
        synthetic = get_problem(SYNTHETIC)
        document = {
            "format": calibration.FORMAT,
            "dataset": "venus-mini",
            "host_fingerprint": host_fingerprint(),
            "repeat": 9,
            "problems": {
                SYNTHETIC: {"python": {"content": calibration.content_key(synthetic, "python"), "entries": entries}}
            },
        }
        calibration.calibration_path("venus-mini").write_text(json.dumps(document))
        yield root


@pytest.fixture(scope="module")
def sft_rows() -> list[dict]:
    from afterburner_core.training.data import build_sft

    return build_sft("venus-mini", "time", ["python"], top_k=2, problems=[SYNTHETIC, MEASURED], repeat=1)


@pytest.fixture(scope="module")
def dpo_rows(sft_rows: list[dict]) -> list[dict]:  # after sft_rows: MEASURED is in the calibration by then
    from afterburner_core.training.data import build_dpo

    return build_dpo("venus-mini", "time", ["python"], problems=[SYNTHETIC, MEASURED], min_gain=0.0, repeat=1)


def _solution_index(problem_id: str, response: str) -> int:
    code = extract_code(response)
    solutions = get_problem(problem_id).solutions["python"]
    return next(i for i, s in enumerate(solutions) if s.code.strip() == (code or "").strip())


def test_sft_rows_take_the_measured_best_in_the_prompts_format(sft_rows: list[dict]) -> None:
    assert {r["problem_id"] for r in sft_rows} == {SYNTHETIC, MEASURED}
    for row in sft_rows:
        assert set(row) == {"problem_id", "language", "objective", "prompt", "response", "performance"}
        problem = get_problem(row["problem_id"])
        assert row["prompt"] == build_messages(problem, "python", "time")
        index = _solution_index(row["problem_id"], row["response"])
        solution = problem.solutions["python"][index]
        assert row["response"].startswith("<thinking>") and row["response"].endswith("</solution>")
        assert row["response"] == format_response(solution.code, "python", solution.label)
        assert row["performance"]["unit"] == "ms" and row["performance"]["value"] > 0
    synthetic = [r for r in sft_rows if r["problem_id"] == SYNTHETIC]
    assert [_solution_index(SYNTHETIC, r["response"]) for r in synthetic] == [0, 1]
    assert [r["performance"]["value"] for r in synthetic] == [40.0, 90.0]
    measured = [r for r in sft_rows if r["problem_id"] == MEASURED]
    assert len(measured) == 2 and measured[0]["performance"]["value"] <= measured[1]["performance"]["value"]
    document = calibration.load_calibration("venus-mini")
    assert len(document["problems"][MEASURED]["python"]["entries"]) == len(get_problem(MEASURED).solutions["python"])


def test_dpo_pairs_have_a_real_margin(dpo_rows: list[dict]) -> None:
    synthetic = [r for r in dpo_rows if r["problem_id"] == SYNTHETIC]
    pairs = {(_solution_index(SYNTHETIC, r["chosen"]), _solution_index(SYNTHETIC, r["rejected"])) for r in synthetic}
    correct = {(a, b) for a in range(5) for b in range(a + 1, 5)} - {(2, 3)}  # 2 vs 3: intervals overlap
    assert pairs == correct | {(0, 5)}
    for row in dpo_rows:
        assert set(row) == {
            "problem_id",
            "language",
            "objective",
            "prompt",
            "chosen",
            "rejected",
            "chosen_performance",
            "rejected_performance",
        }
        assert row["prompt"] == build_messages(get_problem(row["problem_id"]), "python", "time")
        assert "WRONG" not in row["rejected"].split("</thinking>")[0]
        chosen, rejected = row["chosen_performance"], row["rejected_performance"]
        assert chosen["passed"]
        if rejected["passed"]:
            assert chosen["ci95"][1] < rejected["ci95"][0]
    measured = [r for r in dpo_rows if r["problem_id"] == MEASURED]
    assert any(not r["rejected_performance"]["passed"] for r in measured)


def test_rows_written_and_read_back(tmp_path: Path, sft_rows: list[dict], dpo_rows: list[dict]) -> None:
    from afterburner_core.training.data import read_rows, write_rows

    written = write_rows(dpo_rows, tmp_path, "dpo")
    assert written[0].name == "dpo.jsonl"
    assert read_rows(tmp_path, "dpo") == dpo_rows
    if importlib.util.find_spec("pyarrow"):
        assert read_rows(tmp_path / "dpo.parquet") == dpo_rows
    with pytest.raises(AfterburnerError):
        read_rows(tmp_path, "sft")


def test_data_cli(tmp_path: Path, sft_rows: list[dict]) -> None:
    from typer.testing import CliRunner

    from afterburner_core.cli.train_cmd import data_app

    result = CliRunner().invoke(
        data_app,
        ["sft", "--problem", SYNTHETIC, "--language", "python", "--top-k", "3", "--out", str(tmp_path), "--json"],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rows"] == 3
    result = CliRunner().invoke(
        data_app, ["dpo", "--problem", SYNTHETIC, "--objective", "speed", "--out", str(tmp_path)]
    )
    assert isinstance(result.exception, AfterburnerError)


# -- trainers -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


def _config(tmp_path: Path, **values) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        yaml.safe_dump({"output_dir": "out", "device": "cpu", "max_steps": 1, "learning_rate": 1e-3, **values})
    )
    return path


def test_config_is_validated(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from afterburner_core.training.trainers import load_config, train

    with pytest.raises(ValidationError):
        load_config(_config(tmp_path, model="m", objective="speed"), "sft")
    with pytest.raises(ValidationError):
        load_config(_config(tmp_path, model="m", learning_rat=1e-3), "sft")
    with pytest.raises(AfterburnerError):
        load_config(tmp_path / "missing.yaml", "sft")
    with pytest.raises(AfterburnerError, match="unknown training kind"):
        train("ppo", _config(tmp_path, model="m"))
    config = load_config(_config(tmp_path, model="m", lora={"r": 4}), "sft")
    assert config.output_dir == str(tmp_path / "out") and config.lora.alpha == 16


def test_each_trainer_has_its_own_config(tmp_path: Path) -> None:
    """One config class per trainer: a field of another trainer is refused, naming whose it is."""
    from afterburner_core.training.trainers import (
        DPOTrainConfig,
        GRPOTrainConfig,
        SFTTrainConfig,
        load_config,
        train,
    )

    assert isinstance(load_config(_config(tmp_path, model="m", top_k=2), "sft"), SFTTrainConfig)
    assert load_config(_config(tmp_path, model="m", beta=0.2), "dpo").beta == 0.2
    grpo = load_config(_config(tmp_path, model="m", num_generations=8, reward={"name": "speedup"}), "grpo")
    assert isinstance(grpo, GRPOTrainConfig) and grpo.reward.name == "speedup"
    with pytest.raises(AfterburnerError, match="'num_generations' is a setting of grpo training, not of sft"):
        load_config(_config(tmp_path, model="m", num_generations=8), "sft")
    with pytest.raises(AfterburnerError, match="'max_length' is a setting of sft and dpo training, not of grpo"):
        load_config(_config(tmp_path, model="m", max_length=512), "grpo")
    with pytest.raises(AfterburnerError, match="takes a GRPOTrainConfig, not a DPOTrainConfig"):
        train("grpo", DPOTrainConfig(model="m", output_dir=str(tmp_path)))


@needs_train
def test_sft_with_lora(tmp_path: Path, tiny_model: Path, sft_rows: list[dict]) -> None:
    from afterburner_core.training.data import write_rows
    from afterburner_core.training.trainers import train

    write_rows(sft_rows, tmp_path / "data", "sft")
    summary = train(
        "sft",
        _config(
            tmp_path,
            model=str(tiny_model),
            data="data",
            max_steps=2,
            max_length=1024,
            per_device_train_batch_size=2,
            lora={"r": 4, "alpha": 8},
        ),
    )
    assert summary["steps"] == 2 and summary["lora"] and summary["device"] == "cpu" and not summary["bf16"]
    assert (tmp_path / "out" / "adapter_config.json").exists()
    assert any("loss" in entry for entry in summary["log_history"])


@needs_train
def test_dpo(tmp_path: Path, tiny_model: Path, dpo_rows: list[dict]) -> None:
    from afterburner_core.training.data import write_rows
    from afterburner_core.training.trainers import train

    write_rows(dpo_rows[:4], tmp_path / "data", "dpo")
    summary = train(
        "dpo",
        _config(
            tmp_path,
            model=str(tiny_model),
            data="data/dpo.jsonl",
            max_length=1024,
            per_device_train_batch_size=2,
            beta=0.1,
        ),
    )
    assert summary["steps"] == 1 and summary["rows"] == 4
    assert (tmp_path / "out" / "config.json").exists()


@needs_train
def test_grpo_with_the_execution_reward(tmp_path: Path, tiny_model: Path) -> None:
    from afterburner_core.training.trainers import train

    summary = train(
        "grpo",
        _config(
            tmp_path,
            model=str(tiny_model),
            problems=[MEASURED],
            num_generations=2,
            per_device_train_batch_size=2,
            max_completion_length=12,
            save=False,
            reward={"name": "afterburner"},
        ),
    )
    assert summary["steps"] == 1
    calls = summary["reward_components"]
    assert calls and calls[0]["n"] == 2
    assert calls[0]["afterburner/pass_rate"] == 0.0  # a random tiny model writes no working code
    assert (tmp_path / "out" / "reward_components.jsonl").read_text().count("\n") == len(calls)
    logged = [entry for entry in summary["log_history"] if "afterburner/pass_rate" in entry]
    assert logged and any(key.startswith("rewards/afterburner") for key in logged[0])


def test_reward_components_are_summarised_from_real_runs(tmp_path: Path) -> None:
    """The GRPO reward wrapper on one correct and one wrong completion: pass rate and components."""
    from afterburner_core.rewards.trl import trl_reward
    from afterburner_core.training.trainers import RewardComponentsLog

    solutions = get_problem(SYNTHETIC).solutions["python"]
    log = RewardComponentsLog(trl_reward("afterburner", objective="time"), tmp_path / "components.jsonl")
    fn = log.wrap()
    completions = [
        [{"role": "assistant", "content": format_response(s.code, "python", "")}] for s in (solutions[0], solutions[5])
    ]
    rewards = fn(prompts=[[], []], completions=completions, problem_id=[SYNTHETIC] * 2, language=["python"] * 2)
    assert rewards[0] > rewards[1]
    assert fn.__name__ == "afterburner_afterburner"
    summary = log.history[-1]
    assert summary["afterburner/pass_rate"] == 0.5 and summary["n"] == 2
    assert log.take()["afterburner/pass_rate"] == 0.5 and log.take() == {}
