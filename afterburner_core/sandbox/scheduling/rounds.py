"""Interleaved repeats: a batch's N repeats taken as N rounds over the whole batch.

On a shared machine the host's speed drifts: on the CI machine here a fast C++ solution measured
17 ms, 22 ms and 25 ms in consecutive seconds, with CPU time tracking wall time (the core itself
ran slower, nothing preempted it). Back-to-back repeats all land in the same slow spell, so a
median over them cannot reject it, and whichever request happened to run then is penalised. Taking
the repeats in rounds (request 1..n once, then again, ...) spreads a slow spell over every request
of the batch, and a median over rounds seconds apart rejects it. Comparisons between requests of
one batch (a sample against the human solutions of its problem) are then made under the same
conditions, which is what `afterburner evaluate --paired` relies on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from afterburner_core.models import Interval, RunReport
from afterburner_core.sandbox.api import Request, run_concurrently
from afterburner_core.sandbox.measurement import stats


def run_in_rounds(
    sandbox: Any,
    requests: Sequence[Request],
    rounds: int,
    on_done: Callable[[int, RunReport], None] | None = None,
) -> list[RunReport]:
    """Run every request `rounds` times, one run per round, and merge each request's runs.

    A request that fails in any round is not run again and reports that failure (a flaky failure is
    still a failure). Each round starts at a different place in the batch, so no request is always
    the first or the last. `on_done(index, report)` is called once per request, with its merged
    report, when its last round is done. The requests' own `repeat` is replaced by one run a round.
    """
    if rounds < 1:
        raise ValueError("rounds must be at least 1")
    single = [request.model_copy(update={"repeat": 1}) for request in requests]
    runs: list[list[RunReport]] = [[] for _ in single]
    merged: list[RunReport | None] = [None] * len(single)
    live = list(range(len(single)))
    for round_number in range(rounds):
        shift = (round_number * len(live)) // rounds
        order = live[shift:] + live[:shift]
        last = round_number == rounds - 1

        def finished(position: int, report: RunReport, order: list[int] = order, last: bool = last) -> None:
            index = order[position]
            runs[index].append(report)
            if last or not report.passed:  # this request is done: merge its runs once
                merged[index] = done = merge_runs(runs[index])
                if on_done is not None:
                    on_done(index, done)

        run_concurrently(sandbox, [single[i] for i in order], finished)
        live = [i for i in live if runs[i][-1].passed]
    return cast(list[RunReport], merged)  # every request ends by failing or in the last round


def run_together(
    sandbox: Any,
    requests: Sequence[Request],
    repeat: int | str,
    progress: Callable[[int, int], None] | None = None,
) -> list[RunReport]:
    """Requests measured side by side: `repeat` interleaved rounds, or, with ``repeat='auto'``,
    each request repeated as it needs. `progress(done, total)` counts requests as they finish."""
    done: list[int] = []  # appended from worker threads: list.append is atomic

    def count(index: int, report: RunReport) -> None:
        done.append(index)
        if progress is not None:
            progress(len(done), len(requests))

    if isinstance(repeat, int):
        return run_in_rounds(sandbox, requests, repeat, count)
    return run_concurrently(sandbox, [request.model_copy(update={"repeat": repeat}) for request in requests], count)


def merge_runs(reports: Sequence[RunReport]) -> RunReport:
    """One report for a request run several times: medians and 95 % intervals over the runs.

    The first failing run, if any, is the report (its verdict and failing test); otherwise the first
    run carries the verdict and the metrics are summarised as the engine summarises repeats.
    """
    if not reports:
        raise ValueError("no reports to merge")
    failed = next((r for r in reports if not r.passed), None)
    if failed is not None:
        return failed
    merged = reports[0].model_copy(deep=True)
    merged.repeats = sum(r.repeats for r in reports)
    merged.samples = sum(r.samples for r in reports)
    measured = [r for r in reports if r.time_ms is not None]
    if measured:
        medians, intervals, merged.instructions = stats.summarise(measured)
        for name, value in medians.items():
            setattr(merged, name, value)
        merged.ci = Interval(**intervals)
    return merged


__all__ = ["merge_runs", "run_in_rounds", "run_together"]
