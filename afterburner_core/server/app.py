"""The HTTP execution service: FastAPI in front of a `Sandbox`, with a bounded admission queue.

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
import hmac
import json
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, model_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from afterburner_core import __version__
from afterburner_core.errors import (
    AfterburnerError,
    DatasetError,
    SandboxError,
    ToolchainMissingError,
    UnknownLanguageError,
)
from afterburner_core.models import (
    CompileInfo,
    ExecutionRequest,
    Limits,
    Problem,
    ProblemRunRequest,
    RepeatSpec,
    RunReport,
    TestCase,
    Verdict,
)

log = logging.getLogger("afterburner.server")

DEFAULT_MAX_BODY_BYTES = 16 << 20
DEFAULT_BODY_TIMEOUT_S = 30.0
DEFAULT_MAX_PENDING_BODIES = 256
OPEN_PATHS = frozenset({"/health", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
LIBRARIES_REFUSED = ("'libraries' is not supported: nothing is installed at run time; each language's image "
                     "comes with its dependencies (send the program without 'libraries')")


def default_queue_size(parallel: int) -> int:
    return max(32, 8 * parallel)


# ---------------------------------------------------------------------------------------- bodies
class _LimitFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timeout: float | None = Field(None, gt=0, le=3600, description="wall limit in seconds (per test for /run)")
    memory_mb: int | None = Field(None, gt=0, le=1 << 20, description="memory limit of the whole tree, MiB")
    limits: Limits | None = Field(None, description="full limits; `timeout` / `memory_mb` override its fields")
    repeat: RepeatSpec = Field(1, description="N measured runs (medians + 95% intervals) or 'auto'")

    def build_limits(self) -> Limits:
        values = (self.limits or Limits()).model_dump()
        if self.timeout is not None:
            values["timeout_s"] = self.timeout
        if self.memory_mb is not None:
            values["memory_mb"] = self.memory_mb
        return Limits(**values)


class ExecuteBody(_LimitFields):
    """A whole program with stdin: the Monolith ``/execute`` request shape."""

    kind: Literal["execute"] = "execute"
    code: str
    language: str
    stdin: str | None = ""
    libraries: list[str] | None = Field(None, description="refused when non-empty: images carry their dependencies")
    run_profiling: bool | None = Field(None, description="accepted for Monolith compatibility; always measured")
    run_memory_profile: bool | None = Field(None, description="accepted for Monolith compatibility")

    def to_request(self) -> ExecutionRequest:
        return ExecutionRequest(code=self.code, language=self.language, stdin=self.stdin or "",
                                limits=self.build_limits(), repeat=self.repeat)


class RunBody(_LimitFields):
    """A solution against a problem's tests: ``problem_id`` (+ ``dataset``) or an inline ``problem``."""

    kind: Literal["run"] = "run"
    problem_id: int | str | None = None
    dataset: str = "venus-mini"
    problem: Problem | None = Field(None, description="an inline Venus-shaped problem row")
    tests: list[TestCase] | None = Field(None, description="default: the problem's stored + generated tests")
    language: str
    code: str

    @model_validator(mode="after")
    def _one_problem(self) -> RunBody:
        if (self.problem_id is None) == (self.problem is None):
            raise ValueError("give exactly one of 'problem_id' or 'problem'")
        return self


def _item_kind(value: Any) -> str:
    if isinstance(value, dict):
        kind = value.get("kind")
        if kind in ("execute", "run"):
            return kind
        return "run" if ("problem_id" in value or "problem" in value) else "execute"
    return getattr(value, "kind", "execute")


BatchItem = Annotated[Annotated[ExecuteBody, Tag("execute")] | Annotated[RunBody, Tag("run")], Discriminator(_item_kind)]


class BatchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[BatchItem] = Field(..., description="execute items (code, stdin) and run items (problem) in any mix")


class ErrorBody(BaseModel):
    error: str


# ---------------------------------------------------------------------------------------- errors
class ApiError(Exception):
    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


def _error_response(status: int, message: str, retry_after: int | None = None,
                    headers: dict[str, str] | None = None) -> JSONResponse:
    headers = dict(headers or {})
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _validation_message(errors: Sequence[Any]) -> str:
    parts = []
    for item in errors:
        loc = [str(p) for p in item.get("loc", ()) if p not in ("body",)]
        if item.get("type") == "json_invalid":
            parts.append(f"malformed JSON: {item.get('ctx', {}).get('error', item.get('msg'))}")
            continue
        where = ".".join(loc)
        parts.append(f"{where}: {item.get('msg')}" if where else str(item.get("msg")))
    return "; ".join(parts) or "invalid request"


def _client_error(error: AfterburnerError) -> ApiError:
    """A user-caused error of the core as an HTTP error (one line, no traceback)."""
    if isinstance(error, DatasetError):
        return ApiError(404, str(error))
    if isinstance(error, (UnknownLanguageError, ToolchainMissingError)):
        return ApiError(400, str(error))
    return ApiError(400, str(error))


# ---------------------------------------------------------------------------------------- service
class Service:
    """The sandbox, its worker threads and the admission bookkeeping (thread-safe counters)."""

    def __init__(self, sandbox: Any, backend: str, queue_size: int | None, max_body_bytes: int,
                 datasets: Sequence[str] | None) -> None:
        self.sandbox = sandbox
        self.backend = backend
        self.parallel = max(1, int(sandbox.parallel))
        self.queue_size = default_queue_size(self.parallel) if queue_size is None else max(0, int(queue_size))
        self.capacity = self.parallel + self.queue_size
        self.max_body_bytes = max_body_bytes
        self.extra_datasets = set(datasets or ())
        self.executor = ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="afterburner-job")
        self._lock = threading.Lock()
        self.in_flight = 0  # admitted jobs not yet finished (running + waiting)
        self.running = 0
        self.served = 0
        self.rejected = 0
        self.failed = 0
        self.closing = False
        self.started = time.time()
        self._job_s = 1.0  # moving average of a job's duration, for Retry-After

    # -- admission ------------------------------------------------------------------------------
    def retry_after(self) -> int:
        """Seconds until a slot is likely free: one job's typical duration over the workers."""
        with self._lock:
            estimate = self._job_s / self.parallel
        return int(min(60, max(1, math.ceil(estimate))))

    def admit(self, count: int) -> None:
        if count > self.capacity:
            raise ApiError(413, f"batch of {count} items exceeds the server's capacity of {self.capacity} "
                                "(see /status max_batch); split it")
        with self._lock:
            if self.closing:
                self.rejected += count
                refused = 503
            elif self.in_flight + count > self.capacity:
                self.rejected += count
                refused = 429
            else:
                self.in_flight += count
                return
        if refused == 503:
            raise ApiError(503, "the server is shutting down", retry_after=5)
        raise ApiError(429, f"queue full: {self.parallel} running and {self.queue_size} waiting at most; retry later",
                       retry_after=self.retry_after())

    def _release(self, _future: Future | None) -> None:
        self._release_many(1)

    def _release_many(self, count: int) -> None:
        with self._lock:
            self.in_flight -= count

    def _work(self, request: ExecutionRequest | ProblemRunRequest) -> RunReport:
        start = time.monotonic()
        with self._lock:
            self.running += 1
        try:
            report = self.sandbox.submit(request)
        except BaseException:
            with self._lock:
                self.failed += 1
            raise
        finally:
            elapsed = time.monotonic() - start
            with self._lock:
                self.running -= 1
                self._job_s = 0.8 * self._job_s + 0.2 * elapsed
        with self._lock:
            self.served += 1
        return report

    def start(self, request: ExecutionRequest | ProblemRunRequest) -> asyncio.Future:
        """Queue one admitted job; its slot is released when the job ends, whatever the caller does."""
        try:
            future = self.executor.submit(self._work, request)
        except RuntimeError:  # executor shut down
            self._release(None)
            raise ApiError(503, "the server is shutting down", retry_after=5) from None
        future.add_done_callback(self._release)
        return asyncio.wrap_future(future)

    def status(self) -> dict[str, Any]:
        pool = getattr(getattr(self.sandbox, "backend", None), "pool", None)
        cores = list(getattr(pool, "cores", ()) or ())
        with self._lock:
            waiting = max(0, self.in_flight - self.running)
            return {
                "backend": self.backend,
                "version": __version__,
                "parallel": self.parallel,
                "cores": cores,
                "queue_size": self.queue_size,
                "capacity": self.capacity,
                "max_batch": self.capacity,
                "queue_depth": waiting,
                "in_flight": self.in_flight,
                "busy_workers": self.running,
                "idle_workers": max(0, self.parallel - self.running),
                "served": self.served,
                "rejected": self.rejected,
                "failed": self.failed,
                "closing": self.closing,
                "uptime_s": round(time.time() - self.started, 3),
                "max_body_bytes": self.max_body_bytes,
            }

    def close(self) -> None:
        with self._lock:
            self.closing = True
        self.executor.shutdown(wait=True)

    # -- requests -------------------------------------------------------------------------------
    def check_language(self, name: str) -> None:
        from afterburner_core.plugins import get_manager

        manager = get_manager()
        if self.backend == "local":
            manager.require_toolchain(name)
        else:
            manager.resolve_language(name)

    def check_dataset(self, dataset: str) -> None:
        from afterburner_core.datasets import registered_datasets

        if dataset not in registered_datasets() and dataset not in self.extra_datasets:
            allowed = sorted(set(registered_datasets()) | self.extra_datasets)
            raise ApiError(400, f"dataset {dataset!r} is not served here (available: {', '.join(allowed)}); "
                                "send the problem inline as 'problem'")

    def prepare(self, body: ExecuteBody | RunBody) -> ExecutionRequest | ProblemRunRequest:
        """Validate one item and build its sandbox request (blocking: dataset loading)."""
        try:
            if isinstance(body, ExecuteBody):
                if body.libraries:
                    raise ApiError(400, LIBRARIES_REFUSED)
                self.check_language(body.language)
                return body.to_request()
            self.check_language(body.language)
            problem = body.problem
            if problem is None:
                from afterburner_core.datasets import get_problem

                self.check_dataset(body.dataset)
                problem = get_problem(str(body.problem_id), body.dataset)
            return ProblemRunRequest(problem=problem, code=body.code, language=body.language, tests=body.tests,
                                     limits=body.build_limits(), repeat=body.repeat)
        except AfterburnerError as error:
            raise _client_error(error) from None
        except ValidationError as error:
            raise ApiError(422, f"invalid request: {_validation_message(error.errors())}") from None


def _sandbox_failure(error: BaseException) -> ApiError:
    log.error("sandbox failure: %s", error, exc_info=not isinstance(error, SandboxError))
    return ApiError(503, f"sandbox failure: {str(error).splitlines()[0] if str(error) else type(error).__name__}",
                    retry_after=1)


def _failed_report(request: ExecutionRequest | ProblemRunRequest, error: BaseException, backend: str) -> RunReport:
    message = str(error).splitlines()[0] if str(error) else type(error).__name__
    return RunReport(verdict=Verdict.sandbox_error, passed=False, language=request.language, backend=backend,
                     compile=CompileInfo(ok=False), message=f"sandbox failure: {message}")


def _report_json(report: RunReport) -> dict[str, Any]:
    return report.model_dump(mode="json")


# ---------------------------------------------------------------------------------------- middleware
class _Guard:
    """Bearer token (before the body is read), then the body-size limit, the body deadline and the
    cap on bodies in flight (while it is read)."""

    def __init__(self, app: Callable[..., Awaitable[None]], token: str | None, max_body_bytes: int,
                 body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S,
                 max_pending_bodies: int = DEFAULT_MAX_PENDING_BODIES) -> None:
        self.app = app
        self.token = token.encode() if token else None
        self.max_body_bytes = max_body_bytes
        self.body_timeout_s = body_timeout_s
        self.max_pending_bodies = max_pending_bodies
        self.pending_bodies = 0  # only touched on the event loop

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        if self.token is not None and scope.get("path") not in OPEN_PATHS:
            scheme, _, value = headers.get(b"authorization", b"").partition(b" ")
            if scheme.lower() != b"bearer" or not hmac.compare_digest(value.strip(), self.token):
                await _send_json(send, 401, {"error": "missing or wrong bearer token (Authorization: Bearer ...)"},
                                 [(b"www-authenticate", b"Bearer")])
                return
        if scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        too_large = {"error": f"request body exceeds the limit of {self.max_body_bytes} bytes"}
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await _send_json(send, 400, {"error": "invalid Content-Length"})
                return
            if declared > self.max_body_bytes:
                await _send_json(send, 413, too_large, [(b"connection", b"close")])
                return
        if self.pending_bodies >= self.max_pending_bodies:
            await _send_json(send, 503, {"error": "too many requests are still sending their bodies; retry later"},
                             [(b"retry-after", b"1"), (b"connection", b"close")])
            return
        self.pending_bodies += 1
        try:
            body = await self._read_body(receive, send, too_large)
        finally:
            self.pending_bodies -= 1
        if body is None:
            return
        delivered = False

        async def replay() -> dict:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _read_body(self, receive: Callable, send: Callable, too_large: dict) -> bytes | None:
        """The whole body, or None once an error has been answered (too large, too slow) or the
        client went away."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout_s
        chunks: list[bytes] = []
        total = 0
        more = True
        while more:
            try:
                message = await asyncio.wait_for(receive(), timeout=max(0.0, deadline - loop.time()))
            except asyncio.TimeoutError:
                await _send_json(send, 408, {"error": f"request body not received within {self.body_timeout_s:g} s"},
                                 [(b"connection", b"close")])
                return None
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > self.max_body_bytes:
                await _send_json(send, 413, too_large, [(b"connection", b"close")])
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)


async def _send_json(send: Callable, status: int, content: dict, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps(content).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


# ---------------------------------------------------------------------------------------- the app
def create_app(backend: str = "local", parallel: int | None = None, queue_size: int | None = None,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, token: str | None = None,
               datasets: Sequence[str] | None = None, sandbox: Any = None,
               body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S,
               max_pending_bodies: int = DEFAULT_MAX_PENDING_BODIES,
               backend_options: dict[str, Any] | None = None) -> FastAPI:
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
        from afterburner_core.sandbox.api import Sandbox

        options = dict(backend_options or {})
        if parallel is not None:
            options["parallel"] = parallel
        sandbox = Sandbox(backend, **options)
    service = Service(sandbox, backend, queue_size, max_body_bytes, datasets)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):  # type: ignore[no-untyped-def]
        try:
            yield
        finally:
            await asyncio.to_thread(service.close)
            if owned and hasattr(sandbox, "close"):  # the docker backend's containers, Ray's actors
                await asyncio.to_thread(sandbox.close)

    app = FastAPI(
        title="Afterburner execution service",
        version=__version__,
        description=("Runs code in the Afterburner sandbox and measures time, peak memory and the memory-time "
                     "integral. Bounded queue: 429 / 503 with Retry-After when full or shutting down."),
        lifespan=lifespan,
    )
    app.state.service = service
    app.add_middleware(_Guard, token=token, max_body_bytes=max_body_bytes, body_timeout_s=body_timeout_s,
                       max_pending_bodies=max_pending_bodies)

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, error: ApiError) -> JSONResponse:
        return _error_response(error.status, error.message, error.retry_after)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        return _error_response(422, f"invalid request: {_validation_message(error.errors())}")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        return _error_response(error.status_code, str(error.detail), headers=getattr(error, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return _error_response(500, f"internal error: {type(error).__name__}")

    errors: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorBody, "description": text} for code, text in (
            (400, "bad request (unknown language, libraries, ...)"), (401, "bearer token missing or wrong"),
            (404, "unknown problem"), (408, "body not received in time"),
            (413, "body too large / batch over capacity"), (422, "malformed request"),
            (429, "queue full (Retry-After)"),
            (503, "shutting down, sandbox failure or too many bodies in flight (Retry-After)"))}

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
                raise _sandbox_failure(error) from None
            raise _client_error(error) from None
        except Exception as error:  # the sandbox itself failed
            raise _sandbox_failure(error) from None
        return JSONResponse(_report_json(report))

    @app.post("/execute", response_model=RunReport, responses=errors, summary="Run a whole program with stdin")
    async def execute(body: ExecuteBody) -> JSONResponse:
        return await one(body)

    @app.post("/run", response_model=RunReport, responses=errors, summary="Run a solution against a problem's tests")
    async def run(body: RunBody) -> JSONResponse:
        return await one(body)

    @app.post("/batch", response_model=list[RunReport], responses=errors,
              summary="Run many items; the reports come back in order")
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
        reports = [_report_json(result if isinstance(result, RunReport) else _failed_report(request, result, backend))
                   for request, result in zip(requests, results, strict=True)]
        return JSONResponse(reports)

    @app.get("/health", summary="Liveness: 200 while the service accepts work")
    async def health() -> JSONResponse:
        status = 503 if service.closing else 200
        return JSONResponse({"ok": not service.closing, "backend": backend, "version": __version__},
                            status_code=status)

    @app.get("/status", summary="Queue depth, busy / idle workers, cores, capacity and totals")
    async def status() -> dict[str, Any]:
        return service.status()

    from afterburner_core.server.openrlhf import register_openrlhf  # here: that module imports this one

    register_openrlhf(app, service)
    return app
