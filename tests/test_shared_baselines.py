"""SharedBaselines: one run per baseline among concurrent callers, reuse within the TTL, failures
never kept. The runs here are recorded, not executed: what is under test is the cache."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from afterburner_core.datasets import get_problem
from afterburner_core.models import CompileInfo, ProblemRunRequest, RunReport, Verdict
from afterburner_core.rewards.baselines import SharedBaselines


def request(code: str = "print(1)\n") -> ProblemRunRequest:
    return ProblemRunRequest(problem=get_problem("9001"), code=code, language="python")


def report(verdict: Verdict = Verdict.accepted) -> RunReport:
    return RunReport(
        verdict=verdict,
        passed=verdict == Verdict.accepted,
        language="python",
        compile=CompileInfo(ok=True),
        time_ms=10.0,
    )


def test_a_claim_in_flight_or_fresh_is_shared_and_expires_after_the_ttl() -> None:
    shared = SharedBaselines(ttl_s=0.2)
    first, second = shared.claim(request()), shared.claim(request())
    assert first.owned and not second.owned and second.future is first.future
    assert shared.claim(request("print(2)\n")).owned  # another code: another run
    shared.fulfil(first, report())
    assert second.future.result(timeout=1).passed
    assert not shared.claim(request()).owned  # fresh: reused
    time.sleep(0.3)
    assert shared.claim(request()).owned  # expired: measured again
    assert (shared.runs, shared.reused) == (3, 2)


@pytest.mark.parametrize("outcome", ["sandbox_error", "exception"])
def test_failed_runs_reach_the_waiters_and_are_not_kept(outcome: str) -> None:
    shared = SharedBaselines(ttl_s=60)
    owner, waiter = shared.claim(request()), shared.claim(request())
    if outcome == "sandbox_error":
        shared.fulfil(owner, report(Verdict.sandbox_error))
        assert waiter.future.result(timeout=1).verdict == Verdict.sandbox_error
    else:
        shared.fail(owner, RuntimeError("actor died"))
        with pytest.raises(RuntimeError, match="actor died"):
            waiter.future.result(timeout=1)
    assert shared.claim(request()).owned


def test_old_reports_are_dropped_beyond_max_entries_but_runs_in_flight_are_kept() -> None:
    shared = SharedBaselines(ttl_s=60, max_entries=2)
    in_flight = shared.claim(request("a = 0\n"))
    for i in range(1, 4):
        shared.fulfil(shared.claim(request(f"a = {i}\n")), report())
    assert not shared.claim(request("a = 0\n")).owned and not shared.claim(request("a = 3\n")).owned
    assert shared.claim(request("a = 1\n")).owned
    shared.fulfil(in_flight, report())


def test_concurrent_calls_run_each_baseline_once_next_to_a_candidate() -> None:
    shared = SharedBaselines(ttl_s=60)
    batches: list[list[str]] = []
    lock = threading.Lock()
    started = threading.Barrier(8)

    def run_many(requests: list[ProblemRunRequest]) -> list[RunReport]:
        with lock:
            batches.append([r.code for r in requests])
        time.sleep(0.05)  # a run takes a while: the others arrive while it is in flight
        return [report() for _ in requests]

    def call(i: int) -> tuple[list[RunReport], list[RunReport]]:
        started.wait()
        return shared.run([request(f"candidate = {i}\n")], [request("baseline = 1\n")], run_many)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(call, range(8)))
    assert all(len(c) == 1 and len(b) == 1 and b[0].passed for c, b in results)
    assert sum(batch.count("baseline = 1\n") for batch in batches) == 1
    assert sorted(code for batch in batches for code in batch if code.startswith("candidate")) == sorted(
        f"candidate = {i}\n" for i in range(8)
    )
