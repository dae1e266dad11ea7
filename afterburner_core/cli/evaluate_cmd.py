"""`afterburner evaluate` (Litmus on a samples file) and `afterburner demo` (the quick start's job)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from afterburner_core.cli.common import build_limits, parse_repeat
from afterburner_core.cli.output import console, print_json
from afterburner_core.datasets import DATA_DIR
from afterburner_core.litmus.evaluate import Evaluation, Sample, read_samples
from afterburner_core.litmus.pipeline import Settings, run_evaluation
from afterburner_core.litmus.report import comparison_lines, litmus_table, write_report
from afterburner_core.plugins import get_registry

DEMO_SAMPLES = DATA_DIR / "demo_samples.jsonl"


def _evaluate(
    samples: list[Sample], dataset: str, settings: Settings, out: Path | None, as_json: bool, title: str
) -> Evaluation:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=as_json or not console.is_terminal,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def advance(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        evaluation = run_evaluation(samples, dataset, settings, progress=advance)
    written = write_report(evaluation, out) if out else []
    if as_json:
        print_json({**evaluation.to_json(), "files": [str(p) for p in written]})
        return evaluation
    console.print(litmus_table(evaluation, title))
    if evaluation.by_tag:
        console.print(litmus_table(evaluation, f"{title}, by model", by="tag"))
        for line in comparison_lines(evaluation):
            console.print(line)
    for name, reason in evaluation.meta["skipped_languages"].items():
        console.print(f"[yellow]skipped {name}[/yellow]: {reason}")
    if written:
        console.print(f"report: {', '.join(str(p) for p in written)}")
    return evaluation


def evaluate(
    samples: Path = typer.Option(..., "--samples", help="JSONL rows {problem_id, language, code}"),
    dataset: str = typer.Option("venus-mini", "--dataset", "-d"),
    language: list[str] | None = typer.Option(None, "--language", "-l", help="only these languages"),
    repeat: str = typer.Option(
        "3",
        "--repeat",
        help="interleaved rounds per sample (medians and intervals); 'auto' only with --pairing calibration",
    ),
    pairing: str = typer.Option(
        "near",
        "--pairing",
        help="which humans are re-measured in the samples' interleaved rounds: near (default: those "
        "within 3x of a sample; the rest from the calibration), all (every human: costs all their "
        "runs), calibration (none: the calibration, corrected for drift by --anchor)",
    ),
    paired: bool = typer.Option(False, "--paired", help="the same as --pairing all"),
    anchor: bool = typer.Option(
        True,
        "--anchor/--no-anchor",
        help="with --pairing calibration: re-measure one calibrated human per sampled problem and "
        "language with the samples and correct the calibration for the host's drift since it was made",
    ),
    out: Path | None = typer.Option(None, "--out", help="write report.json, report.md and PNG plots here"),
    timeout: float | None = typer.Option(
        None, "--timeout", help="wall limit per test, seconds (default: each problem's own, else 10)"
    ),
    time_basis: str = typer.Option("cpu", "--time-basis", help="what Time% ranks: cpu (CPU time, default) or wall"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Pass@1, Time%, Memory%, Integral% against this host's human distribution, with 95 % CIs."""
    rows = read_samples(samples)
    if language:
        registry = get_registry()
        wanted = {registry.resolve_language(name).key for name in language}
        rows = [r for r in rows if registry.resolve_language(r.language).key in wanted]
    settings = Settings(
        repeat=parse_repeat(repeat),
        pairing="all" if paired else pairing,
        anchor=anchor,
        time_basis=time_basis,
        limits=build_limits(timeout, None),
    )
    _evaluate(rows, dataset, settings, out, as_json, f"Litmus: {samples.name}")


def demo(
    out: Path = typer.Option(Path("afterburner-demo"), "--out", help="where the report goes"),
    repeat: str = typer.Option("3", "--repeat", help="runs per sample (medians and intervals), or 'auto'"),
    time_basis: str = typer.Option("cpu", "--time-basis", help="what Time% ranks: cpu (default) or wall"),
    pairing: str = typer.Option(
        "near", "--pairing", help="humans re-measured beside the samples: near (default), all, calibration"
    ),
    anchor: bool = typer.Option(
        True, "--anchor/--no-anchor", help="with --pairing calibration: correct the calibration for host drift"
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The quick start's main job: Litmus on bundled example model outputs, in every available language.

    Measures the human distribution of the demo problems on this host (cached after the first run),
    runs the example outputs, prints the table and writes the report.
    """
    samples = read_samples(DEMO_SAMPLES)
    if not as_json:
        console.print(
            f"[bold]Afterburner demo[/bold]: {len(samples)} example model outputs on "
            f"{len({s.problem_id for s in samples})} venus-mini problems; humans measured on this host"
        )
    _evaluate(
        samples,
        "venus-mini",
        Settings(repeat=parse_repeat(repeat), time_basis=time_basis, pairing=pairing, anchor=anchor),
        out,
        as_json,
        "Litmus: bundled example outputs vs. humans (%)",
    )
