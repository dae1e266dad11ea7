"""The whole Litmus evaluation as one call: samples in, an `Evaluation` out.

Used by `afterburner evaluate` / `demo`, by the benchmarks and by library users alike: which
samples can run here, the problems they name, the human distribution (from the content-keyed
calibration, or measured next to the samples with `paired`), the samples' runs (with drift
anchors: litmus/drift.py), the scores, and the meta that says how the numbers were made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from afterburner_core import venus
from afterburner_core.datasets import get_problem
from afterburner_core.errors import AfterburnerError
from afterburner_core.host import host_fingerprint
from afterburner_core.litmus.drift import Anchor, Drift, choose_anchors, measure_drift, rescale
from afterburner_core.litmus.evaluate import TIME_BASES, Evaluation, Sample, evaluate_records, sample_requests, score
from afterburner_core.litmus.humans import human_distribution
from afterburner_core.litmus.nearby import measure_nearby
from afterburner_core.litmus.paired import measure_paired
from afterburner_core.litmus.percentile import NOISE_FLOOR, SPEED_NOISE_FLOOR
from afterburner_core.models import Limits, Problem, RunReport
from afterburner_core.plugins import get_registry
from afterburner_core.sandbox.api import Request, Sandbox
from afterburner_core.sandbox.scheduling.rounds import run_together

MAX_NOISE_FLOOR = 0.5  # a host noisier than this is not measuring anything; the floor stops growing there
# stage name, done, total (total None while unknown)
Progress = Callable[[str, int, int | None], None]


PAIRINGS = ("near", "all", "calibration")


@dataclass
class Settings:
    """How an evaluation measures: `repeat` runs per sample (interleaved rounds unless 'auto'); the
    `pairing` of samples and humans -- `near` (default: the humans near a sample re-measured in its
    rounds, the rest from the calibration: litmus/nearby.py), `all` (every human re-measured there)
    or `calibration` (none re-measured; with `anchor`, one calibrated human per sampled problem and
    language re-measured to correct the calibration for host drift: litmus/drift.py); the time basis
    (`cpu` or `wall`), the noise floors of the comparisons (memory; time and integral), the limits."""

    repeat: int | str = 3
    pairing: str = "near"
    anchor: bool = True
    time_basis: str = "cpu"
    noise: float = NOISE_FLOOR
    speed_noise: float = SPEED_NOISE_FLOOR
    limits: Limits | None = None
    human_repeat: int | str = 3


def run_evaluation(
    samples: list[Sample],
    dataset: str = "venus-mini",
    settings: Settings | None = None,
    sandbox: Sandbox | None = None,
    progress: Progress | None = None,
) -> Evaluation:
    settings = settings or Settings()
    if settings.time_basis not in TIME_BASES:
        raise AfterburnerError(f"unknown time basis {settings.time_basis!r} (one of: {', '.join(TIME_BASES)})")
    if settings.pairing not in PAIRINGS:
        raise AfterburnerError(f"unknown pairing {settings.pairing!r} (one of: {', '.join(PAIRINGS)})")
    if settings.pairing != "calibration" and settings.repeat == "auto":
        raise AfterburnerError(
            f"--pairing {settings.pairing} takes a number of rounds (--repeat N), not 'auto' "
            "(repeats as each request needs are for --pairing calibration)"
        )
    report = progress or (lambda stage, done, total: None)
    registry = get_registry()
    by_language: dict[str, list[Sample]] = {}
    for sample in samples:
        by_language.setdefault(registry.resolve_language(sample.language).key, []).append(sample)
    ready, skipped = venus.available_languages(sorted(by_language))
    samples = [s for lang in ready for s in by_language[lang]]
    if not samples:
        raise AfterburnerError("no sample can run here: " + "; ".join(f"{k}: {v}" for k, v in skipped.items()))
    problems = {s.problem_id: get_problem(s.problem_id, dataset) for s in samples}
    problems = {**problems, **{str(p.problem_id): p for p in problems.values()}}
    for sample in samples:  # titles and ids both work in samples files
        sample.problem_id = str(problems[sample.problem_id].problem_id)
    sandbox = sandbox or Sandbox()
    limits = settings.limits or Limits()
    drift: Drift | None = None
    pairing: dict[str, object] = {}
    if settings.pairing == "near":
        nearby = measure_nearby(
            samples,
            problems,
            dataset,
            sandbox,
            int(settings.repeat),
            limits,
            TIME_BASES[settings.time_basis],
            report,
        )
        humans, reports, drift, pairing = nearby.humans, nearby.reports, nearby.drift, nearby.meta
    elif settings.pairing == "all":
        humans, reports = measure_paired(
            samples,
            problems,
            sandbox,
            int(settings.repeat),
            limits,
            lambda done, total: report("humans and samples, paired", done, total),
        )
    else:
        measured = [0]

        def human_done(job: object, run: object) -> None:
            measured[0] += 1
            report("human distribution", measured[0], None)

        humans = human_distribution(
            dataset,
            {str(p.problem_id): p for p in problems.values()}.values(),
            ready,
            sandbox=sandbox,
            repeat=settings.human_repeat,
            limits=limits,
            progress=human_done,
        )
        groups = sorted({(s.problem_id, registry.resolve_language(s.language).key) for s in samples})
        anchors = choose_anchors(dataset, [(problems[pid], lang) for pid, lang in groups]) if settings.anchor else []
        reports, anchor_reports = _measure(
            samples,
            anchors,
            problems,
            sandbox,
            settings.repeat,
            limits,
            lambda done, total: report("samples", done, total),
        )
        if anchors:
            drift = measure_drift(anchors, anchor_reports)
            humans = rescale(humans, drift)
    # time and integral comparisons are no more certain than one program measured in two runs on
    # this host (at least `speed_noise`; more when the re-measured humans -- anchors or near ones --
    # scatter more against their calibration today); memory does not move with host speed
    moved = settings.speed_noise
    if drift is not None and drift.noise:
        moved = max(settings.speed_noise, min(drift.noise, MAX_NOISE_FLOOR))
    noise = {"time": moved, "memory": settings.noise, "integral": moved}
    records = score(samples, reports, humans, noise=noise, time_basis=settings.time_basis)
    return evaluate_records(
        records,
        meta={
            "dataset": dataset,
            "host_fingerprint": host_fingerprint(),
            "repeat": settings.repeat,
            "pairing": settings.pairing,
            **({"nearby": pairing} if pairing else {}),
            "drift": drift.meta() if drift else None,
            "time_basis": settings.time_basis,
            "noise_floor": noise,
            "human_distribution": ", ".join(sorted(set(humans.source.values()))) or "none",
            "calibration": humans.calibration or None,
            "skipped_languages": skipped,
        },
    )


def _measure(
    samples: list[Sample],
    anchors: list[Anchor],
    problems: dict[str, Problem],
    sandbox: Sandbox,
    repeat: int | str,
    limits: Limits,
    progress: Callable[[int, int], None],
) -> tuple[list[RunReport], list[RunReport]]:
    """The samples' and the anchors' reports, measured together (a slow spell of the host then
    lands on every request alike)."""
    requests: list[Request] = [
        *sample_requests(samples, problems, repeat, limits),
        *(anchor.request(limits, repeat) for anchor in anchors),
    ]
    reports = run_together(sandbox, requests, repeat, progress)
    return reports[: len(samples)], reports[len(samples) :]
