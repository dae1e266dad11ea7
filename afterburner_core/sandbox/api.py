"""The public Python API of the sandbox: `Sandbox(...).execute(request) -> RunReport`.

`execute_many` / `run_many` run requests concurrently (one per exclusive core) and return the
reports in request order; the `a*` variants do the same for asyncio callers without blocking
their event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from afterburner_core.contracts import Backend
from afterburner_core.errors import AfterburnerError
from afterburner_core.models import ExecutionRequest, ProblemRunRequest, RunReport
from afterburner_core.plugins import get_registry
from afterburner_core.registry import Registry

Request = ExecutionRequest | ProblemRunRequest


def run_concurrently(
    sandbox: Any, requests: Sequence[Request], on_done: Callable[[int, RunReport], None] | None = None
) -> list[RunReport]:
    """Run `requests` on any sandbox-like object (``execute`` / ``run_problem`` + ``parallel``: a
    `Sandbox` or the HTTP client), one per worker, calling ``on_done(index, report)`` as each finishes; reports come
    back in request order. Validation, calibration, evaluation and `execute_many` share this loop."""
    if not requests:
        return []

    def one(indexed: tuple[int, Request]) -> RunReport:
        index, request = indexed
        report = sandbox.execute(request) if isinstance(request, ExecutionRequest) else sandbox.run_problem(request)
        if on_done is not None:
            on_done(index, report)
        return report

    with ThreadPoolExecutor(max_workers=max(1, sandbox.parallel)) as pool:
        return list(pool.map(one, enumerate(requests)))


class Sandbox:
    """A sandbox on one backend (``local`` by default; others come from backend plugins).

    `registry` is what the installed plugins provide (the process's own by default): the backend
    and the languages it runs are looked up there.
    """

    def __init__(self, backend: str = "local", registry: Registry | None = None, **options: Any) -> None:
        self.registry = registry or get_registry()
        info = self.registry.backends.require(backend)
        try:
            self.backend: Backend = info.create(self.registry, **options)
        except TypeError as exc:  # an option the backend does not take
            raise AfterburnerError(f"backend {backend!r} rejected its options {sorted(options)}: {exc}") from None

    @property
    def parallel(self) -> int:
        """How many requests run at once (it can shrink: a Ray backend that lost actors)."""
        return self.backend.parallel

    def execute(self, request: ExecutionRequest) -> RunReport:
        return self.backend.execute(request)

    def run_problem(self, request: ProblemRunRequest) -> RunReport:
        return self.backend.run_problem(request)

    def submit(self, request: Request) -> RunReport:
        if isinstance(request, ExecutionRequest):
            return self.execute(request)
        return self.run_problem(request)

    def execute_many(self, requests: Sequence[Request]) -> list[RunReport]:
        """Run concurrently at the backend's parallelism; reports come back in request order."""
        return run_concurrently(self, requests)

    run_many = execute_many

    def close(self) -> None:
        """Release what the backend holds (the docker backend's containers, Ray actors)."""
        self.backend.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def aexecute(self, request: Request) -> RunReport:
        return await asyncio.to_thread(self.submit, request)

    async def aexecute_many(self, requests: Sequence[Request]) -> list[RunReport]:
        return await asyncio.to_thread(self.execute_many, requests)
