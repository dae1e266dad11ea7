"""Helpers the tests share (the fixtures are in conftest.py). Tests use real processes and real
toolchains.

A language whose toolchain is missing is skipped locally, but fails when
AFTERBURNER_REQUIRE_TOOLCHAINS=1 (set by .ci/run), so CI cannot go green by skipping.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from afterburner_core.plugins import get_manager

LANGUAGES = ["python", "cpp", "rust", "go", "java", "javascript"]
REPO = Path(__file__).resolve().parents[1]


def require_language(key: str) -> None:
    status = get_manager().resolve_language(key).toolchain()
    if not status.available:
        if os.environ.get("AFTERBURNER_REQUIRE_TOOLCHAINS") == "1":
            pytest.fail(status.message)
        pytest.skip(status.message)


# What the tests that drive verl's and OpenRLHF's own code need; their other dependencies (pinned
# torch, transformers, vLLM, deepspeed) would replace this project's, hence --no-deps.
RL_LIBRARIES = (
    "pip install --no-deps verl==0.9.1 tensordict==0.10.0 pyvers omegaconf==2.4.0 "
    "antlr4-python3-runtime==4.9.3 codetiming openrlhf==0.11.2 pylatexenc && pip install aiohttp"
)


def require_module(name: str) -> None:
    """Skip without `name` (an RL library) locally; fail in CI, which sets AFTERBURNER_REQUIRE_TOOLCHAINS=1."""
    try:
        __import__(name)
    except ImportError as error:
        message = f"{name} is not installed ({error}); {RL_LIBRARIES}"
        if os.environ.get("AFTERBURNER_REQUIRE_TOOLCHAINS") == "1":
            pytest.fail(message)
        pytest.skip(message)


def docker_unavailable() -> str | None:
    """Why the docker backend cannot run here (no SDK, no daemon, no images), or None."""
    try:
        from afterburner_core.images import docker_client

        client = docker_client()
    except Exception as exc:
        return str(exc)
    missing = [
        info.docker_image for info in get_manager().languages.values() if not client.images.list(name=info.docker_image)
    ]
    return f"images missing: {', '.join(missing)} (afterburner images build)" if missing else None


def install_throwaway_distribution(root: Path, distribution: str, module: str, source: str, entry_point: str) -> None:
    """A real installed distribution (a dist-info with an `afterburner` entry point) under `root`,
    which becomes visible to a process whose PYTHONPATH includes `root`."""
    import textwrap

    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{distribution.replace('-', '_')}-0.0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 0.0.1\n")
    (info / "entry_points.txt").write_text(f"[afterburner]\n{entry_point} = {module}:plugin\n")
    (info / "RECORD").write_text("")


def run_cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None, timeout: float = 300):
    """Run `afterburner ...` as a user would (a real process), returning the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "afterburner_core", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=REPO,
        check=False,
    )


@contextlib.contextmanager
def private_calibration(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """While it lasts, calibrations (the human distribution) are read and written in a private
    directory, not this host's cache; yields that directory."""
    from afterburner_core import calibration

    root = tmp_path_factory.mktemp("calibration")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(calibration, "calibration_path", lambda dataset: root / f"humans-{Path(dataset).name}.json")
        yield root
