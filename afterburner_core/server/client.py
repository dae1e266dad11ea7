"""A Python client of the execution service that can stand in for a `Sandbox`.

    client = AfterburnerClient("http://trainer-sandbox:8000", token="...")
    report = client.execute("print(1)", "python")            # -> RunReport
    reward = trl_reward("paper", sandbox=client)               # trainers on other machines

Two different clocks:

- the **queueing wait** (``queue_timeout``): how long a call keeps trying to be admitted. A full
  server answers 429 with ``Retry-After``; the client sleeps that long (with a little jitter) and
  tries again until ``queue_timeout`` has passed. 502 / 503 / 504 and connection errors are retried
  the same way, at most ``retries`` times (exponential backoff from ``backoff`` seconds, or the
  server's ``Retry-After``).
- the **execution timeout**: the programs' own limits (``timeout`` seconds per run / per test) are
  enforced by the sandbox; the client's HTTP read timeout for an admitted request is derived from
  them (compile limit + tests x repeats x timeout, plus the server-side wait) or set with
  ``execution_timeout``, so a request that waits in the server's queue is never cut off by the
  program's time limit.

``run_many`` / ``execute_many`` split the requests into /batch calls of at most ``parallel`` items,
sent concurrently up to the server's capacity, and return the reports in request order.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from afterburner_core.errors import AfterburnerError
from afterburner_core.models import ExecutionRequest, Limits, Problem, ProblemRunRequest, RunReport, TestCase

RETRY_STATUSES = frozenset({429, 502, 503, 504})
AUTO_REPEAT_ESTIMATE = 30  # runs assumed for repeat='auto' when sizing the read timeout


class ServerError(AfterburnerError):
    """The service refused or failed a request; ``status`` is the HTTP status (None: unreachable)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _error_text(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text.strip().splitlines()[0] if response.text.strip() else response.reason_phrase
    if isinstance(data, dict):
        return str(data.get("error") or data.get("detail") or data)
    return str(data)


def _stdin_text(stdin: str | bytes) -> str:
    if isinstance(stdin, str):
        return stdin
    try:
        return stdin.decode("utf-8")
    except UnicodeDecodeError:
        raise AfterburnerError("stdin must be UTF-8 text to travel over HTTP") from None


def _runs(repeat: int | str) -> int:
    return AUTO_REPEAT_ESTIMATE if repeat == "auto" else int(repeat)


class AfterburnerClient:
    """Client of ``afterburner serve``; quacks like `Sandbox` (``execute``, ``run_problem``,
    ``submit``, ``run_many``, ``execute_many``, ``parallel``)."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        token: str | None = None,
        timeout: float = 30.0,
        retries: int = 5,
        queue_timeout: float = 600.0,
        execution_timeout: float | None = None,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        batch_size: int | None = None,
    ) -> None:
        if retries < 0:
            raise AfterburnerError("retries must be 0 or more")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.queue_timeout = queue_timeout
        self.execution_timeout = execution_timeout
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.batch_size = batch_size
        token = token if token is not None else os.environ.get("AFTERBURNER_TOKEN") or None
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=64),
        )
        self._status: dict[str, Any] | None = None
        self._status_lock = threading.Lock()

    # -- plumbing -------------------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AfterburnerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _sleep_for(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after + random.uniform(0, 0.1 * max(retry_after, 1.0))
        return min(self.max_backoff, self.backoff * (2**attempt)) * random.uniform(0.75, 1.25)

    def _call(self, method: str, path: str, payload: Any = None, read_timeout: float | None = None) -> Any:
        deadline = time.monotonic() + self.queue_timeout
        failures = 0
        attempt = 0
        while True:
            timeout = httpx.Timeout(self.timeout, read=read_timeout if read_timeout is not None else self.timeout)
            retry_after: float | None = None
            last_status: int | None = None
            try:
                response = self._http.request(method, path, json=payload, timeout=timeout)
            except httpx.TimeoutException as error:
                if isinstance(error, (httpx.ConnectTimeout, httpx.PoolTimeout)):
                    failures += 1
                    last = f"cannot reach {self.base_url}: {type(error).__name__}"
                else:  # the server has the request: retrying could run it twice
                    raise ServerError(
                        f"{method} {path}: no answer from {self.base_url} within the timeout ({type(error).__name__})"
                    ) from None
            except httpx.TransportError as error:
                failures += 1
                last = f"cannot reach {self.base_url}: {error or type(error).__name__}"
            else:
                if response.status_code < 300:
                    return response.json()
                message = f"{method} {path}: HTTP {response.status_code}: {_error_text(response)}"
                if response.status_code not in RETRY_STATUSES:
                    raise ServerError(message, response.status_code)
                if response.status_code != 429:
                    failures += 1
                retry_after = _retry_after(response)
                last = message
                last_status = response.status_code
            if failures > self.retries:
                raise ServerError(f"{last} (gave up after {self.retries} retries)", last_status)
            wait = self._sleep_for(attempt, retry_after)
            if time.monotonic() + wait > deadline:
                raise ServerError(f"{last} (gave up after queueing for {self.queue_timeout:g} s)", last_status)
            attempt += 1
            time.sleep(wait)

    # -- sizing -----------------------------------------------------------------------------------
    def _budget(self, request: ExecutionRequest | ProblemRunRequest) -> float:
        if self.execution_timeout is not None:
            return self.execution_timeout
        limits = request.limits
        tests = 1
        if isinstance(request, ProblemRunRequest):
            tests = len(request.tests) if request.tests is not None else max(1, len(request.problem.test_cases))
            if request.tests is None and request.problem.test_case_generator:
                tests += 100
        # compile, start-up calibration and every measured run, each at its limit, plus slack
        return limits.compile_timeout_s + (_runs(request.repeat) + 11) * tests * limits.timeout_s + 30.0

    def _read_timeout(self, requests: Sequence[ExecutionRequest | ProblemRunRequest]) -> float:
        budgets = [self._budget(r) for r in requests]
        parallel = max(1, self.parallel) if len(requests) > 1 else 1
        return self.queue_timeout + max(budgets) + sum(budgets) / parallel

    @staticmethod
    def _payload(request: ExecutionRequest | ProblemRunRequest) -> dict[str, Any]:
        common = {
            "language": request.language,
            "code": request.code,
            "repeat": request.repeat,
            "limits": request.limits.model_dump(mode="json"),
        }
        if isinstance(request, ExecutionRequest):
            return {"kind": "execute", **common, "stdin": _stdin_text(request.stdin)}
        payload: dict[str, Any] = {"kind": "run", **common, "problem": request.problem.model_dump(mode="json")}
        if request.tests is not None:
            payload["tests"] = [t.model_dump(mode="json") for t in request.tests]
        return payload

    # -- service information ------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health")

    def status(self) -> dict[str, Any]:
        """The server's /status (also refreshes ``parallel`` / ``capacity``)."""
        status = self._call("GET", "/status")
        with self._status_lock:
            self._status = status
        return status

    def _info(self) -> dict[str, Any]:
        with self._status_lock:
            status = self._status
        return status if status is not None else self.status()

    @property
    def parallel(self) -> int:
        """How many jobs the server runs at once (from /status, fetched once)."""
        return int(self._info()["parallel"])

    @property
    def capacity(self) -> int:
        return int(self._info()["capacity"])

    # -- execution ------------------------------------------------------------------------------
    def execute(
        self,
        code: str | ExecutionRequest,
        language: str | None = None,
        stdin: str | bytes = "",
        timeout: float | None = None,
        memory_mb: int | None = None,
        repeat: int | str = 1,
        limits: Limits | None = None,
    ) -> RunReport:
        """POST /execute: a whole program with stdin (or pass a ready `ExecutionRequest`)."""
        if isinstance(code, ExecutionRequest):
            request = code
        else:
            if language is None:
                raise AfterburnerError("execute needs a language")
            request = ExecutionRequest(
                code=code, language=language, stdin=stdin, limits=_limits(limits, timeout, memory_mb), repeat=repeat
            )
        data = self._call("POST", "/execute", self._payload(request), self._read_timeout([request]))
        return RunReport.model_validate(data)

    def run(
        self,
        code: str | ProblemRunRequest,
        language: str | None = None,
        problem_id: str | int | None = None,
        dataset: str = "venus-mini",
        problem: Problem | None = None,
        tests: Sequence[TestCase] | None = None,
        timeout: float | None = None,
        memory_mb: int | None = None,
        repeat: int | str = 1,
        limits: Limits | None = None,
    ) -> RunReport:
        """POST /run: a solution against a problem's tests — by ``problem_id`` in a dataset the
        server has, or an inline ``problem`` (or pass a ready `ProblemRunRequest`)."""
        if isinstance(code, ProblemRunRequest):
            request = code
            data = self._call("POST", "/run", self._payload(request), self._read_timeout([request]))
            return RunReport.model_validate(data)
        if language is None:
            raise AfterburnerError("run needs a language")
        built = _limits(limits, timeout, memory_mb)
        if problem is not None:
            request = ProblemRunRequest(
                problem=problem,
                code=code,
                language=language,
                tests=list(tests) if tests is not None else None,
                limits=built,
                repeat=repeat,
            )
            return self.run(request)
        if problem_id is None:
            raise AfterburnerError("run needs a problem_id or a problem")
        payload: dict[str, Any] = {
            "kind": "run",
            "problem_id": problem_id,
            "dataset": dataset,
            "code": code,
            "language": language,
            "repeat": repeat,
            "limits": built.model_dump(mode="json"),
        }
        if tests is not None:
            payload["tests"] = [TestCase.model_validate(t).model_dump(mode="json") for t in tests]
        runs = _runs(repeat) + 11
        read = self.queue_timeout + (
            self.execution_timeout
            if self.execution_timeout is not None
            else built.compile_timeout_s + runs * 200 * built.timeout_s + 30.0
        )
        return RunReport.model_validate(self._call("POST", "/run", payload, read))

    run_problem = run  # Sandbox.run_problem(request)

    def submit(self, request: ExecutionRequest | ProblemRunRequest) -> RunReport:
        return self.execute(request) if isinstance(request, ExecutionRequest) else self.run(request)

    def batch(self, items: Sequence[ExecutionRequest | ProblemRunRequest | dict[str, Any]]) -> list[RunReport]:
        """One POST /batch (at most the server's ``max_batch`` items); reports in item order."""
        if not items:
            return []
        payload = [item if isinstance(item, dict) else self._payload(item) for item in items]
        typed = [item for item in items if not isinstance(item, dict)]
        read = self._read_timeout(typed) if typed else self.queue_timeout + (self.execution_timeout or 3600.0)
        data = self._call("POST", "/batch", {"items": payload}, read)
        if not isinstance(data, list) or len(data) != len(items):
            raise ServerError(
                f"/batch returned {len(data) if isinstance(data, list) else 'no'} reports for {len(items)} items"
            )
        return [RunReport.model_validate(entry) for entry in data]

    def run_many(self, requests: Sequence[ExecutionRequest | ProblemRunRequest]) -> list[RunReport]:
        """All requests, as concurrent /batch calls of at most ``parallel`` items; reports in order."""
        requests = list(requests)
        if not requests:
            return []
        info = self._info()
        size = self.batch_size or int(info.get("parallel", 1))
        size = max(1, min(size, int(info.get("max_batch", size))))
        chunks = [requests[i : i + size] for i in range(0, len(requests), size)]
        workers = max(1, min(len(chunks), int(info.get("capacity", size)) // size))
        if workers == 1:
            results = [self.batch(chunk) for chunk in chunks]
        else:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="afterburner-client") as pool:
                results = list(pool.map(self.batch, chunks))
        return [report for chunk in results for report in chunk]

    execute_many = run_many


def _limits(limits: Limits | None, timeout: float | None, memory_mb: int | None) -> Limits:
    values = (limits or Limits()).model_dump()
    if timeout is not None:
        values["timeout_s"] = timeout
    if memory_mb is not None:
        values["memory_mb"] = memory_mb
    return Limits(**values)
