"""`afterburner images build` against a real Docker daemon (skipped where none runs, unless
AFTERBURNER_REQUIRE_DOCKER=1 as in CI)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.helpers import run_cli


def _daemon() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0


pytestmark = pytest.mark.skipif(
    not _daemon() and os.environ.get("AFTERBURNER_REQUIRE_DOCKER") != "1",
    reason="no Docker daemon (scripts/docker-setup.sh starts one)",
)


def test_python_image_builds_and_runs_as_non_root() -> None:
    result = run_cli("images", "build", "--language", "python3", "--json", timeout=1800)
    assert result.returncode == 0, result.stderr
    probe = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            "none",
            "afterburner/python:latest",
            "python3",
            "-c",
            "import os; print(os.getuid())",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert probe.stdout.strip() == "10001"
    again = run_cli("images", "build", "--language", "python", "--json")
    assert '"built": false' in again.stdout  # cached by the Dockerfile's hash
