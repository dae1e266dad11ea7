"""OpenRLHF's remote reward contract, with the execution reward behind it.

OpenRLHF (``--reward.remote_url``, formerly ``--remote_rm_url``) POSTs JSON
``{"query": [...], "prompts": [...], "labels": [...]}`` and reads back ``rewards`` (required: older
clients read only this key), ``scores`` (used by dynamic filtering; OpenRLHF falls back to
``rewards`` without it) and ``extra_logs`` (a dict of per-query lists, logged with the rollouts).
``query`` is the *decoded prompt + response* (special tokens kept), ``prompts`` the prompt text
and ``labels`` the dataset's ``--data.label_key`` column, here a `RewardLabel`.

Checked against openrlhf 0.11.2 (``openrlhf.utils.agent.SingleTurnAgentExecutor``): it sends one
rollout per request, so concurrent requests share baseline runs (`SharedBaselines`); and with a
``.py`` path instead of a URL it imports that file and calls ``reward_func(queries, prompts,
labels)`` in a worker thread, expecting the same dict back: this module is such a file
(`reward_func`; options from the environment variable ``AFTERBURNER_REWARD_OPTIONS``, a JSON
object of `afterburner_core.rewards.runtime` options).

The response is the part of ``query`` after the prompt: the prompt text itself when ``query``
starts with it, else after the prompt's last characters (its last 256, or last half when shorter:
OpenRLHF cuts over-long prompts from the front, and a tokenizer round trip can change a prompt's
first characters), else the whole query,
whose *last* code block is still the response's. Trailing special tokens (``<|im_end|>``,
``</s>``, ...) are removed so that the format term sees the text the model wrote.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from afterburner_core.errors import AfterburnerError
from afterburner_core.rewards.execution import ExecutionReward, RewardTask, ScoredCompletion
from afterburner_core.rewards.labels import parse_label
from afterburner_core.rewards.runtime import runtime

OPTIONS_ENV = "AFTERBURNER_REWARD_OPTIONS"
PROMPT_TAIL_CHARS = 256
_TRAILING_SPECIAL = re.compile(r"(?:\s*(?:<\|[^<>|\s]{1,40}\|>|<｜[^<>｜]{1,40}｜>|</s>|<eos>|<end_of_turn>))+\s*\Z")


class RewardRequest(BaseModel):
    """What OpenRLHF POSTs. Keys OpenRLHF may add later are ignored, so an upgrade keeps working."""

    model_config = ConfigDict(extra="ignore")

    query: list[str] = Field(..., description="decoded prompt + response, one per rollout")
    prompts: list[str] | None = Field(None, description="the prompt text of each query")
    labels: list[Any] = Field(..., description="a reward label per query (JSON object or JSON string)")

    @model_validator(mode="after")
    def _same_lengths(self) -> RewardRequest:
        if len(self.labels) != len(self.query):
            raise ValueError(f"{len(self.query)} queries came with {len(self.labels)} labels")
        if self.prompts is not None and len(self.prompts) != len(self.query):
            raise ValueError(f"{len(self.query)} queries came with {len(self.prompts)} prompts")
        return self


class RewardResponse(BaseModel):
    """What OpenRLHF reads back: one value per query in each list."""

    rewards: list[float]
    scores: list[float]
    extra_logs: dict[str, list[float]]


def response_of(query: str, prompt: str | None) -> tuple[str, bool]:
    """The model's response inside ``query`` and whether the prompt was found (see the module docstring)."""
    text, found = query, False
    if prompt:
        if query.startswith(prompt):
            text, found = query[len(prompt) :], True
        else:
            tail = prompt[-min(PROMPT_TAIL_CHARS, max(1, len(prompt) // 2)) :]
            at = query.find(tail, max(0, len(prompt) - len(tail) - PROMPT_TAIL_CHARS))
            if at < 0:
                at = query.find(tail)
            if at >= 0:
                text, found = query[at + len(tail) :], True
    return _TRAILING_SPECIAL.sub("", text), found


def tasks_of(body: RewardRequest) -> tuple[list[RewardTask], list[bool]]:
    """One task per query (labels validated: `AfterburnerError` naming the bad one), and whether
    each query's prompt was found."""
    prompts: Sequence[str | None] = body.prompts if body.prompts is not None else [None] * len(body.query)
    tasks, found = [], []
    for index, (query, prompt, label) in enumerate(zip(body.query, prompts, body.labels, strict=True)):
        response, located = response_of(query, prompt)
        tasks.append(parse_label(label, f"labels[{index}]").task(response))
        found.append(located)
    return tasks, found


def response_body(
    engine: ExecutionReward, scored: Sequence[ScoredCompletion], prompt_found: Sequence[bool]
) -> RewardResponse:
    """``rewards`` and ``scores`` are the reward's totals; ``extra_logs`` has the same keys for every
    query (`ExecutionReward.log_row`, plus ``prompt_found``) since OpenRLHF logs them per rollout."""
    rows = [engine.log_row(each) for each in scored]
    logs: dict[str, list[float]] = {name: [row[name] for row in rows] for name in engine.log_fields()}
    logs["prompt_found"] = [float(found) for found in prompt_found]
    totals = [each.total for each in scored]
    return RewardResponse(rewards=totals, scores=list(totals), extra_logs=logs)


def reward_func(queries: list[str], prompts: list[str], labels: list[Any]) -> dict[str, Any]:
    """OpenRLHF's file mode (``--reward.remote_url .../afterburner_core/rewards/openrlhf.py``): the
    same answer as the HTTP endpoint, computed in the calling process. OpenRLHF executes this file
    under another module name, where pydantic cannot resolve this module's annotations, so the work
    is done by the installed module."""
    from afterburner_core.rewards import openrlhf  # this file runs under another name: reach the installed module

    return openrlhf.score_queries(queries, prompts, labels)


def score_queries(queries: list[str], prompts: list[str], labels: list[Any]) -> dict[str, Any]:
    """`reward_func`'s answer, with options from ``AFTERBURNER_REWARD_OPTIONS``."""
    try:
        options = json.loads(os.environ.get(OPTIONS_ENV) or "{}")
    except json.JSONDecodeError as error:
        raise AfterburnerError(f"{OPTIONS_ENV} is not JSON: {error.msg}") from None
    if not isinstance(options, dict):
        raise AfterburnerError(f"{OPTIONS_ENV} must be a JSON object of reward options")
    body = RewardRequest(query=queries, prompts=prompts, labels=labels)
    reward = runtime(options, OPTIONS_ENV)
    tasks, found = tasks_of(body)
    return response_body(reward.engine, reward.score_shared(tasks), found).model_dump()
