"""``POST /get_reward``: OpenRLHF's remote reward endpoint on the execution service.

Point OpenRLHF at ``http://HOST:PORT/get_reward`` (the path OpenRLHF's own ``serve_rm`` uses). The
body and answer are `afterburner_core.rewards.openrlhf`'s; the reward is configured by the URL's
query string, so one server can serve several runs: ``reward`` (afterburner | percentile |
speedup | a plugin's), ``objective`` (for labels without one), ``dataset`` (one this server serves),
``timeout_s`` (per test), ``memory_mb``, ``repeat``, ``baseline_ttl_s``; anything else is refused.

Every run a request needs (its candidates, and the baselines no other request is already running
or has just run) is admitted through the service's bounded queue *before* any of them starts: a
request that does not fit gets 429 with ``Retry-After``, one that can never fit 413. Claiming the
shared baselines, admitting and starting the runs happen without yielding to the event loop, so no
other request can wait on a baseline whose runs were then refused. A sandbox failure answers 503
with ``Retry-After`` instead of scoring the rollout as failing (OpenRLHF retries a failed request).

Human values the reward asks for are measured on first use through the sandbox itself, outside the
queue; run ``afterburner dataset calibrate`` before training so that this never happens mid-run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from afterburner_core.errors import AfterburnerError, DatasetError
from afterburner_core.models import ProblemRunRequest, RunReport
from afterburner_core.rewards.baselines import Claim
from afterburner_core.rewards.execution import PreparedBatch, RewardTask
from afterburner_core.rewards.openrlhf import RewardRequest, RewardResponse, response_body, tasks_of
from afterburner_core.rewards.runtime import RewardRuntime, parse_config
from afterburner_core.server.api_errors import ApiError
from afterburner_core.server.bodies import ErrorBody
from afterburner_core.server.service import Service

PATH = "/get_reward"
QUERY_OPTIONS = frozenset({"reward", "objective", "dataset", "timeout_s", "memory_mb", "repeat", "baseline_ttl_s"})


def _client_error(error: AfterburnerError) -> ApiError:
    return ApiError(404 if isinstance(error, DatasetError) else 400, str(error))


def _sandbox_failure(error: BaseException) -> ApiError:
    first = str(error).splitlines()[0] if str(error) else type(error).__name__
    return ApiError(503, f"sandbox failure: {first}", retry_after=1)


class OpenRLHFEndpoint:
    """The endpoint's state: one `RewardRuntime` per query-string configuration, on the service's sandbox."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.runtimes: dict[str, RewardRuntime] = {}

    def runtime(self, query: Mapping[str, str]) -> RewardRuntime:
        unknown = sorted(set(query) - QUERY_OPTIONS)
        if unknown:
            raise ApiError(
                400, f"unknown query parameter(s) {', '.join(unknown)} (allowed: {', '.join(sorted(QUERY_OPTIONS))})"
            )
        try:
            config = parse_config(dict(query), "query string")
        except AfterburnerError as error:
            raise ApiError(400, str(error)) from None
        key = config.model_dump_json()
        if key not in self.runtimes:
            try:
                self.runtimes[key] = RewardRuntime(config, sandbox=self.service.sandbox)
            except AfterburnerError as error:
                raise ApiError(400, str(error)) from None
        return self.runtimes[key]

    def prepare(self, reward: RewardRuntime, tasks: list[RewardTask]) -> PreparedBatch:
        """Check languages and datasets as /run does, then build the requests (blocking: dataset loading)."""
        try:
            for dataset in sorted({task.dataset or reward.config.dataset for task in tasks}):
                self.service.check_dataset(dataset)
            for language in sorted({task.language for task in tasks}):
                self.service.check_language(language)
            return reward.engine.prepare(tasks)
        except AfterburnerError as error:
            raise _client_error(error) from None

    def start(self, requests: list[ProblemRunRequest]) -> list[asyncio.Future]:
        """Admit and start every run at once (429 / 413 / 503 before anything runs)."""
        self.service.admit(len(requests))
        jobs: list[asyncio.Future] = []
        for position, request in enumerate(requests):
            try:
                jobs.append(self.service.start(request))
            except ApiError:
                self.service._release_many(len(requests) - position - 1)  # admitted, never started
                raise
        return jobs

    async def run(self, reward: RewardRuntime, batch: PreparedBatch) -> list[RunReport]:
        """The batch's reports (candidates, then baselines), sharing baselines with concurrent requests."""
        claims = [reward.shared.claim(request) for request in batch.baseline_requests]
        owned = [
            (claim, request) for claim, request in zip(claims, batch.baseline_requests, strict=True) if claim.owned
        ]
        try:
            jobs = self.start(batch.candidate_requests + [request for _, request in owned])
        except ApiError as error:
            for claim, _ in owned:
                reward.shared.fail(claim, AfterburnerError(error.message))
            raise
        results = await asyncio.gather(*jobs, return_exceptions=True)
        k = len(batch.candidate_requests)
        for (claim, _), result in zip(owned, results[k:], strict=True):
            self._settle(reward, claim, result)
        for result in results[:k]:
            if isinstance(result, BaseException):
                raise _sandbox_failure(result)
        baselines = []
        for claim in claims:
            try:
                baselines.append(await asyncio.wrap_future(claim.future))
            except Exception as error:  # the run another request owned failed
                raise _sandbox_failure(error) from None
        return [*results[:k], *baselines]

    @staticmethod
    def _settle(reward: RewardRuntime, claim: Claim, result: Any) -> None:
        if isinstance(result, BaseException):
            reward.shared.fail(claim, result)
        else:
            reward.shared.fulfil(claim, result)

    async def handle(self, body: RewardRequest, request: Request) -> JSONResponse:
        reward = self.runtime(request.query_params)
        if len(body.query) > self.service.capacity:
            raise ApiError(
                413,
                f"{len(body.query)} queries exceed the server's capacity of {self.service.capacity} "
                "(see /status max_batch); send fewer per request",
            )
        try:
            tasks, found = tasks_of(body)
        except AfterburnerError as error:
            raise ApiError(400, str(error)) from None
        batch = await asyncio.to_thread(self.prepare, reward, tasks)
        reports = await self.run(reward, batch) if batch.requests else []
        reward.engine.attach(batch, reports)
        try:
            scored = await asyncio.to_thread(reward.engine.finish, batch)
        except AfterburnerError as error:
            raise _client_error(error) from None
        return JSONResponse(response_body(reward.engine, scored, found).model_dump())


def register_openrlhf(app: FastAPI, service: Service) -> None:
    """Add ``POST /get_reward`` to the service's app."""
    endpoint = OpenRLHFEndpoint(service)
    app.state.openrlhf = endpoint
    errors: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorBody, "description": text}
        for code, text in (
            (400, "bad label, query parameter or language"),
            (404, "unknown problem or dataset"),
            (413, "more queries than the server's capacity"),
            (422, "malformed body"),
            (429, "queue full (Retry-After)"),
            (503, "sandbox failure or shutting down (Retry-After)"),
        )
    }
    app.add_api_route(
        PATH,
        endpoint.handle,
        methods=["POST"],
        response_model=RewardResponse,
        responses=errors,
        summary="OpenRLHF remote reward: score rollouts by running their code",
    )
