"""`afterburner exec`: a whole program with stdin, the Monolith /execute semantics."""

from __future__ import annotations

from pathlib import Path

import typer

from afterburner_core.cli.common import build_limits, parse_repeat, read_source, read_stdin
from afterburner_core.cli.output import print_report
from afterburner_core.errors import AfterburnerError
from afterburner_core.models import ExecutionRequest
from afterburner_core.sandbox.api import Sandbox


def exec_program(
    file: Path = typer.Argument(..., help="source file of a whole program"),
    language: str = typer.Option(..., "--language", "-l", help="python, cpp, rust, go, java, javascript (or alias)"),
    stdin: str | None = typer.Option(
        None, "--stdin", help="file fed to the program's standard input ('-': this command's own)"
    ),
    timeout: float | None = typer.Option(None, "--timeout", help="wall limit in seconds (default 10)"),
    memory_mb: int | None = typer.Option(None, "--memory-mb", help="memory limit in MiB (default 1024)"),
    repeat: str = typer.Option("1", "--repeat", help="N runs (medians + 95% CI) or 'auto'"),
    parallel: int | None = typer.Option(None, "--parallel", help="concurrent jobs (default: cores - 1)"),
    backend: str = typer.Option("local", "--backend", "-b", help="local, docker, ray (or a backend plugin's)"),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
) -> None:
    """Compile (cached) and run a whole program; report verdict, output and metrics."""
    code = read_source(file)
    data = read_stdin(stdin)
    if parallel is not None and parallel < 1:
        raise AfterburnerError("--parallel must be at least 1")
    request = ExecutionRequest(
        code=code, language=language, stdin=data, limits=build_limits(timeout, memory_mb), repeat=parse_repeat(repeat)
    )
    report = Sandbox(backend, parallel=parallel).execute(request)
    print_report(report, as_json)
    raise typer.Exit(0 if report.passed else 1)
