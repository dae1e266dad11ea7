"""Baseline runs shared between concurrent reward calls that score one completion at a time.

verl's reward loop calls ``compute_score`` once per sample (concurrently, from threads or as
tasks) and OpenRLHF POSTs one rollout per request, so the 32 rollouts of one prompt arrive as 32
calls that all need the same baseline (the code being improved). Measuring it 32 times would
double the sandbox's work; measuring it once per process would compare candidates with a number
taken under a different load. The middle way: the first call that needs a baseline runs it next to
its candidate, calls that need it meanwhile wait for that run, and later calls reuse the report
for ``ttl_s`` seconds (about one GRPO step), after which it is measured again. ``ttl_s = 0``
turns sharing off except between calls in flight at the same time.

Failed runs are not kept: an exception or a ``sandbox_error`` report reaches the calls that were
waiting for it, and the next call measures again.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from afterburner_core.models import ProblemRunRequest, RunReport, Verdict

DEFAULT_TTL_S = 120.0
DEFAULT_MAX_ENTRIES = 4096


def baseline_key(request: ProblemRunRequest) -> Hashable:
    """Runs are interchangeable when problem, language, code, limits and repeats are the same."""
    problem = request.problem
    return (
        str(problem.problem_id),
        problem.title,
        request.language,
        request.code,
        request.limits.model_dump_json(),
        str(request.repeat),
    )


@dataclass
class Claim:
    """A baseline a caller needs: ``owned`` means this caller must run it and `fulfil` / `fail` it."""

    key: Hashable
    future: Future
    owned: bool


@dataclass
class _Entry:
    future: Future
    finished: float | None = None  # monotonic time the run ended; None while in flight


class SharedBaselines:
    """A single-flight cache of baseline reports with a time to live (see the module docstring)."""

    def __init__(self, ttl_s: float = DEFAULT_TTL_S, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if ttl_s < 0:
            raise ValueError("ttl_s must be 0 or more")
        self.ttl_s = ttl_s
        self.max_entries = max(1, max_entries)
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self.runs = 0  # baselines this cache asked callers to run
        self.reused = 0  # claims answered by a run in flight or a fresh report

    def claim(self, request: ProblemRunRequest) -> Claim:
        key = baseline_key(request)
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and (entry.finished is None or now - entry.finished <= self.ttl_s):
                self.reused += 1
                return Claim(key, entry.future, owned=False)
            future: Future = Future()
            self._entries[key] = _Entry(future)
            self._entries.move_to_end(key)
            self.runs += 1
            self._evict(now)
            return Claim(key, future, owned=True)

    def fulfil(self, claim: Claim, report: RunReport) -> None:
        with self._lock:
            entry = self._entries.get(claim.key)
            if entry is not None and entry.future is claim.future:
                if report.verdict == Verdict.sandbox_error:
                    del self._entries[claim.key]
                else:
                    entry.finished = time.monotonic()
        claim.future.set_result(report)

    def fail(self, claim: Claim, error: BaseException) -> None:
        """The run failed, or its owner will not run it after all: waiters get `error`, nothing is kept."""
        self._forget(claim)
        claim.future.set_exception(error)

    def _forget(self, claim: Claim) -> None:
        with self._lock:
            entry = self._entries.get(claim.key)
            if entry is not None and entry.future is claim.future:
                del self._entries[claim.key]

    def _evict(self, now: float) -> None:
        """Drop expired reports, then the oldest finished ones beyond `max_entries` (never one in flight)."""
        for key in [k for k, e in self._entries.items() if e.finished is not None and now - e.finished > self.ttl_s]:
            del self._entries[key]
        excess = len(self._entries) - self.max_entries
        for key in [k for k, e in self._entries.items() if e.finished is not None][: max(0, excess)]:
            del self._entries[key]

    # -- the blocking path (verl) -------------------------------------------------------------------

    def run(
        self,
        candidates: Sequence[ProblemRunRequest],
        baselines: Sequence[ProblemRunRequest],
        run_many: Callable[[list[ProblemRunRequest]], list[RunReport]],
    ) -> tuple[list[RunReport], list[RunReport]]:
        """Run `candidates` and the baselines this call owns in one batch; wait for the others.

        Returns (candidate reports, baseline reports) in the order given. Waiting for a baseline
        another call is running needs no timeout of its own: its owner resolves the future whatever
        happens (report or exception), as soon as its own batch returns."""
        claims = [self.claim(request) for request in baselines]
        owned = [(claim, request) for claim, request in zip(claims, baselines, strict=True) if claim.owned]
        try:
            reports = run_many(list(candidates) + [request for _, request in owned]) if candidates or owned else []
        except BaseException as error:
            for claim, _ in owned:
                self.fail(claim, error)
            raise
        k = len(candidates)
        for (claim, _), report in zip(owned, reports[k:], strict=True):
            self.fulfil(claim, report)
        return list(reports[:k]), [claim.future.result() for claim in claims]
