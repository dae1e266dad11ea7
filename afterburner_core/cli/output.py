"""Shared rendering for CLI verbs: JSON for machines, rich tables for people."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from afterburner_core.models import RunReport

console = Console()
if not console.is_terminal:  # logs and CI: wide enough for the Litmus table without wrapping
    console = Console(width=140)


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def _fmt(value: float | None, unit: str, digits: int = 2) -> str:
    return "—" if value is None else f"{value:,.{digits}f} {unit}"


def print_report(report: RunReport, as_json: bool) -> None:
    """One RunReport: full JSON, or a compact table plus the program's output or failing test."""
    if as_json:
        print_json(report.model_dump(mode="json"))
        return
    colour = "green" if report.passed else "red"
    table = Table(show_header=False, box=None)
    table.add_row("verdict", f"[{colour}]{report.verdict.value}[/{colour}]")
    if report.tests_total:
        table.add_row("tests", f"{report.tests_passed}/{report.tests_total}")
    table.add_row("language", f"{report.language} ({report.backend} backend)")
    table.add_row("compile", f"{'cached' if report.compile.cached else 'fresh'}, {report.compile.ms:.0f} ms")
    if report.time_ms is not None:
        ci = report.ci
        table.add_row("time", _fmt(report.time_ms, "ms", 3) + _ci(ci.time_ms))
        table.add_row("cpu", _fmt(report.cpu_ms, "ms", 3))
        table.add_row("memory", _fmt(report.memory_kb, "KiB", 0) + _ci(ci.memory_kb))
        table.add_row("integral", _fmt(report.integral_kb_ms, "KiB·ms", 1) + _ci(ci.integral_kb_ms))
        table.add_row("sampling", f"{report.samples} samples, {report.sample_hz or 0:,.0f} Hz")
        table.add_row("repeats", str(report.repeats))
    if report.exit_code not in (None, 0) or report.signal:
        table.add_row("exit", f"code {report.exit_code}, signal {report.signal}")
    console.print(table)
    if report.failing_test:
        failing = report.failing_test
        console.print(f"[bold]first failing test #{failing.index}[/bold]: {failing.reason}")
        console.print(f"  input:    {failing.input[:200]!r}")
        console.print(f"  expected: {(failing.expected or '')[:200]!r}")
        console.print(f"  actual:   {(failing.actual or '')[:200]!r}")
    if report.stdout and not report.tests_total > 1:
        console.print("[bold]stdout[/bold]", markup=True)
        console.out(report.stdout, end="" if report.stdout.endswith("\n") else "\n", highlight=False)
    if report.stderr:
        console.print("[bold]stderr[/bold]", markup=True)
        console.out(report.stderr, highlight=False)


def _ci(interval: tuple[float, float] | None) -> str:
    if not interval or interval[0] == interval[1]:
        return ""
    return f"  (95% CI {interval[0]:,.3g}–{interval[1]:,.3g})"
