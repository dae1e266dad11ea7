"""The whole Litmus evaluation as one call: samples in, an `Evaluation` out.

Used by `afterburner evaluate` / `demo`, by the benchmarks and by library users alike: which
samples can run here, the problems they name, the human distribution (from the content-keyed
calibration, or measured next to the samples with `paired`), the samples' runs, the scores, and
the meta that says how the numbers were made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from afterburner_core import venus
from afterburner_core.datasets import get_problem
from afterburner_core.errors import AfterburnerError
from afterburner_core.host import host_fingerprint
from afterburner_core.litmus.evaluate import TIME_BASES, Evaluation, Sample, evaluate_records, run_samples, score
from afterburner_core.litmus.humans import human_distribution
from afterburner_core.litmus.paired import measure_paired
from afterburner_core.litmus.percentile import NOISE_FLOOR
from afterburner_core.models import Limits
from afterburner_core.plugins import get_manager
from afterburner_core.sandbox.api import Sandbox

# stage name, done, total (total None while unknown)
Progress = Callable[[str, int, int | None], None]


@dataclass
class Settings:
    """How an evaluation measures: `repeat` runs per sample (with `paired`, shared rounds), the
    time basis (`cpu` or `wall`), the noise floor of the comparisons, the limits."""

    repeat: int | str = 3
    paired: bool = False
    time_basis: str = "cpu"
    noise: float = NOISE_FLOOR
    limits: Limits | None = None
    human_repeat: int | str = 3


def run_evaluation(samples: list[Sample], dataset: str = "venus-mini", settings: Settings | None = None,
                   sandbox: Sandbox | None = None, progress: Progress | None = None) -> Evaluation:
    settings = settings or Settings()
    if settings.time_basis not in TIME_BASES:
        raise AfterburnerError(f"unknown time basis {settings.time_basis!r} (one of: {', '.join(TIME_BASES)})")
    if settings.paired and settings.repeat == "auto":
        raise AfterburnerError("--paired takes a number of rounds (--repeat N), not 'auto'")
    report = progress or (lambda stage, done, total: None)
    manager = get_manager()
    by_language: dict[str, list[Sample]] = {}
    for sample in samples:
        by_language.setdefault(manager.resolve_language(sample.language).key, []).append(sample)
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
    if settings.paired:
        humans, reports = measure_paired(samples, problems, sandbox, int(settings.repeat), limits,
                                         lambda done, total: report("humans and samples, paired", done, total))
    else:
        measured = [0]

        def human_done(job: object, run: object) -> None:
            measured[0] += 1
            report("human distribution", measured[0], None)

        humans = human_distribution(dataset, {str(p.problem_id): p for p in problems.values()}.values(), ready,
                                    sandbox=sandbox, repeat=settings.human_repeat, limits=limits, progress=human_done)
        finished = [0]

        def sample_done(sample: object, run: object) -> None:
            finished[0] += 1
            report("samples", finished[0], len(samples))

        reports = run_samples(samples, {s.problem_id: problems[s.problem_id] for s in samples}, sandbox,
                              settings.repeat, limits, sample_done)
    records = score(samples, reports, humans, noise=settings.noise, time_basis=settings.time_basis)
    return evaluate_records(records, meta={
        "dataset": dataset, "host_fingerprint": host_fingerprint(), "repeat": settings.repeat,
        "paired": settings.paired, "time_basis": settings.time_basis, "noise_floor": settings.noise,
        "human_distribution": ", ".join(sorted(set(humans.source.values()))) or "none",
        "calibration": humans.calibration or None, "skipped_languages": skipped,
    })
