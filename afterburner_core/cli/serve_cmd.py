"""`afterburner serve`: the HTTP execution service (FastAPI + uvicorn; the ``server`` extra)."""

from __future__ import annotations

import json
import os
from types import FrameType

import typer

from afterburner_core.errors import AfterburnerError
from afterburner_core.sandbox.supervision.supervisor import terminate_all

DEFAULT_MAX_BODY_MB = 16.0


def parse_backend_options(items: list[str]) -> dict[str, object]:
    """``KEY=VALUE`` pairs; a VALUE that parses as JSON (numbers, true/false) is taken as such."""
    options: dict[str, object] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip().isidentifier():
            raise AfterburnerError(f"--backend-option takes KEY=VALUE, not {item!r}")
        try:
            options[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            options[key.strip()] = value
    return options


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on (0.0.0.0: every interface)"),
    port: int = typer.Option(8000, "--port", help="TCP port"),
    backend: str = typer.Option("local", "--backend", help="sandbox backend (local, or a backend plugin's)"),
    parallel: int | None = typer.Option(None, "--parallel", help="jobs run at once (default: cores - 1)"),
    queue_size: int | None = typer.Option(
        None, "--queue-size", help="jobs waiting at most (default: max(32, 8 x parallel))"
    ),
    token: str | None = typer.Option(
        None, "--token", help="require 'Authorization: Bearer TOKEN' (default: $AFTERBURNER_TOKEN)"
    ),
    max_body_mb: float = typer.Option(DEFAULT_MAX_BODY_MB, "--max-body-mb", help="largest request body, MiB"),
    dataset: list[str] | None = typer.Option(
        None, "--dataset", help="extra dataset /run may name (path or hf:...); repeatable"
    ),
    backend_option: list[str] | None = typer.Option(
        None,
        "--backend-option",
        "-o",
        help="KEY=VALUE passed to the backend, e.g. inner=docker (ray), warm=false (docker); repeatable",
    ),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level"),
) -> None:
    """Serve /execute, /run, /batch, /health and /status over HTTP (OpenAPI docs at /docs)."""
    try:
        import uvicorn

        from afterburner_core.server.app import create_app  # optional: the server extra (fastapi)
    except ImportError as error:
        raise AfterburnerError(
            f"the server needs its extra: pip install 'afterburner[server]' ({error.name} missing)"
        ) from None
    if not 1 <= port <= 65535:
        raise AfterburnerError("--port must be between 1 and 65535")
    if max_body_mb <= 0:
        raise AfterburnerError("--max-body-mb must be positive")
    token = token if token is not None else (os.environ.get("AFTERBURNER_TOKEN") or None)
    app = create_app(
        backend=backend,
        parallel=parallel,
        queue_size=queue_size,
        max_body_bytes=int(max_body_mb * (1 << 20)),
        token=token,
        datasets=dataset or None,
        backend_options=parse_backend_options(backend_option or []),
    )

    class Server(uvicorn.Server):
        """Stopping the service stops its jobs at once: their requests answer 503 while uvicorn
        closes the connections, instead of holding the shutdown for as long as they run."""

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            terminate_all()
            super().handle_exit(sig, frame)
            # uvicorn re-raises the signal once it has shut down; for this command SIGINT and
            # SIGTERM are the way to stop it, so a completed shutdown exits 0, not 130/143.
            captured = getattr(self, "_captured_signals", None)
            if isinstance(captured, list):
                captured.clear()

    Server(uvicorn.Config(app, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=30)).run()
