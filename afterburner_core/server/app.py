"""The HTTP execution service: FastAPI in front of a `Sandbox`, with a bounded admission queue.

The parts: `bodies` (request shapes), `service` (admission and workers), `guard` (token and body
limits, before FastAPI), `api_errors` (one JSON error shape); this module wires them into the app.

Admission is decided before any work starts: at most ``parallel`` jobs run and ``queue_size`` wait;
a request that does not fit is refused at once with 429 and ``Retry-After`` (503 while shutting
down or when the sandbox itself fails), so a client never waits on a connection the server cannot
serve. An admitted job holds its slot until its sandbox call has finished (even when the client has
gone away), so the counts in ``/status`` are the truth and every admitted request yields exactly one
report. The blocking sandbox calls run in a thread pool of ``parallel`` workers; the event loop only
parses, admits and answers.

The body limit is enforced while the body is read (and from ``Content-Length`` before), the bearer
token (every path but ``/health`` and the OpenAPI docs) before the body is read at all. A body must
arrive within ``body_timeout_s`` (a slowloris client dribbling bytes gets 408 and the connection is
closed), and at most ``max_pending_bodies`` bodies are being received at once (more get 503 with
Retry-After), so slow clients can pin neither memory nor the event loop. Every error is a JSON
object ``{"error": "one line"}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from afterburner_core import __version__
from afterburner_core.errors import AfterburnerError, SandboxError
from afterburner_core.models import ExecutionRequest, ProblemRunRequest, RunReport
from afterburner_core.sandbox.api import Sandbox
from afterburner_core.server.api_errors import (
    ApiError,
    client_error,
    error_response,
    failed_report,
    report_json,
    sandbox_failure,
    validation_message,
)
from afterburner_core.server.bodies import BatchBody, ErrorBody, ExecuteBody, RunBody
from afterburner_core.server.guard import (
    DEFAULT_BODY_TIMEOUT_S,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_PENDING_BODIES,
    Guard,
)
from afterburner_core.server.openrlhf import register_openrlhf
from afterburner_core.server.service import Service, default_queue_size

log = logging.getLogger("afterburner.server")

__all__ = ["ApiError", "ErrorBody", "Service", "create_app", "default_queue_size"]


def create_app(
    backend: str = "local",
    parallel: int | None = None,
    queue_size: int | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    token: str | None = None,
    datasets: Sequence[str] | None = None,
    sandbox: Any = None,
    body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S,
    max_pending_bodies: int = DEFAULT_MAX_PENDING_BODIES,
    backend_options: dict[str, Any] | None = None,
) -> FastAPI:
    """The FastAPI application of the execution service.

    ``parallel`` jobs run at once (default: the backend's, cores - 1 for local) and ``queue_size``
    more wait (default ``max(32, 8 * parallel)``); beyond that requests get 429 with Retry-After.
    ``datasets`` adds dataset specs (paths, ``hf:...``) that ``/run`` may name besides the registered
    ones. ``sandbox`` injects a ready sandbox-like object (``submit``, ``parallel``) instead of
    building ``Sandbox(backend, parallel=..., **backend_options)``. A body must arrive within ``body_timeout_s``
    (else 408) and at most ``max_pending_bodies`` may be arriving at once (else 503).
    """
    if body_timeout_s <= 0 or max_pending_bodies < 1:
        raise AfterburnerError("body_timeout_s must be positive and max_pending_bodies at least 1")
    if max_body_bytes < 1:
        raise AfterburnerError("max_body_bytes must be positive")
    if parallel is not None and parallel < 1:
        raise AfterburnerError("parallel must be at least 1")
    if queue_size is not None and queue_size < 0:
        raise AfterburnerError("queue_size must be 0 or more")
    owned = sandbox is None
    if sandbox is None:
        options = dict(backend_options or {})
        if parallel is not None:
            options["parallel"] = parallel
        sandbox = Sandbox(backend, **options)
    service = Service(sandbox, backend, queue_size, max_body_bytes, datasets)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await asyncio.to_thread(service.close)
            if owned and hasattr(sandbox, "close"):  # the docker backend's containers, Ray's actors
                await asyncio.to_thread(sandbox.close)

    app = FastAPI(
        title="Afterburner execution service",
        version=__version__,
        description=(
            "Runs code in the Afterburner sandbox and measures time, peak memory and the memory-time "
            "integral. Bounded queue: 429 / 503 with Retry-After when full or shutting down."
        ),
        lifespan=lifespan,
    )
    app.state.service = service
    app.add_middleware(
        Guard,
        token=token,
        max_body_bytes=max_body_bytes,
        body_timeout_s=body_timeout_s,
        max_pending_bodies=max_pending_bodies,
    )

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status, error.message, error.retry_after)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        return error_response(422, f"invalid request: {validation_message(error.errors())}")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        return error_response(error.status_code, str(error.detail), headers=getattr(error, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return error_response(500, f"internal error: {type(error).__name__}")

    errors: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorBody, "description": text}
        for code, text in (
            (400, "bad request (unknown language, libraries, ...)"),
            (401, "bearer token missing or wrong"),
            (404, "unknown problem"),
            (408, "body not received in time"),
            (413, "body too large / batch over capacity"),
            (422, "malformed request"),
            (429, "queue full (Retry-After)"),
            (503, "shutting down, sandbox failure or too many bodies in flight (Retry-After)"),
        )
    }

    async def one(body: ExecuteBody | RunBody) -> JSONResponse:
        request = await asyncio.to_thread(service.prepare, body)
        service.admit(1)
        job = service.start(request)
        try:
            report = await job
        except ApiError:
            raise
        except AfterburnerError as error:
            if isinstance(error, SandboxError):
                raise sandbox_failure(error) from None
            raise client_error(error) from None
        except Exception as error:  # the sandbox itself failed
            raise sandbox_failure(error) from None
        return JSONResponse(report_json(report))

    @app.post("/execute", response_model=RunReport, responses=errors, summary="Run a whole program with stdin")
    async def execute(body: ExecuteBody) -> JSONResponse:
        return await one(body)

    @app.post("/run", response_model=RunReport, responses=errors, summary="Run a solution against a problem's tests")
    async def run(body: RunBody) -> JSONResponse:
        return await one(body)

    @app.post(
        "/batch",
        response_model=list[RunReport],
        responses=errors,
        summary="Run many items; the reports come back in order",
    )
    async def batch(body: BatchBody) -> JSONResponse:
        def prepare_all() -> list[ExecutionRequest | ProblemRunRequest]:
            requests = []
            for index, item in enumerate(body.items):
                try:
                    requests.append(service.prepare(item))
                except ApiError as error:
                    raise ApiError(error.status, f"items[{index}]: {error.message}", error.retry_after) from None
            return requests

        requests = await asyncio.to_thread(prepare_all)
        if not requests:
            return JSONResponse([])
        service.admit(len(requests))
        jobs: list[asyncio.Future] = []
        for position, request in enumerate(requests):
            try:
                jobs.append(service.start(request))
            except ApiError:
                service._release_many(len(requests) - position - 1)
                raise
        results = await asyncio.gather(*jobs, return_exceptions=True)
        reports = [
            report_json(result if isinstance(result, RunReport) else failed_report(request, result, backend))
            for request, result in zip(requests, results, strict=True)
        ]
        return JSONResponse(reports)

    @app.get("/health", summary="Liveness: 200 while the service accepts work")
    async def health() -> JSONResponse:
        status = 503 if service.closing else 200
        return JSONResponse({"ok": not service.closing, "backend": backend, "version": __version__}, status_code=status)

    @app.get("/status", summary="Queue depth, busy / idle workers, cores, capacity and totals")
    async def status() -> dict[str, Any]:
        return service.status()

    register_openrlhf(app, service)
    return app
