"""Throughput benchmark (scale-out issue): executions per second per language on the local
backend, the docker backend's warm pool and one container per request; the HTTP service under a
flood of concurrent clients.

    python -m benchmarks.throughput [--clients 200] [--per-language 20] > throughput.json

- `local`, `docker_warm`, `docker_container_per_request`: a trivial program per language through
  `Sandbox.execute_many` at the default parallelism, compile cached, exec/s. The per-request mode
  is the docker backend with ``warm=False``: every job starts its own container (create, attach,
  start -- what `docker run` does) and removes it afterwards, as the original system did, but with
  the same hardening and measurement. The three run language by language, side by side, so the
  ratios compare like with like on a noisy machine; `warm_over_per_request` is the ratio.
- `service`: `afterburner serve` (uvicorn, in this process, loopback only) at its default queue; N
  clients post a trivial Python program at once. Every request must end in a report or an explicit
  429/503 (nothing lost, nothing duplicated): we count statuses and check every 200 carries a report
  for *its* program (each program prints its own request number). Latencies: p50 / p99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import sys
import threading
import time

from afterburner_core.models import ExecutionRequest
from afterburner_core.sandbox.api import Sandbox
from tests.corpus import PROGRAMS
from tests.helpers import LANGUAGES


def exec_per_second(sandbox: Sandbox, language: str, count: int) -> float:
    request = ExecutionRequest(code=PROGRAMS[language], language=language, stdin="1 2 3\n")
    sandbox.execute(request)  # compile and calibrate once
    started = time.perf_counter()
    reports = sandbox.execute_many([request] * count)
    elapsed = time.perf_counter() - started
    assert all(r.passed for r in reports), [r.stderr for r in reports if not r.passed][:1]
    return round(count / elapsed, 2)


def backends_side_by_side(count: int, cold_count: int) -> dict[str, dict[str, float]]:
    """exec/s per language on each backend that can run here, measured language by language."""
    sandboxes: dict[str, tuple[Sandbox, int]] = {"local": (Sandbox(), count)}
    try:
        sandboxes["docker_warm"] = (Sandbox("docker"), count)
        sandboxes["docker_container_per_request"] = (Sandbox("docker", warm=False), cold_count)
    except Exception as exc:  # reported, not fatal: the local column still stands
        print(f"throughput: docker columns skipped: {exc}", file=sys.stderr)
    columns: dict[str, dict[str, float]] = {name: {} for name in sandboxes}
    for language in LANGUAGES:
        for name, (sandbox, n) in sandboxes.items():
            if name == "local" and not sandbox.registry.resolve_language(language).toolchain().available:
                continue
            columns[name][language] = exec_per_second(sandbox, language, n)
    if "docker_warm" in columns:
        columns["warm_over_per_request"] = {
            language: round(rate / columns["docker_container_per_request"][language], 1)
            for language, rate in columns["docker_warm"].items()
        }
    for name, (sandbox, _) in sandboxes.items():
        if name != "local":
            sandbox.backend.close()
    return columns


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _flood(url: str, clients: int) -> dict[str, object]:
    import httpx

    async def one(client: httpx.AsyncClient, number: int) -> tuple[int, float, bool]:
        body = {"code": f"print({number})", "language": "python", "timeout": 10}
        started = time.perf_counter()
        response = await client.post(f"{url}/execute", json=body)
        elapsed = time.perf_counter() - started
        own = response.status_code == 200 and response.json().get("stdout", "").strip() == str(number)
        return response.status_code, elapsed, own

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=600, limits=limits) as client:
        results = await asyncio.gather(*(one(client, i) for i in range(clients)))
    statuses: dict[str, int] = {}
    for status, _, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    latencies = sorted(elapsed for _, elapsed, _ in results)
    served = [r for r in results if r[0] == 200]
    return {
        "clients": clients,
        "statuses": statuses,
        "reports_matching_their_request": sum(1 for r in served if r[2]),
        "lost_or_errored": sum(1 for r in results if r[0] not in (200, 429, 503)),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))] * 1000, 1),
    }


def service_flood(clients: int) -> dict[str, object]:
    import uvicorn

    from afterburner_core.server.app import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        return asyncio.run(_flood(f"http://127.0.0.1:{port}", clients))
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--per-language", type=int, default=20)
    parser.add_argument("--per-language-cold", type=int, default=10, help="requests for container-per-request")
    args = parser.parse_args()
    output: dict[str, object] = {"parallel": Sandbox().parallel}
    output["exec_per_s"] = backends_side_by_side(args.per_language, args.per_language_cold)
    output["service"] = service_flood(args.clients)
    json.dump(output, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
