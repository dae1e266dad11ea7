"""Generator plugins: transformers on a tiny model built here, openai against a local chat server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from afterburner_core.errors import AfterburnerError
from afterburner_core.generators import Generator, available_generators, get_generator, render_plain
from afterburner_core.plugins import get_manager
from tests.tiny_model import build_tiny_model

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Write code: print(1)"}]


@pytest.fixture(scope="module")
def tiny_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny")
    return {"plain": build_tiny_model(root / "plain", chat_template=None), "chat": build_tiny_model(root / "chat")}


def test_builtin_generators_are_plugins() -> None:
    assert {"transformers", "openai"} <= set(available_generators())
    kinds = {record.name: record.kinds for record in get_manager().records()}
    assert kinds["builtin-generators"] == ("generator",)


def test_bad_specs_give_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(AfterburnerError, match="KIND:TARGET"):
        get_generator("just-a-name")
    with pytest.raises(AfterburnerError, match="unknown generator"):
        get_generator("nope:thing")
    with pytest.raises(AfterburnerError, match="does not exist"):
        get_generator(f"transformers:{tmp_path / 'missing'}")


def test_unreachable_hub_id_is_one_line() -> None:
    with pytest.raises(AfterburnerError) as info:  # as offline: not in the local cache, no network asked
        get_generator("transformers:afterburner-test/definitely-not-a-model", local_files_only=True)
    assert "\n" not in str(info.value) and "cannot load model" in str(info.value)


def test_plain_rendering() -> None:
    assert render_plain(MESSAGES) == "System: Be brief.\n\nUser: Write code: print(1)\n\nAssistant:"


@pytest.mark.parametrize("variant", ["plain", "chat"])
def test_transformers_generator_batches_and_samples(tiny_dirs: dict[str, Path], variant: str) -> None:
    generator = get_generator(f"transformers:{tiny_dirs[variant]}", batch_size=2)
    assert isinstance(generator, Generator)
    assert generator.device.type in ("cpu", "cuda")
    assert generator.has_chat_template is (variant == "chat")
    prompt = generator.render(MESSAGES)
    if variant == "chat":
        assert prompt.startswith("<|system|>\nBe brief.") and prompt.endswith("<|assistant|>\n")
    else:
        assert prompt.endswith("Assistant:")
    assert generator.tokenizer.padding_side == "left"
    other = [{"role": "user", "content": "a much longer prompt than the first one, so padding matters " * 3}]
    batch = [MESSAGES, other, MESSAGES]
    sampled = generator.generate(batch, n=2, temperature=1.0, max_new_tokens=8, seed=1)
    assert len(sampled) == 3 and all(len(row) == 2 and all(isinstance(t, str) for t in row) for row in sampled)
    again = generator.generate(batch, n=2, temperature=1.0, max_new_tokens=8, seed=1)
    assert again == sampled  # seeded sampling is reproducible
    greedy = generator.generate([MESSAGES, other], n=2, temperature=0.0, max_new_tokens=8)
    assert all(row[0] == row[1] for row in greedy)
    # left padding: a prompt decodes the same alone as inside a batch with a longer one
    alone = generator.generate([MESSAGES], temperature=0.0, max_new_tokens=8)
    assert alone[0][0] == greedy[0][0]


class ChatServer(BaseHTTPRequestHandler):
    """A minimal /v1/chat/completions: fails `fail_first` times with 429, then answers."""

    fail_first = 0
    requests: list[dict] = []

    def log_message(self, *args: object) -> None:  # keep the test output quiet
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        if type(self).fail_first > 0:
            type(self).fail_first -= 1
            self._send(429, {"error": {"message": "slow down"}}, {"Retry-After": "0"})
            return
        if body["model"] == "broken":
            self._send(400, {"error": {"message": "no such model"}})
            return
        last = body["messages"][-1]["content"]
        count = min(body.get("n", 1), 2)  # like servers that cap n: the client must ask again
        choices = [
            {"index": i, "message": {"role": "assistant", "content": f"echo {i}: {last}"}, "finish_reason": "stop"}
            for i in range(count)
        ]
        self._send(200, {"id": "x", "object": "chat.completion", "choices": choices})

    def _send(self, status: int, data: dict, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture()
def chat_server():
    ChatServer.fail_first = 0
    ChatServer.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), ChatServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_openai_generator_against_a_local_server(chat_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", chat_server)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    generator = get_generator("openai:tiny-served")
    out = generator.generate(
        [MESSAGES, [{"role": "user", "content": "second"}]], n=3, temperature=0.5, max_new_tokens=16, seed=7
    )
    assert out[0] == ["echo 0: Write code: print(1)", "echo 1: Write code: print(1)", "echo 0: Write code: print(1)"]
    assert out[1][0] == "echo 0: second" and len(out[1]) == 3
    first = ChatServer.requests[0]
    assert first["path"] == "/v1/chat/completions" and first["auth"] == "Bearer sk-test"
    assert {"model", "messages", "n", "temperature", "max_tokens", "seed"} <= set(first["body"])
    assert first["body"]["model"] == "tiny-served" and first["body"]["max_tokens"] == 16


def test_openai_generator_retries_429_then_succeeds(chat_server: str) -> None:
    ChatServer.fail_first = 2
    generator = get_generator("openai:tiny-served", base_url=chat_server, backoff=0.01)
    assert generator.generate([MESSAGES]) == [["echo 0: Write code: print(1)"]]
    assert len(ChatServer.requests) == 3


def test_openai_generator_gives_up_with_one_line(chat_server: str) -> None:
    ChatServer.fail_first = 10
    generator = get_generator("openai:tiny-served", base_url=chat_server, backoff=0.01, max_retries=2)
    with pytest.raises(AfterburnerError, match="after 3 attempts"):
        generator.generate([MESSAGES])
    ChatServer.fail_first = 0
    with pytest.raises(AfterburnerError, match="HTTP 400"):
        get_generator("openai:broken", base_url=chat_server, max_retries=0).generate([MESSAGES])


def test_openai_generator_retries_connection_errors() -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    generator = get_generator(
        "openai:m", base_url=f"http://127.0.0.1:{port}/v1", backoff=0.01, max_retries=1, timeout=2
    )
    with pytest.raises(AfterburnerError, match="ConnectError"):
        generator.generate([MESSAGES])
