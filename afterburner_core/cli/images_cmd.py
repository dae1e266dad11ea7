"""`afterburner images build`: the language plugins' container images."""

from __future__ import annotations

import typer

from afterburner_core.cli.output import console, print_json
from afterburner_core.images import build_image, docker_client
from afterburner_core.plugins import get_registry

app = typer.Typer(help="Container images of the language plugins (for the docker backend).", no_args_is_help=True)


@app.command("build")
def build(
    languages: list[str] | None = typer.Option(None, "--language", "-l", help="only these (repeatable)"),
    force: bool = typer.Option(False, "--force", help="rebuild even when the Dockerfile is unchanged"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Build afterburner/<language>:latest from each plugin's Dockerfile (cached by its hash)."""
    registry = get_registry()
    infos = [registry.resolve_language(name) for name in languages] if languages else list(registry.languages.values())
    client = docker_client()
    results = []
    for info in infos:
        if not as_json:
            console.print(f"image {info.docker_image} …")
        results.append(build_image(client, info, force))
    if as_json:
        print_json([r.__dict__ for r in results])
        return
    for r in results:
        console.print(f"{r.tag}: {f'built in {r.seconds:.0f} s' if r.built else r.detail}")
