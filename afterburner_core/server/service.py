"""The service behind the HTTP app: the sandbox, its worker threads and the admission queue.

Admission is decided before any work starts: at most ``parallel`` jobs run and ``queue_size`` wait;
a request that does not fit is refused at once with 429 and ``Retry-After`` (503 while shutting
down), so a client never waits on a connection the server cannot serve. An admitted job holds its
slot until its sandbox call has finished (even when the client has gone away), so the counts in
``/status`` are the truth and every admitted request yields exactly one report.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from pydantic import ValidationError

from afterburner_core import __version__
from afterburner_core.datasets import get_problem, registered_datasets
from afterburner_core.errors import AfterburnerError
from afterburner_core.models import ExecutionRequest, ProblemRunRequest, RunReport
from afterburner_core.plugins import get_registry
from afterburner_core.server.api_errors import ApiError, client_error, validation_message
from afterburner_core.server.bodies import ExecuteBody, RunBody

LIBRARIES_REFUSED = (
    "'libraries' is not supported: nothing is installed at run time; each language's image "
    "comes with its dependencies (send the program without 'libraries')"
)


def default_queue_size(parallel: int) -> int:
    return max(32, 8 * parallel)


class Service:
    """The sandbox, its worker threads and the admission bookkeeping (thread-safe counters)."""

    def __init__(
        self, sandbox: Any, backend: str, queue_size: int | None, max_body_bytes: int, datasets: Sequence[str] | None
    ) -> None:
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
            raise ApiError(
                413,
                f"batch of {count} items exceeds the server's capacity of {self.capacity} "
                "(see /status max_batch); split it",
            )
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
        raise ApiError(
            429,
            f"queue full: {self.parallel} running and {self.queue_size} waiting at most; retry later",
            retry_after=self.retry_after(),
        )

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
        backend = getattr(self.sandbox, "backend", None)  # absent on a test double of the sandbox
        cores = list(getattr(backend, "cores", ()) or ())
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
        registry = get_registry()
        if self.backend == "local":
            registry.require_toolchain(name)
        else:
            registry.resolve_language(name)

    def check_dataset(self, dataset: str) -> None:
        if dataset not in registered_datasets() and dataset not in self.extra_datasets:
            allowed = sorted(set(registered_datasets()) | self.extra_datasets)
            raise ApiError(
                400,
                f"dataset {dataset!r} is not served here (available: {', '.join(allowed)}); "
                "send the problem inline as 'problem'",
            )

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
                self.check_dataset(body.dataset)
                problem = get_problem(str(body.problem_id), body.dataset)
            return ProblemRunRequest(
                problem=problem,
                code=body.code,
                language=body.language,
                tests=body.tests,
                limits=body.build_limits(),
                repeat=body.repeat,
            )
        except AfterburnerError as error:
            raise client_error(error) from None
        except ValidationError as error:
            raise ApiError(422, f"invalid request: {validation_message(error.errors())}") from None
