"""`afterburner dataset list | show | validate | calibrate | export | import-leetcode`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from afterburner_core import calibration, venus
from afterburner_core.cli.common import build_limits, parse_repeat
from afterburner_core.cli.output import console, print_json
from afterburner_core.datasets import get_problem, load_problems
from afterburner_core.errors import AfterburnerError
from afterburner_core.hub import export_rows
from afterburner_core.leetcode.importer import import_directory
from afterburner_core.leetcode.probes import typed_languages, typed_probe_jobs, typed_test_errors
from afterburner_core.models import RunReport
from afterburner_core.problems import problem_tests

app = typer.Typer(
    help="Inspect, validate, calibrate and export datasets (venus-mini is bundled).", no_args_is_help=True
)

DATASET = typer.Option("venus-mini", "--dataset", "-d", help="bundled name or a .json/.jsonl file/directory")
LANGUAGES = typer.Option(None, "--language", "-l", help="restrict to these languages (repeatable)")


@app.command("list")
def list_problems(dataset: str = DATASET, as_json: bool = typer.Option(False, "--json")) -> None:
    """One line per problem: id, title, difficulty, tests, languages and solutions."""
    rows: list[dict[str, Any]] = []
    for problem in load_problems(dataset):
        rows.append(
            {
                "problem_id": problem.problem_id,
                "title": problem.title,
                "difficulty": problem.difficulty,
                "kind": problem.kind,
                "tags": problem.tags,
                "tests": len(problem_tests(problem)),
                "languages": sorted(problem.solutions),
                "solutions": sum(len(s) for s in problem.solutions.values()),
            }
        )
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"{dataset}: {len(rows)} problems")
    for column in ("id", "title", "difficulty", "kind", "tests", "languages", "solutions"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row["problem_id"]),
            str(row["title"]),
            str(row["difficulty"]),
            str(row["kind"]),
            str(row["tests"]),
            str(len(row["languages"])),
            str(row["solutions"]),
        )
    console.print(table)


@app.command("show")
def show_problem(
    problem: str = typer.Argument(..., help="problem id or title"),
    dataset: str = DATASET,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """A problem's statement, starter code languages, tests and solutions."""
    row = get_problem(problem, dataset)
    if as_json:
        print_json(row.model_dump(mode="json"))
        return
    console.rule(f"{row.problem_id} · {row.title} · {row.difficulty}")
    console.print(row.question_content)
    console.print(f"tests: {len(problem_tests(row))} ({len(row.test_cases)} stored)")
    for language, solutions in sorted(row.solutions.items()):
        labels = "; ".join(f"{'✓' if s.passed else '✗'} {s.label}" for s in solutions)
        console.print(f"[bold]{language}[/bold]: {labels}")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    )


@app.command("validate")
def validate(
    dataset: str = DATASET,
    languages: list[str] | None = LANGUAGES,
    problem: str | None = typer.Option(None, "--problem", "-p"),
    timeout: float | None = typer.Option(
        None, "--timeout", help="wall limit per test, seconds (default: the problem's)"
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Run every solution in every language: correct ones must pass, wrong ones must fail."""
    problems = [get_problem(problem, dataset)] if problem else list(load_problems(dataset))
    all_languages = sorted({lang for p in problems for lang in p.solutions} | typed_languages(problems))
    ready, skipped = venus.available_languages(languages or all_languages)
    jobs = venus.solution_jobs(problems, ready) + typed_probe_jobs(problems, ready)
    if not jobs:
        raise AfterburnerError("nothing to validate (no solutions for the available languages)")
    failures: list[dict] = typed_test_errors(problems)
    with _progress() as progress:
        task = progress.add_task("validating", total=len(jobs))

        def done(job: venus.SolutionJob, report: RunReport) -> None:
            if report.passed != job.expected_pass:
                failures.append(
                    {
                        "problem": job.problem.title,
                        "language": job.language,
                        "index": job.index,
                        "label": job.label,
                        "expected_pass": job.expected_pass,
                        "verdict": report.verdict.value,
                        "reason": report.failing_test.reason
                        if report.failing_test
                        else report.compile.stderr
                        if not report.compile.ok
                        else report.stderr[-300:],
                    }
                )
            progress.advance(task)

        venus.run_jobs(jobs, 1, build_limits(timeout, None), done)
    summary = {
        "dataset": dataset,
        "solutions": len(jobs),
        "mismatches": failures,
        "ok": not failures,
        "languages": ready,
        "skipped_languages": skipped,
    }
    if as_json:
        print_json(summary)
    else:
        for name, reason in skipped.items():
            console.print(f"[yellow]skipped {name}[/yellow]: {reason}")
        for failure in failures:
            console.print(
                f"[red]MISMATCH[/red] {failure['problem']} {failure['language']}#{failure['index']} "
                f"({failure['label']}): expected {'pass' if failure['expected_pass'] else 'fail'}, "
                f"got {failure['verdict']} — {failure['reason']}"
            )
        colour = "green" if not failures else "red"
        behaving = len(jobs) - sum(1 for f in failures if f["index"] is not None)
        console.print(f"[{colour}]{behaving}/{len(jobs)} solutions behave as labelled[/{colour}]")
    raise typer.Exit(0 if not failures else 1)


@app.command("calibrate")
def calibrate(
    dataset: str = DATASET,
    languages: list[str] | None = LANGUAGES,
    repeat: str = typer.Option("3", "--repeat", help="N or 'auto'"),
    out: Path | None = typer.Option(None, "--out", help="write here instead of the cache"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Measure every correct solution on this host (with repeats): the human distribution."""
    problems = list(load_problems(dataset))
    all_languages = sorted({lang for p in problems for lang in p.solutions})
    ready, skipped = venus.available_languages(languages or all_languages)
    jobs = venus.solution_jobs(problems, ready, only_correct=True)
    with _progress() as progress:
        task = progress.add_task("calibrating", total=len(jobs))
        reports = venus.run_jobs(
            jobs, parse_repeat(repeat), build_limits(None, None), lambda job, report: progress.advance(task)
        )
    path = calibration.save_calibration(dataset, jobs, reports, parse_repeat(repeat), out)
    spreads = _spreads(jobs, reports)
    failed = [f"{j.problem.title} {j.language}#{j.index}" for j, r in zip(jobs, reports, strict=True) if not r.passed]
    summary = {
        "path": str(path),
        "solutions": len(jobs),
        "failed": failed,
        "skipped_languages": skipped,
        "spreads": spreads,
    }
    if as_json:
        print_json(summary)
    else:
        table = Table(title=f"human distribution on this host → {path}")
        for column in ("problem", "language", "n", "time slowest/fastest", "memory max/min", "integral max/min"):
            table.add_column(column)
        for row in spreads:
            table.add_row(
                row["problem"],
                row["language"],
                str(row["n"]),
                f"{row['time_ratio']:.1f}×",
                f"{row['memory_ratio']:.1f}×",
                f"{row['integral_ratio']:.1f}×",
            )
        console.print(table)
        for item in failed:
            console.print(f"[red]a correct solution failed[/red]: {item}")
    raise typer.Exit(0 if not failed else 1)


def _spreads(jobs: list[venus.SolutionJob], reports: list[RunReport]) -> list[dict]:
    groups: dict[tuple[str, str], list[RunReport]] = {}
    for job, report in zip(jobs, reports, strict=True):
        if report.passed:
            groups.setdefault((job.problem.title, job.language), []).append(report)
    rows = []
    for (title, language), items in sorted(groups.items()):

        def ratio(values: list[float]) -> float:
            return max(values) / min(values) if values and min(values) > 0 else float("inf")

        rows.append(
            {
                "problem": title,
                "language": language,
                "n": len(items),
                "time_ratio": ratio([r.time_ms for r in items if r.time_ms is not None]),
                "memory_ratio": ratio([r.memory_kb for r in items if r.memory_kb is not None]),
                "integral_ratio": ratio([r.integral_kb_ms for r in items if r.integral_kb_ms is not None]),
            }
        )
    return rows


@app.command("export")
def export(
    out: Path = typer.Option(..., "--out", help="output directory"),
    dataset: str = DATASET,
    fmt: str = typer.Option("jsonl", "--format", help="jsonl or parquet"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Write hub-shaped rows (Venus schema; test_cases as JSON text, as on the hub)."""
    if fmt not in ("jsonl", "parquet"):
        raise AfterburnerError("--format must be jsonl or parquet")
    rows = export_rows(list(load_problems(dataset)))
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "jsonl":
        path = out / "train.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    else:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError as exc:
            raise AfterburnerError("parquet export needs pyarrow: pip install 'afterburner[data]'") from exc
        path = out / "train.parquet"
        pq.write_table(pa.Table.from_pylist(rows), path)
    result = {"path": str(path), "rows": len(rows)}
    if as_json:
        print_json(result)
    else:
        console.print(f"wrote {len(rows)} rows to {path}")


@app.command("import-leetcode")
def import_leetcode(
    directory: Path = typer.Argument(
        ..., help="a problem directory or a directory of them (see docs/dataset-format.md)"
    ),
    out: Path = typer.Option(..., "--out", help="JSONL file to write (Venus-shaped rows)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Turn LeetCode problems (statement, metaData, tests, Solution*.<ext>) into Venus-shaped JSONL rows."""
    problems = import_directory(directory)
    rows = export_rows(problems)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    except OSError as exc:
        raise AfterburnerError(f"cannot write {out}: {exc}") from None
    result = {
        "path": str(out),
        "rows": len(rows),
        "problems": [
            {
                "problem_id": p.problem_id,
                "title": p.title,
                "tests": len(p.test_cases),
                "solutions": {language: len(items) for language, items in sorted(p.solutions.items())},
            }
            for p in problems
        ],
    }
    if as_json:
        print_json(result)
    else:
        console.print(f"wrote {len(rows)} rows to {out}")
