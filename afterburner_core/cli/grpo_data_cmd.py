"""`afterburner data grpo`: GRPO prompts with reward labels, as verl parquet or OpenRLHF JSONL."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from rich.table import Table

from afterburner_core.cli.common import build_limits, parse_repeat
from afterburner_core.cli.output import console, print_json
from afterburner_core.errors import AfterburnerError
from afterburner_core.training.grpo_data import FORMATS, build_grpo, write_grpo


def data_grpo(
    dataset: str = typer.Option(
        "venus-mini", "--dataset", "-d", help="bundled name, a file/directory, or hf:OWNER/NAME"
    ),
    objectives: list[str] = typer.Option(
        ["time"], "--objective", "-o", help="time | memory | integral; repeatable (the paper used all three)"
    ),
    fmt: str = typer.Option("verl", "--format", "-f", help="verl (train/test.parquet) | openrlhf (train/test.jsonl)"),
    out: Path = typer.Option(..., "--out", help="directory for the train and test files"),
    languages: list[str] | None = typer.Option(
        None, "--language", "-l", help="restrict to these languages (repeatable)"
    ),
    problems: list[str] | None = typer.Option(None, "--problem", "-p", help="restrict to these problem ids or titles"),
    baseline: str = typer.Option(
        "random",
        "--baseline",
        help="random: improve a random original solution (the paper's); none: write from scratch",
    ),
    seed: int = typer.Option(0, "--seed", help="seeds the original solutions and the train/test split"),
    test_fraction: float = typer.Option(0.2, "--test-fraction", help="share of problems kept for test (0: none)"),
    repeat: str = typer.Option("1", "--repeat", help="runs per original solution measured for the prompt"),
    timeout: float | None = typer.Option(None, "--timeout", help="per-test limit for those runs, seconds"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """GRPO prompts with reward labels, as verl parquet or OpenRLHF JSONL (see README: verl and OpenRLHF)."""
    if fmt not in FORMATS:
        raise AfterburnerError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    rows = build_grpo(
        dataset,
        objectives,
        languages or None,
        problems or None,
        baseline,
        seed,
        test_fraction,
        repeat=parse_repeat(repeat),
        limits=build_limits(timeout, None),
    )
    written = write_grpo(rows, out, fmt)
    splits = Counter(row.split for row in rows)
    verdicts = Counter(row.baseline_verdict or "none" for row in rows)
    if as_json:
        print_json(
            {
                "kind": "grpo",
                "format": fmt,
                "rows": len(rows),
                "train": splits["train"],
                "test": splits["test"],
                "baseline_verdicts": dict(verdicts),
                "files": [str(p) for p in written],
            }
        )
        return
    table = Table(title=f"grpo ({fmt}): {len(rows)} prompts, {splits['train']} train / {splits['test']} test")
    for column in ("original solution", "prompts"):
        table.add_column(column)
    for verdict, count in sorted(verdicts.items()):
        table.add_row(verdict, str(count))
    console.print(table)
    for path in written:
        console.print(f"wrote {path}")
