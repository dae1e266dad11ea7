"""`afterburner optimize`: test-time iterative optimisation (IOF) of one problem with a model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from afterburner_core.cli.common import parse_repeat
from afterburner_core.cli.output import console, print_json
from afterburner_core.errors import AfterburnerError
from afterburner_core.generators import get_generator
from afterburner_core.iof import Candidate, OptimizationResult, Optimizer
from afterburner_core.objectives import FIELD_UNIT, OBJECTIVES, REPORT_FIELD
from afterburner_core.plugins import get_registry


def _write(result: OptimizationResult, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "result.json"]
    written[0].write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    written.append(result.plot(out / "curve.png"))
    if result.best is not None and result.best.code is not None:
        path = out / f"best.{get_registry().resolve_language(result.language).extension}"
        path.write_text(result.best.code, encoding="utf-8")
        written.append(path)
    return written


def _row(candidate: Candidate, objective: str) -> list[str]:
    key = REPORT_FIELD[objective]
    value = candidate.metrics.get(key)
    share = candidate.percentiles.get(objective)
    return [
        str(candidate.iteration) + (f".{candidate.sample}" if candidate.sample else ""),
        candidate.verdict,
        f"{candidate.tests_passed}/{candidate.tests_total}",
        "—" if value is None else f"{value:,.2f} {FIELD_UNIT[key]}",
        "—" if share is None else f"{share * 100:.0f}%",
        "[green]kept[/green]" if candidate.kept else "",
        candidate.reason,
    ]


def optimize(
    problem: str = typer.Option(..., "--problem", "-p", help="problem id or title slug"),
    language: str = typer.Option(..., "--language", "-l"),
    model: str = typer.Option(..., "--model", "-m", help="transformers:PATH_OR_HUB_ID or openai:MODEL"),
    objective: str = typer.Option("time", "--objective", help="time | memory | integral"),
    iterations: int = typer.Option(4, "--iterations", "-n", help="rounds, the first from scratch"),
    dataset: str = typer.Option("venus-mini", "--dataset", "-d"),
    repeat: str = typer.Option("3", "--repeat", help="measured runs per candidate: N or 'auto'"),
    out: Path | None = typer.Option(None, "--out", help="write result.json, curve.png and the best solution here"),
    as_json: bool = typer.Option(False, "--json"),
    samples: int = typer.Option(1, "--samples", help="candidates per iteration"),
    temperature: float | None = typer.Option(None, "--temperature", help="default: 0 for 1 sample, else 0.8"),
    max_new_tokens: int = typer.Option(2048, "--max-new-tokens"),
    base_url: str | None = typer.Option(None, "--base-url", help="openai: server URL (else $OPENAI_BASE_URL)"),
    api_key: str | None = typer.Option(None, "--api-key", help="openai: key (else $OPENAI_API_KEY)"),
    seed: int | None = typer.Option(None, "--seed"),
) -> None:
    """Let a model improve its own solution from execution feedback; keep the best beyond noise."""
    if objective not in OBJECTIVES:
        raise AfterburnerError(f"--objective must be one of {', '.join(OBJECTIVES)}, not {objective!r}")
    if iterations < 1:
        raise AfterburnerError("--iterations must be at least 1")
    if samples < 1:
        raise AfterburnerError("--samples must be at least 1")
    get_registry().require_toolchain(language)
    options: dict[str, Any] = {
        key: value for key, value in (("base_url", base_url), ("api_key", api_key)) if value is not None
    }
    generator = get_generator(model, **options)
    show = not as_json and console.is_terminal

    def progress(candidate: Candidate) -> None:
        if show:
            console.print(
                f"iteration {candidate.iteration}: {candidate.verdict}" + (" (kept)" if candidate.kept else "")
            )

    optimizer = Optimizer(
        generator,
        dataset=dataset,
        repeat=parse_repeat(repeat),
        samples_per_iteration=samples,
        temperature=temperature,
        max_new_tokens=max_new_tokens,
        seed=seed,
        progress=progress,
    )
    result = optimizer.optimize(problem, language, objective, iterations)
    written = _write(result, out) if out else []
    if as_json:
        print_json({**result.to_dict(), "files": [str(p) for p in written]})
    else:
        table = Table(title=f"IOF: {result.title} ({result.language}, {objective})")
        for column in ("iteration", "verdict", "tests", objective, "humans beaten", "", "why"):
            table.add_column(column)
        for candidate in result.history:
            table.add_row(*_row(candidate, objective))
        console.print(table)
        if result.best is not None and result.best.passed:
            console.print(f"best: iteration {result.best.iteration}, {_row(result.best, objective)[3]}")
        else:
            console.print("[red]no passing solution[/red]")
        if written:
            console.print(f"written: {', '.join(str(p) for p in written)}")
    raise typer.Exit(0 if result.best is not None and result.best.passed else 1)
