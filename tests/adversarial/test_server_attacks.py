"""The HTTP service under hostile clients: every one gets a clear 4xx / 429 / 503, none hangs it.

The sandbox behind the server is a stand-in that sleeps (the real one is the corpus's business):
what is tested here is admission, parsing and the connection handling in front of it.
"""

from __future__ import annotations

import concurrent.futures
import socket
import threading
import time
from collections.abc import Iterator

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from afterburner_core.models import CompileInfo, RunReport, Verdict  # noqa: E402
from afterburner_core.server.app import create_app  # noqa: E402
from tests.test_server import serving  # noqa: E402


class _SlowSandbox:
    """Accepts everything after `delay` seconds; counts what it ran."""

    parallel = 1

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.ran = 0
        self._lock = threading.Lock()

    def submit(self, request) -> RunReport:  # type: ignore[no-untyped-def]
        time.sleep(self.delay)
        with self._lock:
            self.ran += 1
        return RunReport(verdict=Verdict.accepted, passed=True, language=request.language, compile=CompileInfo(ok=True))


@pytest.fixture
def slow_server() -> Iterator[tuple[str, _SlowSandbox]]:
    sandbox = _SlowSandbox(0.5)
    app = create_app(sandbox=sandbox, queue_size=2, max_body_bytes=64 * 1024, body_timeout_s=1.0, max_pending_bodies=4)
    with serving(app=app) as url:
        yield url, sandbox


def _raw(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def _status(sock: socket.socket) -> int:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return int(data.split(b" ", 2)[1]) if data else 0


@pytest.mark.parametrize(
    "body", [b"{", b"not json", b"\xff\xfe\x00", b"[1, 2, 3]", b'{"code": 5, "language": []}', b""]
)
def test_malformed_bodies_get_a_4xx_with_a_json_error(slow_server: tuple[str, _SlowSandbox], body: bytes) -> None:
    url, sandbox = slow_server
    response = httpx.post(f"{url}/execute", content=body, headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    assert isinstance(response.json()["error"], str)
    assert sandbox.ran == 0


def test_unknown_language_is_refused_before_running(slow_server: tuple[str, _SlowSandbox]) -> None:
    url, sandbox = slow_server
    response = httpx.post(f"{url}/execute", json={"code": "x", "language": "brainfuck-9000"})
    assert response.status_code == 400 and "brainfuck-9000" in response.json()["error"]
    assert sandbox.ran == 0


def test_huge_bodies_are_cut_off_while_streaming(slow_server: tuple[str, _SlowSandbox]) -> None:
    url, _ = slow_server
    declared = httpx.post(f"{url}/execute", content=b"x" * (1 << 20), headers={"content-type": "application/json"})
    assert declared.status_code == 413

    def endless() -> Iterator[bytes]:  # chunked, no Content-Length: the limit must apply while reading
        for _ in range(1 << 14):
            yield b"y" * 65536

    started = time.monotonic()
    try:
        streamed = httpx.post(f"{url}/execute", content=endless(), headers={"content-type": "application/json"})
        assert streamed.status_code == 413
    except httpx.HTTPError:
        pass  # the server may close the connection before the client has finished sending: also a refusal
    assert time.monotonic() - started < 20


def test_slowloris_body_gets_408_and_does_not_pin_the_server(slow_server: tuple[str, _SlowSandbox]) -> None:
    url, _ = slow_server
    slow = [_raw(url) for _ in range(3)]
    for sock in slow:  # promise 100 bytes, send 5, then dribble
        sock.sendall(
            b'POST /execute HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"cod'
        )
    assert httpx.get(f"{url}/health").status_code == 200  # others are served meanwhile
    started = time.monotonic()
    statuses = []
    for sock in slow:
        sock.sendall(b"e")
        statuses.append(_status(sock))
        sock.close()
    assert statuses == [408, 408, 408]
    assert time.monotonic() - started < 5


def test_too_many_bodies_in_flight_get_503(slow_server: tuple[str, _SlowSandbox]) -> None:
    url, _ = slow_server
    held = [_raw(url) for _ in range(4)]
    for sock in held:
        sock.sendall(b"POST /execute HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{")
    time.sleep(0.2)
    response = httpx.post(f"{url}/execute", json={"code": "print(1)", "language": "python"})
    assert response.status_code == 503 and response.headers["retry-after"]
    for sock in held:
        sock.close()


def test_request_flood_gets_429_and_every_admitted_request_a_report(slow_server: tuple[str, _SlowSandbox]) -> None:
    url, sandbox = slow_server
    body = {"code": "print(1)", "language": "python"}
    with httpx.Client(timeout=60) as client, concurrent.futures.ThreadPoolExecutor(40) as pool:
        responses = list(pool.map(lambda _: client.post(f"{url}/execute", json=body), range(40)))
    codes = [r.status_code for r in responses]
    assert set(codes) <= {200, 429, 503}, codes  # 503: more bodies in flight than the server reads at once
    assert codes.count(200) >= 1 and codes.count(429) + codes.count(503) >= 1
    assert all(r.headers.get("retry-after") for r in responses if r.status_code != 200)
    assert sandbox.ran == codes.count(200)  # admitted means run, refused means not run
    assert httpx.get(f"{url}/health").status_code == 200
