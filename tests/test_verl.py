"""The execution reward in verl: its two calling conventions, driven by verl's own code.

With verl installed (``pip install --no-deps verl tensordict pyvers omegaconf
antlr4-python3-runtime codetiming`` plus ``aiohttp``; verl's other dependencies would replace
torch), the reward is loaded by ``verl.trainer.ppo.reward.get_custom_reward_fn`` exactly as a
training run loads it, and called by verl's ``BatchRewardManager`` (lists in, list out) and by the
reward loop's ``RewardLoopWorker`` (one sample per call, concurrently) on a real `DataProto` of
tokenized venus-mini completions; the example's overrides are checked against verl's generated
config schema. Without verl these tests skip here and fail in CI
(``AFTERBURNER_REQUIRE_TOOLCHAINS=1``). Every completion runs for real in the local sandbox.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from afterburner_core.datasets import get_problem
from afterburner_core.errors import AfterburnerError
from afterburner_core.rewards import verl as verl_reward
from afterburner_core.rewards.execution import VERDICT_CODES
from tests.helpers import REPO, require_language, require_module
from tests.tiny_model import build_tiny_model

PROBLEM = "count-pairs-with-sum"
REWARD_FILE = verl_reward.__file__
OPTIONS = {"reward": "afterburner", "timeout_s": 10}


def _solution(part: str) -> str:
    return next(s.code for s in get_problem(PROBLEM).solutions["python"] if part in s.label)


def tagged(code: str) -> str:
    return f"<thinking>\nplan\n</thinking>\n<solution>\n```python\n{code}```\n</solution>"


def label(**changes: object) -> str:
    fields = {
        "problem_id": "9001",
        "language": "python",
        "objective": "time",
        "baseline": _solution("sorted copy + bisect"),
        "dataset": "venus-mini",
    }
    fields.update(changes)
    return json.dumps({k: v for k, v in fields.items() if v is not None})


def completions() -> list[str]:
    """fast passing, slow passing, wrong, and prose without code: rewards must come out in this order."""
    return [
        tagged(_solution("Counter of values")),
        tagged(_solution("treap")),
        tagged(_solution("WRONG")),
        "I would sort the numbers, but I am not sure how.",
    ]


@pytest.fixture(scope="module", autouse=True)
def python_toolchain() -> None:
    require_language("python")


def _assert_ordered(rows: list[dict[str, float]]) -> None:
    fast, slow, wrong, prose = rows
    assert fast["score"] > slow["score"] > wrong["score"] > prose["score"], [r["score"] for r in rows]
    assert [r["acc"] for r in rows] == [1.0, 1.0, 0.0, 0.0]
    assert [r["verdict_code"] for r in rows] == [VERDICT_CODES["accepted"]] * 2 + [VERDICT_CODES["wrong_answer"], -1]
    assert [r["parsable"] for r in rows] == [1.0, 1.0, 1.0, 0.0]
    assert fast["pass"] == 0.5 and wrong["pass"] == -1.0 and fast["gain"] > 0 > slow["gain"]
    assert len({tuple(r) for r in rows}) == 1  # verl indexes every sample by the first one's keys
    assert all(isinstance(v, float) for r in rows for v in r.values())


# -- the documented signatures, called directly ----------------------------------------------------------


def test_compute_score_batch_orders_real_completions() -> None:
    n = len(completions())
    rows = verl_reward.compute_score_batch(
        ["afterburner/venus-mini"] * n, completions(), [label()] * n, [{"index": i} for i in range(n)], **OPTIONS
    )
    _assert_ordered(rows)


def test_compute_score_per_sample_shares_the_baseline_between_concurrent_calls() -> None:
    options = {**OPTIONS, "baseline_ttl_s": 300}
    runtime = verl_reward._runtime(options)
    before = runtime.shared.runs

    async def all_at_once() -> list[dict[str, float]]:  # as verl's reward loop calls it: threads, at once
        return await asyncio.gather(
            *(
                asyncio.to_thread(
                    verl_reward.compute_score, "afterburner/venus-mini", text, label(), {"split": "train"}, **options
                )
                for text in completions()
            )
        )

    rows = asyncio.run(all_at_once())
    _assert_ordered(rows)
    assert runtime.shared.runs - before <= 1  # one baseline run for four calls
    # a label may live in extra_info alone (ground_truth empty), and the objective comes from it
    row = verl_reward.compute_score("x", completions()[0], "", json.loads(label(objective="memory")), **options)
    assert row["acc"] == 1.0 and "gain" in row


@pytest.mark.parametrize(
    ("truth", "extra", "message"),
    [
        ("not json", None, "reward_model.ground_truth is not JSON"),
        ('["9001"]', None, "must be an object"),
        (label(objective="speed"), None, "objective: Input should be 'time', 'memory' or 'integral'"),
        (json.dumps({"problem_id": "9001", "language": "python", "colour": "red"}), None, "colour: Extra inputs"),
        (None, {"index": 3}, "no label"),
        (label(problem_id="no-such-problem"), None, "no-such-problem"),
    ],
)
def test_bad_labels_fail_with_one_line(truth: str | None, extra: dict | None, message: str) -> None:
    with pytest.raises(AfterburnerError, match=re.escape(message)) as error:
        verl_reward.compute_score("x", completions()[0], truth, extra, **OPTIONS)
    assert "\n" not in str(error.value)


def test_bad_reward_kwargs_are_refused_by_name() -> None:
    with pytest.raises(AfterburnerError, match="reward_kwargs: timeout: Extra inputs are not permitted"):
        verl_reward.compute_score("x", completions()[0], label(), None, timeout=5)
    with pytest.raises(AfterburnerError, match="unknown reward 'nope'"):
        verl_reward.compute_score("x", completions()[0], label(), None, reward="nope")
    with pytest.raises(AfterburnerError, match="4 solution_strs came with 1 ground_truths"):
        verl_reward.compute_score_batch(["x"] * 4, completions(), [label()], None, **OPTIONS)


def test_reward_kwargs_can_send_the_runs_to_an_afterburner_serve() -> None:
    pytest.importorskip("uvicorn")
    import httpx

    from tests.test_server import serving

    with serving(parallel=1, queue_size=8) as url:
        n = len(completions())
        rows = verl_reward.compute_score_batch(["x"] * n, completions(), [label()] * n, None, **OPTIONS, server_url=url)
        served = httpx.get(f"{url}/status").json()["served"]
    _assert_ordered(rows)
    assert served == 3 + 1  # three candidates with code and their one baseline ran on the server


# -- through verl itself -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny"))


def _data_proto(tokenizer_dir: Path, texts: list[str], truths: list[str]):
    """A batch shaped as verl's rollout hands it to reward managers: left-padded prompts, right-padded
    responses, one attention mask over both, and the dataset's non-tensor columns."""
    import numpy as np
    import torch
    from transformers import AutoTokenizer
    from verl import DataProto

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    prompt_ids = [tokenizer("<|user|>\nimprove it<|end|>\n<|assistant|>\n")["input_ids"] for _ in texts]
    response_ids = [tokenizer(text)["input_ids"] for text in texts]
    p, r = max(map(len, prompt_ids)), max(map(len, response_ids))
    pad = tokenizer.pad_token_id
    prompts = torch.tensor([[pad] * (p - len(ids)) + ids for ids in prompt_ids])
    responses = torch.tensor([ids + [pad] * (r - len(ids)) for ids in response_ids])
    mask = torch.tensor(
        [
            [0] * (p - len(a)) + [1] * len(a) + [1] * len(b) + [0] * (r - len(b))
            for a, b in zip(prompt_ids, response_ids, strict=True)
        ]
    )
    n = len(texts)
    return DataProto.from_dict(
        tensors={
            "prompts": prompts,
            "responses": responses,
            "attention_mask": mask,
            "input_ids": torch.cat([prompts, responses], dim=1),
        },
        non_tensors={
            "data_source": np.array(["afterburner/venus-mini"] * n, dtype=object),
            "reward_model": np.array([{"style": "rule", "ground_truth": t} for t in truths], dtype=object),
            "extra_info": np.array([{"index": i, "split": "train"} for i in range(n)], dtype=object),
        },
    )


def _verl_config(name: str, tokenizer_dir: Path | None = None):
    from omegaconf import OmegaConf

    return OmegaConf.create(
        {
            "actor_rollout_ref": {"model": {"path": str(tokenizer_dir), "tokenizer_path": None}},
            "reward": {
                "custom_reward_function": {"path": REWARD_FILE, "name": name, "reward_kwargs": OPTIONS},
                "reward_manager": {
                    "source": "register",
                    "name": "naive",
                    "module": {"path": None, "name": "custom_reward_manager"},
                },
                "reward_model": {"enable": False},
                "sandbox_fusion": None,
            },
        }
    )


def test_verl_batch_reward_manager_scores_a_data_proto(tokenizer_dir: Path) -> None:
    require_module("verl")
    from transformers import AutoTokenizer
    from verl.trainer.ppo.reward import get_custom_reward_fn
    from verl.workers.reward_manager.batch import BatchRewardManager

    fn = get_custom_reward_fn(_verl_config("compute_score_batch"))  # verl's loader: path, name, reward_kwargs
    manager = BatchRewardManager(AutoTokenizer.from_pretrained(tokenizer_dir), num_examine=0, compute_score=fn)
    texts = completions()
    out = manager(_data_proto(tokenizer_dir, texts, [label()] * len(texts)), return_dict=True)
    tensor, extra = out["reward_tensor"], out["reward_extra_info"]
    assert tensor.shape[0] == len(texts)
    scores = tensor.sum(dim=1).tolist()  # verl puts each score on the last response token
    assert scores[0] > scores[1] > scores[2] > scores[3]
    assert extra["acc"] == [1.0, 1.0, 0.0, 0.0] and len(extra["verdict_code"]) == len(texts)
    assert extra["score"] == pytest.approx(scores)


def test_verl_reward_loop_worker_calls_compute_score_per_sample(tokenizer_dir: Path) -> None:
    require_module("verl")
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

    worker = RewardLoopWorker(_verl_config("compute_score", tokenizer_dir))  # the Ray actor's class, in-process
    texts = completions()
    data = _data_proto(tokenizer_dir, texts, [label()] * len(texts))
    outputs = worker.loop.run_until_complete(worker.compute_score_batch(data))
    scores = [out["reward_score"] for out in outputs]
    assert scores[0] > scores[1] > scores[2] > scores[3]
    infos = [out["reward_extra_info"] for out in outputs]
    keys = list(infos[0])  # RewardLoopManager reads every sample by the first sample's keys
    assert all(list(info) == keys for info in infos) and "acc" in keys and "verdict_code" in keys


def _overrides(script: Path) -> list[str]:
    return re.findall(r"^[ \t]+(\+?[A-Za-z_][\w.]*)=", script.read_text(), re.M)


def _has_key(config, dotted: str) -> bool:
    """Whether verl's config schema has this key (a mandatory ``???`` value counts as present)."""
    from omegaconf import OmegaConf

    node = config
    for part in dotted.split("."):
        if not OmegaConf.is_dict(node) or part not in node.keys():  # noqa: SIM118 (a "???" value is not "in")
            return False
        node = node._get_node(part)
    return True


def test_the_verl_example_only_sets_keys_verl_has() -> None:
    require_module("verl")
    import verl
    from omegaconf import OmegaConf

    schema = OmegaConf.load(Path(verl.__file__).parent / "trainer" / "config" / "_generated_ppo_trainer.yaml")
    keys = _overrides(REPO / "examples" / "verl" / "run_afterburner_grpo.sh")
    assert "actor_rollout_ref.rollout.n" in keys and "reward.custom_reward_function.path" in keys
    for key in keys:  # hydra refuses a key the schema lacks unless it is added with "+" under an existing parent
        assert _has_key(schema, key[1:].rsplit(".", 2)[0] if key.startswith("+") else key), key
    assert not _has_key(schema, "reward.custom_reward_function.no_such_key")
