"""OpenRLHF's remote reward (``POST /get_reward``) on a real uvicorn server, and its file mode.

The contract is driven by OpenRLHF's own client code where it is installed (``pip install
--no-deps openrlhf==0.11.2 pylatexenc`` plus ``aiohttp``; its other dependencies (deepspeed,
vllm, flash-attn) are not needed for this part): ``SingleTurnAgentExecutor`` posts to the endpoint
with aiohttp, retries a 429, and loads ``reward_func`` from our file. Its ``execute`` runs for real
with a stand-in for the vLLM engine that "generates" the test's completion. Without openrlhf these
tests skip here and fail in CI (``AFTERBURNER_REQUIRE_TOOLCHAINS=1``); the endpoint's own tests
(httpx, exactly the JSON OpenRLHF sends) always run.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")

from afterburner_core.datasets import get_problem  # noqa: E402
from afterburner_core.errors import SandboxError  # noqa: E402
from afterburner_core.models import ExecutionRequest  # noqa: E402
from afterburner_core.rewards import openrlhf as openrlhf_reward  # noqa: E402
from afterburner_core.rewards.execution import VERDICT_CODES  # noqa: E402
from afterburner_core.server.app import create_app  # noqa: E402
from tests.helpers import require_language, require_module, run_cli  # noqa: E402
from tests.test_server import serving  # noqa: E402
from tests.tiny_model import build_tiny_model  # noqa: E402

PROBLEM = "count-pairs-with-sum"
PROMPT = "<|system|>\nBe fast.<|end|>\n<|user|>\nCount the pairs.<|end|>\n<|assistant|>\n"


def _solution(part: str) -> str:
    return next(s.code for s in get_problem(PROBLEM).solutions["python"] if part in s.label)


def answer(code: str) -> str:
    return f"<thinking>\nplan\n</thinking>\n<solution>\n```python\n{code}```\n</solution>"


LABEL = json.dumps(
    {"problem_id": "9001", "language": "python", "objective": "time", "baseline": _solution("sorted copy + bisect")}
)
FAST, SLOW, WRONG = (answer(_solution(p)) for p in ("Counter of values", "treap", "WRONG"))
PROSE = "Maybe a hash map? I am not sure."


def body(*responses: str, label: str | dict = LABEL) -> dict:
    """What OpenRLHF sends: the decoded prompt + response (special tokens kept), the prompt, the label."""
    return {
        "query": [PROMPT + r + "<|end|>" for r in responses],
        "prompts": [PROMPT] * len(responses),
        "labels": [label] * len(responses),
    }


@pytest.fixture(scope="module")
def url() -> str:
    require_language("python")
    with serving(parallel=1, queue_size=16) as base:
        yield base


def test_rewards_scores_and_extra_logs_keep_the_order(url: str) -> None:
    response = httpx.post(f"{url}/get_reward", json=body(FAST, SLOW, WRONG, PROSE), timeout=300)
    assert response.status_code == 200, response.text
    data = response.json()
    rewards = data["rewards"]
    assert rewards[0] > rewards[1] > rewards[2] > rewards[3]
    assert data["scores"] == rewards
    logs = data["extra_logs"]
    assert all(len(values) == 4 for values in logs.values())
    assert logs["acc"] == [1.0, 1.0, 0.0, 0.0] and logs["prompt_found"] == [1.0] * 4
    assert logs["verdict_code"] == [VERDICT_CODES["accepted"]] * 2 + [VERDICT_CODES["wrong_answer"], -1]
    assert logs["format"] == [1.0, 1.0, 1.0, 0.0]  # the trailing <|end|> is not held against the format
    status = httpx.get(f"{url}/status").json()
    assert status["in_flight"] == 0


def test_concurrent_requests_share_the_baseline_run(url: str) -> None:
    served = httpx.get(f"{url}/status").json()["served"]
    query = "?baseline_ttl_s=0"  # its own runtime: nothing cached, sharing only between requests in flight
    with ThreadPoolExecutor(max_workers=3) as pool:
        responses = list(
            pool.map(lambda r: httpx.post(f"{url}/get_reward{query}", json=body(r), timeout=300), [FAST, SLOW, WRONG])
        )
    assert [r.status_code for r in responses] == [200] * 3
    assert [r.json()["extra_logs"]["acc"] for r in responses] == [[1.0], [1.0], [0.0]]
    runs = httpx.get(f"{url}/status").json()["served"] - served
    assert runs <= 3 + 2  # three candidates; the baseline at most twice (once when all three overlap)


@pytest.mark.parametrize(
    ("path", "payload", "status", "fragment"),
    [
        ("/get_reward", {"query": ["x"], "labels": []}, 422, "1 queries came with 0 labels"),
        ("/get_reward", {"query": "x", "labels": ["y"]}, 422, "query: Input should be a valid list"),
        ("/get_reward", {"labels": [LABEL]}, 422, "query: Field required"),
        ("/get_reward", body(FAST, label="{not json"), 400, "labels[0] is not JSON"),
        ("/get_reward", body(FAST, label={"problem_id": "9001"}), 400, "labels[0]: language: Field required"),
        ("/get_reward", body(FAST, label={"problem_id": "9001", "language": "cobol"}), 400, "unknown language 'cobol'"),
        ("/get_reward", body(FAST, label={"problem_id": "nope", "language": "python"}), 404, "'nope'"),
        (
            "/get_reward",
            body(FAST, label={"problem_id": "9001", "language": "python", "dataset": "/etc"}),
            400,
            "not served here",
        ),
        ("/get_reward?colour=red", body(FAST), 400, "unknown query parameter(s) colour"),
        ("/get_reward?timeout_s=-1", body(FAST), 400, "timeout_s: Input should be greater than 0"),
        ("/get_reward?reward=nope", body(FAST), 400, "unknown reward 'nope'"),
        ("/get_reward", body(*[FAST] * 20), 413, "20 queries exceed the server's capacity of 17"),
    ],
)
def test_bad_requests_get_one_line_errors(url: str, path: str, payload: dict, status: int, fragment: str) -> None:
    response = httpx.post(f"{url}{path}", json=payload, timeout=120)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert fragment in error and "\n" not in error and "Traceback" not in error


def test_overload_answers_429_with_retry_after_and_every_admitted_request_is_scored() -> None:
    require_language("python")
    label = json.dumps({"problem_id": "9001", "language": "python"})
    with serving(parallel=1, queue_size=0) as base:

        def post(_: int) -> httpx.Response:
            return httpx.post(f"{base}/get_reward?timeout_s=10", json=body(SLOW, label=label), timeout=300)

        with ThreadPoolExecutor(max_workers=5) as pool:
            responses = list(pool.map(post, range(5)))
        ok = [r for r in responses if r.status_code == 200]
        refused = [r for r in responses if r.status_code == 429]
        assert len(ok) + len(refused) == 5 and ok and refused
        assert all(r.json()["extra_logs"]["acc"] == [1.0] for r in ok)
        for response in refused:
            assert int(response.headers["retry-after"]) >= 1 and "queue full" in response.json()["error"]
        status = httpx.get(f"{base}/status").json()
        assert status["in_flight"] == 0 and status["rejected"] >= len(refused)


class _FailingSandbox:
    parallel = 1

    def submit(self, request):
        raise SandboxError("cgroup set-up failed")


def test_a_sandbox_failure_is_503_not_a_failing_score() -> None:
    require_language("python")
    with serving(app=create_app(sandbox=_FailingSandbox())) as base:
        response = httpx.post(f"{base}/get_reward", json=body(FAST), timeout=60)
        assert response.status_code == 503 and response.headers["retry-after"]
        assert response.json()["error"] == "sandbox failure: cgroup set-up failed"
        # prose without a baseline needs no run: it is scored without touching the sandbox
        bare = {"problem_id": "9001", "language": "python"}
        prose = httpx.post(f"{base}/get_reward", json=body(PROSE, label=bare), timeout=60)
        assert prose.status_code == 200 and prose.json()["extra_logs"]["parsable"] == [0.0]
        assert httpx.get(f"{base}/status").json()["in_flight"] == 0


@pytest.mark.parametrize(
    ("query", "prompt", "expected", "found"),
    [
        (PROMPT + "answer<|im_end|>", PROMPT, "answer", True),
        ("garbled-start" + PROMPT[5:] + "answer</s>", PROMPT, "answer", True),  # the prompt's start changed
        ("no prompt here: answer", PROMPT, "no prompt here: answer", False),
        ("answer <|eot_id|>\n", None, "answer", False),
    ],
)
def test_the_response_is_cut_out_of_the_query(query: str, prompt: str | None, expected: str, found: bool) -> None:
    assert openrlhf_reward.response_of(query, prompt) == (expected, found)


# -- OpenRLHF's own client ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(build_tiny_model(tmp_path_factory.mktemp("tiny")))


class ScriptedEngine:
    """Stands in for the vLLM engine only: it "generates" the tokens of a given answer and EOS."""

    def __init__(self, tokenizer, text: str) -> None:
        self.ids = tokenizer(text, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]

    async def generate(self, prompt_token_ids, params, multi_modal_data=None):
        return SimpleNamespace(outputs=[SimpleNamespace(token_ids=list(self.ids), finish_reason="stop", logprobs=None)])


def _openrlhf_rows(tmp_path: Path) -> list[dict]:
    """Rows written by `afterburner data grpo --format openrlhf`, as OpenRLHF's dataset reads them."""
    result = run_cli(
        "data",
        "grpo",
        "--format",
        "openrlhf",
        "--out",
        str(tmp_path),
        "-l",
        "python",
        "-p",
        "9001",
        "--test-fraction",
        "0",
        "--timeout",
        "10",
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in (tmp_path / "train.jsonl").read_text().splitlines()]


def test_openrlhf_executor_scores_rollouts_through_the_endpoint(url: str, tokenizer, tmp_path: Path) -> None:
    require_module("openrlhf")
    from openrlhf.utils.agent import SingleTurnAgentExecutor

    row = _openrlhf_rows(tmp_path)[0]
    prompt = tokenizer.apply_chat_template(row["prompt"], tokenize=False, add_generation_prompt=True)
    executor = SingleTurnAgentExecutor(remote_rm_url=f"{url}/get_reward?timeout_s=10")
    params = SimpleNamespace(max_tokens=4096, logprobs=None)

    def rollout(text: str) -> dict:
        return asyncio.run(
            executor.execute(prompt, row["label"], params, 8192, tokenizer, ScriptedEngine(tokenizer, text))
        )

    fast, wrong, prose = (rollout(text) for text in (FAST, WRONG, PROSE))
    assert fast["reward"][0] > wrong["reward"][0] > prose["reward"][0]
    assert fast["scores"] == fast["reward"] and fast["extra_logs"]["acc"] == [1.0]
    assert fast["extra_logs"]["prompt_found"] == [1.0] and fast["extra_logs"]["format"] == [1.0]
    assert prose["extra_logs"]["verdict_code"] == [-1.0]


class GatedSandbox:
    """The real sandbox, except for the first job: it holds the only slot until the test opens the
    gate, then answers with the report of the same program run beforehand, so the slot frees at
    once however loaded this machine is (OpenRLHF retries only 5 times, 1 s apart)."""

    def __init__(self, inner, held: ExecutionRequest) -> None:
        self.inner = inner
        self.parallel = 1
        self.gate = threading.Event()
        self.held_report = inner.execute(held)
        self.first = True

    def submit(self, request):
        if self.first:
            self.first = False
            self.gate.wait(timeout=120)
            return self.held_report
        return self.inner.submit(request)


def test_openrlhf_client_rides_out_a_429(tokenizer) -> None:
    require_module("openrlhf")
    require_language("python")
    from openrlhf.utils.agent import SingleTurnAgentExecutor

    from afterburner_core.sandbox.api import Sandbox

    held = ExecutionRequest(code="print(1)", language="python")
    sandbox = GatedSandbox(Sandbox(parallel=1), held)
    label = json.dumps({"problem_id": "9001", "language": "python"})
    with serving(app=create_app(sandbox=sandbox, queue_size=0)) as base:
        pool = ThreadPoolExecutor(max_workers=2)
        blocker = pool.submit(httpx.post, f"{base}/execute", json=held.model_dump(mode="json"), timeout=300)
        deadline = time.monotonic() + 30
        while httpx.get(f"{base}/status").json()["in_flight"] == 0:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        executor = SingleTurnAgentExecutor(remote_rm_url=f"{base}/get_reward?timeout_s=10")
        fetch = pool.submit(asyncio.run, executor._fetch_rewards_via_http([PROMPT + FAST], [PROMPT], [label]))
        while httpx.get(f"{base}/status").json()["rejected"] == 0:  # OpenRLHF was refused once ...
            assert time.monotonic() < deadline
            time.sleep(0.02)
        sandbox.gate.set()  # ... and retries (1 s later, up to 5 times) once the slot is free
        assert blocker.result().status_code == 200
        infos = fetch.result(timeout=300)
        pool.shutdown()
    assert infos[0]["extra_logs"]["acc"] == [1.0]


def test_openrlhf_file_mode_loads_reward_func_from_our_module(tokenizer) -> None:
    require_module("openrlhf")
    require_language("python")
    from openrlhf.utils.agent import SingleTurnAgentExecutor

    os.environ[openrlhf_reward.OPTIONS_ENV] = json.dumps({"timeout_s": 10})
    try:
        executor = SingleTurnAgentExecutor(remote_rm_url=openrlhf_reward.__file__)
        assert executor.reward_func is not None
        infos = asyncio.run(
            executor._fetch_rewards_via_func(
                [PROMPT + FAST + "<|end|>", PROMPT + PROSE], [PROMPT, PROMPT], [LABEL, LABEL]
            )
        )
    finally:
        del os.environ[openrlhf_reward.OPTIONS_ENV]
    assert [info["extra_logs"]["acc"] for info in infos] == [[1.0], [0.0]]
    assert infos[0]["rewards"][0] > infos[1]["rewards"][0]
