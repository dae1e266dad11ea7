"""`afterburner data sft|dpo` (training rows from measured solutions) and `afterburner train sft|dpo|grpo`
(`data grpo` lives in grpo_data_cmd)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from afterburner_core.cli.common import parse_repeat
from afterburner_core.cli.output import console, print_json
from afterburner_core.errors import AfterburnerError
from afterburner_core.objectives import OBJECTIVES
from afterburner_core.training.data import build_dpo, build_sft, write_rows

data_app = typer.Typer(
    help="Build SFT / DPO rows (Venus_SFT_Data / Venus_DPO_Data shape) from solutions "
    "measured on this host, and GRPO prompts for verl / OpenRLHF.",
    no_args_is_help=True,
)
train_app = typer.Typer(
    help="Train with TRL (SFT, DPO, GRPO with the execution reward) from a YAML config.", no_args_is_help=True
)

DATASET = typer.Option("venus-mini", "--dataset", "-d", help="bundled name, a file/directory, or hf:OWNER/NAME")
OBJECTIVE = typer.Option("time", "--objective", "-o", help="time | memory | integral")
OUT = typer.Option(..., "--out", help="directory for NAME.jsonl (and NAME.parquet with pyarrow)")
LANGUAGES = typer.Option(None, "--language", "-l", help="restrict to these languages (repeatable)")
PROBLEMS = typer.Option(None, "--problem", "-p", help="restrict to these problem ids or titles (repeatable)")
REPEAT = typer.Option("3", "--repeat", help="runs per solution measured now (the calibration is reused)")
JSON = typer.Option(False, "--json")
CONFIG = typer.Option(..., "--config", "-c", help="the YAML config (see afterburner_core/training/trainers.py)")


def _objective(objective: str) -> str:
    if objective not in OBJECTIVES:
        raise AfterburnerError(f"--objective must be one of {', '.join(OBJECTIVES)}, not {objective!r}")
    return objective


def _summary(kind: str, rows: list[dict], written: list[Path], as_json: bool) -> None:
    per_pair: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row["problem_id"], row["language"])
        per_pair[key] = per_pair.get(key, 0) + 1
    if as_json:
        print_json(
            {
                "kind": kind,
                "rows": len(rows),
                "files": [str(p) for p in written],
                "per_problem": [
                    {"problem_id": p, "language": lang, "rows": n} for (p, lang), n in sorted(per_pair.items())
                ],
            }
        )
        return
    table = Table(title=f"{kind}: {len(rows)} rows")
    for column in ("problem", "language", "rows"):
        table.add_column(column)
    for (pid, language), n in sorted(per_pair.items()):
        table.add_row(pid, language, str(n))
    console.print(table)
    for path in written:
        console.print(f"wrote {path}")


@data_app.command("sft")
def data_sft(
    dataset: str = DATASET,
    objective: str = OBJECTIVE,
    out: Path = OUT,
    languages: list[str] | None = LANGUAGES,
    problems: list[str] | None = PROBLEMS,
    top_k: int = typer.Option(1, "--top-k", help="best correct solutions kept per problem and language"),
    repeat: str = REPEAT,
    as_json: bool = JSON,
) -> None:
    """The most efficient correct solutions (measured here) as prompt/response rows."""
    rows = build_sft(
        dataset, _objective(objective), languages or None, top_k, problems or None, repeat=parse_repeat(repeat)
    )
    _summary("sft", rows, write_rows(rows, out, "sft"), as_json)


@data_app.command("dpo")
def data_dpo(
    dataset: str = DATASET,
    objective: str = OBJECTIVE,
    out: Path = OUT,
    languages: list[str] | None = LANGUAGES,
    problems: list[str] | None = PROBLEMS,
    min_gain: float = typer.Option(
        0.05, "--min-gain", help="chosen must be this much better (relative), besides non-overlapping 95 % intervals"
    ),
    max_pairs: int | None = typer.Option(
        None, "--max-pairs", help="correct-vs-correct pairs kept per problem and language (largest ratio first)"
    ),
    no_failing: bool = typer.Option(False, "--no-failing", help="leave out failing-vs-correct pairs"),
    repeat: str = REPEAT,
    as_json: bool = JSON,
) -> None:
    """Preference pairs with a real measured margin (prompt, chosen, rejected)."""
    if not 0 <= min_gain < 1:
        raise AfterburnerError("--min-gain must be in [0, 1)")
    rows = build_dpo(
        dataset,
        _objective(objective),
        languages or None,
        problems or None,
        min_gain,
        max_pairs,
        not no_failing,
        repeat=parse_repeat(repeat),
    )
    _summary("dpo", rows, write_rows(rows, out, "dpo"), as_json)


def _train(kind: str, config: Path, as_json: bool) -> None:
    from afterburner_core.training.trainers import train  # deferred: ~40 ms of every CLI start (torch loads inside)

    summary = train(kind, config)
    if as_json:
        print_json({k: v for k, v in summary.items() if k != "log_history"})
        return
    console.print(
        f"{kind}: {summary['steps']} steps in {summary['seconds']} s on {summary['device']}"
        f"{' (bf16)' if summary['bf16'] else ''}{' with LoRA' if summary['lora'] else ''}, "
        f"train loss {summary['train_loss']:.4f}; saved to {summary['output_dir']}"
    )


@train_app.command("sft")
def train_sft(config: Path = CONFIG, as_json: bool = JSON) -> None:
    """Supervised fine-tuning (TRL SFTTrainer) on prompt/response rows."""
    _train("sft", config, as_json)


@train_app.command("dpo")
def train_dpo(config: Path = CONFIG, as_json: bool = JSON) -> None:
    """Direct preference optimisation (TRL DPOTrainer) on margin pairs."""
    _train("dpo", config, as_json)


@train_app.command("grpo")
def train_grpo(config: Path = CONFIG, as_json: bool = JSON) -> None:
    """GRPO (TRL GRPOTrainer) with the execution reward, run through the sandbox."""
    _train("grpo", config, as_json)
