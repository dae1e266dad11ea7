"""`afterburner plugins`: what is installed, from which distribution, and which toolchains work."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from afterburner_core.cli.output import console, print_json
from afterburner_core.plugins import get_manager


def plugins(as_json: bool = typer.Option(False, "--json", help="machine-readable output")) -> None:
    """List every plugin (languages, backends, rewards, ...) and each language's toolchain."""
    manager = get_manager()
    languages_by_plugin: dict[str, list[dict[str, Any]]] = {}
    for key, info in sorted(manager.registry.languages.items()):
        status = info.toolchain()
        languages_by_plugin.setdefault(manager.registry.language_owner(key), []).append(
            {
                "key": info.key,
                "aliases": list(info.aliases),
                "toolchain_available": status.available,
                "toolchain_version": status.version,
                "toolchain_message": status.message or None,
                "toolchain_requirement": info.plugin.toolchain_requirement or None,
                "toolchain_paths": status.paths,
                "test_mode": info.test_mode,
                "compile_flags": info.compile_flags,
            }
        )
    rows: list[dict[str, Any]] = []
    for record in manager.records():
        row: dict[str, Any] = {
            "name": record.name,
            "kind": record.kinds[0] if len(record.kinds) == 1 else list(record.kinds),
            "distribution": record.distribution,
            "version": record.version,
        }
        if record.name in languages_by_plugin:
            row["languages"] = languages_by_plugin[record.name]
        rows.append(row)
    if as_json:
        print_json({"plugins": rows, "errors": manager.load_errors})
        return
    table = Table(title="Afterburner plugins")
    for column in ("name", "kind", "distribution", "version", "language", "toolchain"):
        table.add_column(column)
    for row in rows:
        for language in row.get("languages", [None]) or [None]:
            if language:
                aliases = ", ".join(language["aliases"])
                lang = f"{language['key']} ({aliases})"
                ok = language["toolchain_available"]
                wanted = f" (needs {language['toolchain_requirement']})" if language["toolchain_requirement"] else ""
                tool = (
                    f"[green]{language['toolchain_version']}[/green]{wanted}"
                    if ok
                    else f"[red]missing[/red]: {language['toolchain_message']}"
                )
            else:
                lang, tool = "", ""
            kind = row["kind"] if isinstance(row["kind"], str) else ", ".join(row["kind"])
            table.add_row(str(row["name"]), kind, str(row["distribution"]), str(row["version"]), lang, tool)
    console.print(table)
    for error in manager.load_errors:
        console.print(f"[yellow]warning[/yellow]: {error}")
