"""How the HTTP service answers failures: `ApiError` (status, one line, optional Retry-After), the
JSON error response, and the mapping of core errors (user-caused: 4xx) and sandbox failures (503)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi.responses import JSONResponse

from afterburner_core.errors import (
    AfterburnerError,
    DatasetError,
    SandboxError,
    ToolchainMissingError,
    UnknownLanguageError,
)
from afterburner_core.models import CompileInfo, ExecutionRequest, ProblemRunRequest, RunReport, Verdict

log = logging.getLogger("afterburner.server")


class ApiError(Exception):
    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


def error_response(
    status: int, message: str, retry_after: int | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    headers = dict(headers or {})
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def validation_message(errors: Sequence[Any]) -> str:
    parts = []
    for item in errors:
        loc = [str(p) for p in item.get("loc", ()) if p not in ("body",)]
        if item.get("type") == "json_invalid":
            parts.append(f"malformed JSON: {item.get('ctx', {}).get('error', item.get('msg'))}")
            continue
        where = ".".join(loc)
        parts.append(f"{where}: {item.get('msg')}" if where else str(item.get("msg")))
    return "; ".join(parts) or "invalid request"


def client_error(error: AfterburnerError) -> ApiError:
    """A user-caused error of the core as an HTTP error (one line, no traceback)."""
    if isinstance(error, DatasetError):
        return ApiError(404, str(error))
    if isinstance(error, (UnknownLanguageError, ToolchainMissingError)):
        return ApiError(400, str(error))
    return ApiError(400, str(error))


def sandbox_failure(error: BaseException) -> ApiError:
    log.error("sandbox failure: %s", error, exc_info=not isinstance(error, SandboxError))
    return ApiError(
        503, f"sandbox failure: {str(error).splitlines()[0] if str(error) else type(error).__name__}", retry_after=1
    )


def failed_report(request: ExecutionRequest | ProblemRunRequest, error: BaseException, backend: str) -> RunReport:
    message = str(error).splitlines()[0] if str(error) else type(error).__name__
    return RunReport(
        verdict=Verdict.sandbox_error,
        passed=False,
        language=request.language,
        backend=backend,
        compile=CompileInfo(ok=False),
        message=f"sandbox failure: {message}",
    )


def report_json(report: RunReport) -> dict[str, Any]:
    return report.model_dump(mode="json")
