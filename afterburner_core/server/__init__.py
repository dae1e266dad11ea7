"""The HTTP execution service (`afterburner serve`) and its Python client.

`create_app(...)` builds the FastAPI application (needs the ``server`` extra: fastapi, uvicorn);
`AfterburnerClient` talks to it (needs httpx) and can stand in for a `Sandbox` wherever one is
expected, e.g. as the ``sandbox`` of the TRL reward.
"""

from __future__ import annotations

from typing import Any

__all__ = ["AfterburnerClient", "ServerError", "create_app"]


def __getattr__(name: str) -> Any:  # lazy: importing the package must not require fastapi or httpx
    if name == "create_app":
        from afterburner_core.server.app import create_app  # optional: fastapi

        return create_app
    if name in ("AfterburnerClient", "ServerError"):
        from afterburner_core.server import client  # optional: httpx

        return getattr(client, name)
    raise AttributeError(name)
