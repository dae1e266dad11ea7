"""`afterburner evaluate` (Litmus on a samples file) and `afterburner demo` (the quick start's job)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from afterburner_core import venus
from afterburner_core.cli.common import build_limits, parse_repeat
from afterburner_core.cli.output import console, print_json
from afterburner_core.datasets import DATA_DIR, get_problem
from afterburner_core.errors import AfterburnerError
from afterburner_core.host import host_fingerprint
from afterburner_core.litmus.evaluate import Evaluation, Sample, evaluate_records, read_samples, run_samples, score
from afterburner_core.litmus.humans import human_distribution
from afterburner_core.litmus.paired import measure_paired
from afterburner_core.litmus.report import litmus_table, write_report
from afterburner_core.plugins import get_manager
from afterburner_core.sandbox.api import Sandbox

DEMO_SAMPLES = DATA_DIR / "demo_samples.jsonl"


def _evaluate(samples: list[Sample], dataset: str, repeat: int | str, out: Path | None,
              as_json: bool, title: str, paired: bool = False, timeout: float | None = None) -> Evaluation:
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
    sandbox = Sandbox()
    limits = build_limits(timeout, None)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, disable=as_json or not console.is_terminal) as progress:
        if paired:
            task = progress.add_task("humans and samples, paired", total=None)
            humans, reports = measure_paired(
                samples, problems, sandbox, int(repeat), limits,
                lambda done, total: progress.update(task, completed=done, total=total),
            )
        else:
            humans_task = progress.add_task("human distribution", total=None)
            humans = human_distribution(
                dataset, {str(p.problem_id): p for p in problems.values()}.values(), ready, sandbox=sandbox,
                limits=limits, progress=lambda job, report: progress.advance(humans_task),
            )
            progress.update(humans_task, total=1, completed=1)
            task = progress.add_task("samples", total=len(samples))
            reports = run_samples(samples, {s.problem_id: problems[s.problem_id] for s in samples}, sandbox, repeat,
                                  limits, lambda sample, report: progress.advance(task))
    records = score(samples, reports, humans)
    sources = sorted(set(humans.source.values()))
    evaluation = evaluate_records(records, meta={
        "dataset": dataset, "host_fingerprint": host_fingerprint(), "repeat": repeat, "paired": paired,
        "human_distribution": ", ".join(sources) or "none", "skipped_languages": skipped,
    })
    written = write_report(evaluation, out) if out else []
    if as_json:
        print_json({**evaluation.to_json(), "files": [str(p) for p in written]})
    else:
        console.print(litmus_table(evaluation, title))
        for name, reason in skipped.items():
            console.print(f"[yellow]skipped {name}[/yellow]: {reason}")
        if written:
            console.print(f"report: {', '.join(str(p) for p in written)}")
    return evaluation


def evaluate(
    samples: Path = typer.Option(..., "--samples", help="JSONL rows {problem_id, language, code}"),
    dataset: str = typer.Option("venus-mini", "--dataset", "-d"),
    language: list[str] | None = typer.Option(None, "--language", "-l", help="only these languages"),
    repeat: str | None = typer.Option(
        None, "--repeat", help="N or 'auto' (default 1); with --paired, N interleaved rounds (default 3)"),
    paired: bool = typer.Option(
        False, "--paired", help="re-measure the sampled problems' humans in the same interleaved rounds as the "
        "samples, instead of using the calibration: immune to host drift, costs the humans' runs"),
    out: Path | None = typer.Option(None, "--out", help="write report.json, report.md and PNG plots here"),
    timeout: float | None = typer.Option(
        None, "--timeout", help="wall limit per test, seconds (default: each problem's own, else 10)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Pass@1, Time%, Memory%, Integral% against this host's human distribution, with 95 % CIs."""
    rows = read_samples(samples)
    if language:
        manager = get_manager()
        wanted = {manager.resolve_language(name).key for name in language}
        rows = [r for r in rows if manager.resolve_language(r.language).key in wanted]
    runs = parse_repeat(repeat or ("3" if paired else "1"))
    if paired and runs == "auto":
        raise AfterburnerError("--paired takes a number of rounds (--repeat N), not 'auto'")
    _evaluate(rows, dataset, runs, out, as_json, f"Litmus: {samples.name}", paired, timeout)


def demo(
    out: Path = typer.Option(Path("afterburner-demo"), "--out", help="where the report goes"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The quick start's main job: Litmus on bundled example model outputs, in every available language.

    Measures the human distribution of the demo problems on this host (cached after the first run),
    runs the example outputs, prints the table and writes the report.
    """
    samples = read_samples(DEMO_SAMPLES)
    if not as_json:
        console.print(f"[bold]Afterburner demo[/bold]: {len(samples)} example model outputs on "
                      f"{len({s.problem_id for s in samples})} venus-mini problems; humans measured on this host")
    _evaluate(samples, "venus-mini", 1, out, as_json, "Litmus: bundled example outputs vs. humans (%)")
