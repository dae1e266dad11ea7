"""The HTTP execution service and its client, against a real uvicorn server on 127.0.0.1.

Every endpoint runs real programs (Python, C++) through the local sandbox; back-pressure uses
real sleepers on a deliberately tiny queue.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

import uvicorn  # noqa: E402

from afterburner_core.datasets import get_problem  # noqa: E402
from afterburner_core.errors import SandboxError  # noqa: E402
from afterburner_core.models import ExecutionRequest, Limits, ProblemRunRequest, RunReport  # noqa: E402
from afterburner_core.rewards.trl import trl_reward  # noqa: E402
from afterburner_core.server.app import create_app  # noqa: E402
from afterburner_core.server.client import AfterburnerClient, ServerError  # noqa: E402
from tests.helpers import REPO, require_language, run_cli  # noqa: E402

TOKEN = "test-token-123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PROBLEM = "count-pairs-with-sum"
SLEEPER = "import time\ntime.sleep({s})\nprint('slept')\n"
CPP = """#include <iostream>
int main() { long a, b; std::cin >> a >> b; std::cout << a * b << std::endl; return 0; }
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(app=None, **options) -> Iterator[str]:
    """A real uvicorn server on loopback in a background thread; yields its base URL."""
    app = app if app is not None else create_app(**options)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    require_language("python")
    with serving(parallel=1, queue_size=8, token=TOKEN, max_body_bytes=64 * 1024) as url:
        yield url


@pytest.fixture(scope="module")
def client(base: str) -> Iterator[AfterburnerClient]:
    with AfterburnerClient(base, token=TOKEN, retries=2, backoff=0.05) as c:
        yield c


def _solution(label_part: str) -> str:
    return next(s.code for s in get_problem(PROBLEM).solutions["python"] if label_part in s.label)


# -- endpoints ----------------------------------------------------------------------------------------


def test_health_is_open_and_status_reports_the_pool(base: str) -> None:
    health = httpx.get(f"{base}/health")
    assert health.status_code == 200 and health.json()["ok"] is True
    status = httpx.get(f"{base}/status", headers=AUTH).json()
    assert status["backend"] == "local" and status["parallel"] == 1 and status["queue_size"] == 8
    assert status["capacity"] == 9 and status["max_batch"] == 9
    assert status["busy_workers"] + status["idle_workers"] == 1
    assert {"queue_depth", "cores", "served", "rejected", "in_flight"} <= set(status)
    assert httpx.get(f"{base}/openapi.json").json()["paths"].keys() >= {"/execute", "/run", "/batch", "/status"}


def test_execute_python_monolith_shape(base: str) -> None:
    body = {
        "code": "import sys\nprint(sys.stdin.read().upper(), end='')\n",
        "language": "python",
        "stdin": "hello\n",
        "timeout": 5,
        "memory_mb": 256,
        "run_profiling": True,
    }
    response = httpx.post(f"{base}/execute", json=body, headers=AUTH, timeout=60)
    assert response.status_code == 200, response.text
    report = RunReport.model_validate(response.json())
    assert report.verdict == "accepted" and report.stdout == "HELLO\n"
    assert report.time_ms is not None and report.memory_kb and report.integral_kb_ms is not None
    assert report.backend == "local" and report.repeats == 1


def test_execute_cpp_and_runtime_verdicts(client: AfterburnerClient) -> None:
    require_language("cpp")
    report = client.execute(CPP, "c++", stdin="6 7\n", timeout=5)
    assert report.verdict == "accepted" and report.stdout.strip() == "42" and report.language == "cpp"
    assert report.compile.ok
    crash = client.execute("import sys\nsys.exit(3)\n", "python")
    assert crash.verdict == "runtime_error" and crash.exit_code == 3
    slow = client.execute(SLEEPER.format(s=5), "python", timeout=0.5)
    assert slow.verdict == "time_limit"


def test_run_by_problem_id_and_inline(base: str, client: AfterburnerClient) -> None:
    body = {
        "problem_id": PROBLEM,
        "dataset": "venus-mini",
        "language": "python3",
        "code": _solution("Counter"),
        "repeat": 1,
        "timeout": 10,
    }
    response = httpx.post(f"{base}/run", json=body, headers=AUTH, timeout=120)
    assert response.status_code == 200, response.text
    report = RunReport.model_validate(response.json())
    assert report.verdict == "accepted" and report.tests_passed == report.tests_total > 0
    wrong = client.run(_solution("WRONG"), "python", problem_id=PROBLEM)
    assert wrong.verdict == "wrong_answer" and wrong.failing_test is not None
    problem = get_problem(PROBLEM)
    inline = client.run(
        ProblemRunRequest(problem=problem, code=_solution("Counter"), language="python", tests=problem.test_cases[:3])
    )
    assert inline.verdict == "accepted" and inline.tests_total == 3
    missing = httpx.post(f"{base}/run", json={**body, "problem_id": "no-such-problem"}, headers=AUTH)
    assert missing.status_code == 404 and "no-such-problem" in missing.json()["error"]
    foreign = httpx.post(f"{base}/run", json={**body, "dataset": "/etc"}, headers=AUTH)
    assert foreign.status_code == 400 and "not served here" in foreign.json()["error"]


def test_batch_mixes_items_and_keeps_order(base: str, client: AfterburnerClient) -> None:
    items = [
        {"code": "print(1)", "language": "python"},
        {"problem_id": PROBLEM, "language": "python", "code": _solution("WRONG")},
        {"kind": "execute", "code": "print(input())", "language": "python", "stdin": "three\n"},
        {"problem_id": PROBLEM, "language": "python", "code": _solution("Counter")},
    ]
    response = httpx.post(f"{base}/batch", json={"items": items}, headers=AUTH, timeout=120)
    assert response.status_code == 200, response.text
    reports = [RunReport.model_validate(r) for r in response.json()]
    assert [r.verdict for r in reports] == ["accepted", "wrong_answer", "accepted", "accepted"]
    assert reports[0].stdout == "1\n" and reports[2].stdout == "three\n"
    assert httpx.post(f"{base}/batch", json={"items": []}, headers=AUTH).json() == []
    over = httpx.post(f"{base}/batch", json={"items": [items[0]] * 10}, headers=AUTH)
    assert over.status_code == 413 and "capacity of 9" in over.json()["error"]
    bad = httpx.post(f"{base}/batch", json={"items": [items[0], {"code": "x", "language": "cobol"}]}, headers=AUTH)
    assert bad.status_code == 400 and bad.json()["error"].startswith("items[1]: unknown language 'cobol'")
    # the client: typed requests, same order
    typed = client.batch(
        [ExecutionRequest(code="print(5)", language="python"), ExecutionRequest(code="print(6)", language="python")]
    )
    assert [r.stdout for r in typed] == ["5\n", "6\n"]


# -- refusals ------------------------------------------------------------------------------------------


def test_bearer_token(base: str) -> None:
    body = {"code": "print(1)", "language": "python"}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        response = httpx.post(f"{base}/execute", json=body, headers=headers)
        assert response.status_code == 401 and "bearer token" in response.json()["error"]
        assert response.headers["www-authenticate"] == "Bearer"
    assert httpx.get(f"{base}/status").status_code == 401
    with AfterburnerClient(base, token="wrong", retries=0) as bad, pytest.raises(ServerError) as error:
        bad.execute("print(1)", "python")
    assert error.value.status == 401


def test_body_limit_is_enforced_while_reading(base: str) -> None:
    big = {"code": "#" * (100 * 1024), "language": "python"}
    response = httpx.post(f"{base}/execute", json=big, headers=AUTH)
    assert response.status_code == 413 and "exceeds the limit of 65536 bytes" in response.json()["error"]

    def chunks():  # no Content-Length: the limit must trip while the body streams in
        yield b'{"code": "'
        for _ in range(200):
            yield b"#" * 1024

    streamed = httpx.post(f"{base}/execute", content=chunks(), headers={**AUTH, "content-type": "application/json"})
    assert streamed.status_code == 413 and "exceeds the limit" in streamed.json()["error"]


@pytest.mark.parametrize(
    ("content", "status", "fragment"),
    [
        (b'{"code": "print(1)", "language": ', 422, "malformed JSON"),
        (b"[1, 2]", 422, "invalid request"),
        (b'{"language": "python"}', 422, "code: Field required"),
        (b'{"code": "x", "language": "python", "colour": "red"}', 422, "colour: Extra inputs are not permitted"),
        (b'{"code": "x", "language": "python", "timeout": -1}', 422, "timeout"),
        (b'{"code": "x", "language": "python", "repeat": 0}', 422, "repeat must be between 1 and 1000"),
        (b'{"code": "x", "language": "cobol"}', 400, "unknown language 'cobol'"),
        (b'{"code": "x", "language": "python", "libraries": ["numpy"]}', 400, "comes with its dependencies"),
    ],
)
def test_bad_requests_get_one_line_json_errors(base: str, content: bytes, status: int, fragment: str) -> None:
    response = httpx.post(f"{base}/execute", content=content, headers={**AUTH, "content-type": "application/json"})
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert fragment in error and "\n" not in error and "Traceback" not in error


def test_client_raises_the_servers_one_line_message(client: AfterburnerClient) -> None:
    with pytest.raises(ServerError, match="unknown language 'cobol'") as error:
        client.execute("x", "cobol")
    assert error.value.status == 400


# -- back-pressure, retries, failures ------------------------------------------------------------------


def test_back_pressure_every_request_answered_none_lost() -> None:
    require_language("python")
    with serving(parallel=1, queue_size=1) as url:

        def post(i: int) -> httpx.Response:
            return httpx.post(
                f"{url}/execute",
                json={"code": SLEEPER.format(s=0.6) + f"print({i})", "language": "python", "timeout": 10},
                timeout=60,
            )

        with ThreadPoolExecutor(max_workers=6) as pool:
            responses = list(pool.map(post, range(6)))
        ok = [(i, r) for i, r in enumerate(responses) if r.status_code == 200]
        refused = [r for r in responses if r.status_code == 429]
        assert len(ok) + len(refused) == 6 and 1 <= len(ok) <= 2 and refused
        for i, response in ok:  # each admitted request got its own report
            assert response.json()["verdict"] == "accepted" and response.json()["stdout"] == f"slept\n{i}\n"
        for response in refused:
            assert int(response.headers["retry-after"]) >= 1 and "queue full" in response.json()["error"]
        status = httpx.get(f"{url}/status").json()
        assert status["served"] == len(ok) and status["rejected"] == len(refused)
        assert status["in_flight"] == 0 and status["queue_depth"] == 0 and status["busy_workers"] == 0


def test_client_retries_429_honouring_retry_after_and_run_many() -> None:
    require_language("python")
    with serving(parallel=1, queue_size=0) as url, AfterburnerClient(url, retries=0, queue_timeout=30) as client:
        with ThreadPoolExecutor(max_workers=1) as pool:
            blocker = pool.submit(
                httpx.post, f"{url}/execute", json={"code": SLEEPER.format(s=1.0), "language": "python"}, timeout=60
            )
            deadline = time.monotonic() + 10
            while httpx.get(f"{url}/status").json()["in_flight"] == 0:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            started = time.monotonic()
            report = client.execute("print('after')", "python")  # 429 first (retries=0 counts no 429s)
            waited = time.monotonic() - started
            assert blocker.result().status_code == 200
        assert report.verdict == "accepted" and report.stdout == "after\n"
        status = client.status()
        assert status["rejected"] >= 1 and status["served"] == 2 and waited >= 0.9  # slept Retry-After (>= 1 s)
        # run_many: the Sandbox-shaped entry point (order kept, capacity respected)
        assert client.parallel == 1
        reports = client.run_many([ExecutionRequest(code=f"print({i})", language="python") for i in range(3)])
        assert [r.stdout for r in reports] == ["0\n", "1\n", "2\n"]


def test_client_gives_up_on_an_unreachable_server() -> None:
    port = _free_port()  # nothing listens there
    with AfterburnerClient(f"http://127.0.0.1:{port}", retries=2, backoff=0.01, timeout=2) as client:
        started = time.monotonic()
        with pytest.raises(ServerError, match=r"cannot reach .*gave up after 2 retries") as error:
            client.health()
        assert error.value.status is None and time.monotonic() - started < 5


class _FailingSandbox:
    parallel = 1

    def submit(self, request):
        raise SandboxError("cgroup set-up failed")


def test_sandbox_failure_and_shutdown_answer_503_with_retry_after() -> None:
    with serving(sandbox=_FailingSandbox()) as url:
        response = httpx.post(f"{url}/execute", json={"code": "print(1)", "language": "python"})
        assert response.status_code == 503 and response.headers["retry-after"]
        assert response.json()["error"] == "sandbox failure: cgroup set-up failed"
        batch = httpx.post(f"{url}/batch", json={"items": [{"code": "print(1)", "language": "python"}]})
        assert batch.status_code == 200 and batch.json()[0]["verdict"] == "sandbox_error"
        with AfterburnerClient(url, retries=1, backoff=0.01) as client, pytest.raises(ServerError) as error:
            client.execute("print(1)", "python")
        assert error.value.status == 503
        status = httpx.get(f"{url}/status").json()
        assert status["failed"] == 4 and status["in_flight"] == 0


def test_shutting_down_refuses_with_503() -> None:
    app = create_app(sandbox=_FailingSandbox())
    with serving(app=app) as url:
        app.state.service.closing = True
        response = httpx.post(f"{url}/execute", json={"code": "print(1)", "language": "python"})
        assert response.status_code == 503 and int(response.headers["retry-after"]) >= 1
        assert "shutting down" in response.json()["error"]
        assert httpx.get(f"{url}/health").status_code == 503


# -- the client as the TRL reward's sandbox ---------------------------------------------------------------


def test_client_is_the_sandbox_of_the_trl_reward(client: AfterburnerClient) -> None:
    fast, wrong, baseline = _solution("Counter"), _solution("WRONG"), _solution("sorted copy + bisect")
    fn = trl_reward("afterburner", sandbox=client, limits=Limits(timeout_s=10))
    completions = [f"```python\n{fast}```", f"```python\n{wrong}```"]
    rewards = fn(
        prompts=["p", "p"],
        completions=completions,
        problem_id=[PROBLEM] * 2,
        language=["python"] * 2,
        baseline=[baseline, baseline],
    )
    assert len(rewards) == 2 and rewards[0] > rewards[1]
    assert fn.last_components[0]["pass"] == 0.5 and fn.last_components[1]["pass"] == -1.0


# -- the command ------------------------------------------------------------------------------------------


def test_serve_command_reads_the_token_from_the_environment() -> None:
    port = _free_port()
    script = "import typer; from afterburner_core.cli.serve_cmd import serve; typer.run(serve)"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            script,
            "--port",
            str(port),
            "--parallel",
            "1",
            "--queue-size",
            "3",
            "--log-level",
            "warning",
        ],
        env={**os.environ, "AFTERBURNER_TOKEN": TOKEN},
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        with AfterburnerClient(url, token=TOKEN, retries=40, backoff=0.05, max_backoff=0.2) as client:
            assert client.health()["ok"] is True  # retried until the server listens
            assert client.status()["capacity"] == 1 + 3
            assert client.execute("print(7)", "python").stdout == "7\n"
        assert httpx.get(f"{url}/status").status_code == 401
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "Traceback" not in output


def test_backend_options_from_the_command_line() -> None:
    from afterburner_core.cli.serve_cmd import parse_backend_options

    assert parse_backend_options(["inner=docker", "warm=false", "parallel=2"]) == {
        "inner": "docker",
        "warm": False,
        "parallel": 2,
    }
    result = run_cli("serve", "-o", "no-equals-sign")
    assert result.returncode == 2 and "KEY=VALUE" in result.stderr
    result = run_cli("serve", "--backend", "local", "-o", "nonsense=1", "--port", "1")
    assert result.returncode == 2 and "rejected its options" in result.stderr
