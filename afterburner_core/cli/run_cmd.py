"""`afterburner run`: a solution against a problem's tests, through the language's runner."""

from __future__ import annotations

from pathlib import Path

import typer

from afterburner_core.cli.common import build_limits, parse_repeat, read_source
from afterburner_core.cli.output import print_report
from afterburner_core.datasets import get_problem
from afterburner_core.models import ProblemRunRequest
from afterburner_core.sandbox.api import Sandbox


def run_solution(
    solution: Path = typer.Argument(..., help="the solution's source (what replaces ==Code Submission==)"),
    problem: str = typer.Option(..., "--problem", "-p", help="problem id or title slug"),
    language: str = typer.Option(..., "--language", "-l"),
    dataset: str = typer.Option("venus-mini", "--dataset", "-d", help="bundled name or .json/.jsonl path"),
    timeout: float | None = typer.Option(None, "--timeout", help="wall limit per test, seconds"),
    memory_mb: int | None = typer.Option(None, "--memory-mb"),
    repeat: str = typer.Option("1", "--repeat", help="N or 'auto'"),
    backend: str = typer.Option("local", "--backend", "-b", help="local, docker, ray (or a backend plugin's)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Run every test of a problem; report the verdict, the first failing test and the metrics."""
    request = ProblemRunRequest(
        problem=get_problem(problem, dataset),
        code=read_source(solution),
        language=language,
        limits=build_limits(timeout, memory_mb),
        repeat=parse_repeat(repeat),
    )
    report = Sandbox(backend).run_problem(request)
    print_report(report, as_json)
    raise typer.Exit(0 if report.passed else 1)
