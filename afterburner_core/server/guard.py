"""The ASGI guard in front of the app: the bearer token is checked before the body is read, then the
body is read under a size limit (from ``Content-Length`` before, and while it arrives), a deadline
(a slowloris client dribbling bytes gets 408 and the connection is closed) and a cap on bodies
being received at once (more get 503 with Retry-After), so slow clients can pin neither memory nor
the event loop."""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Awaitable, Callable

DEFAULT_MAX_BODY_BYTES = 16 << 20
DEFAULT_BODY_TIMEOUT_S = 30.0
DEFAULT_MAX_PENDING_BODIES = 256
OPEN_PATHS = frozenset({"/health", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})


class Guard:
    """Bearer token (before the body is read), then the body-size limit, the body deadline and the
    cap on bodies in flight (while it is read)."""

    def __init__(
        self,
        app: Callable[..., Awaitable[None]],
        token: str | None,
        max_body_bytes: int,
        body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S,
        max_pending_bodies: int = DEFAULT_MAX_PENDING_BODIES,
    ) -> None:
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
                await send_json(
                    send,
                    401,
                    {"error": "missing or wrong bearer token (Authorization: Bearer ...)"},
                    [(b"www-authenticate", b"Bearer")],
                )
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
                await send_json(send, 400, {"error": "invalid Content-Length"})
                return
            if declared > self.max_body_bytes:
                await send_json(send, 413, too_large, [(b"connection", b"close")])
                return
        if self.pending_bodies >= self.max_pending_bodies:
            await send_json(
                send,
                503,
                {"error": "too many requests are still sending their bodies; retry later"},
                [(b"retry-after", b"1"), (b"connection", b"close")],
            )
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
                await send_json(
                    send,
                    408,
                    {"error": f"request body not received within {self.body_timeout_s:g} s"},
                    [(b"connection", b"close")],
                )
                return None
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > self.max_body_bytes:
                await send_json(send, 413, too_large, [(b"connection", b"close")])
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)


async def send_json(
    send: Callable, status: int, content: dict, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps(content).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
