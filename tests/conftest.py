"""Shared fixtures. Tests use real processes and real toolchains.

A language whose toolchain is missing is skipped locally, but fails when
AFTERBURNER_REQUIRE_TOOLCHAINS=1 (set by .ci/run), so CI cannot go green by skipping.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from afterburner_core.plugins import get_manager
from afterburner_core.sandbox.engine import Engine

LANGUAGES = ["python", "cpp", "rust", "go", "java", "javascript"]
REPO = Path(__file__).resolve().parents[1]


def require_language(key: str) -> None:
    status = get_manager().resolve_language(key).toolchain()
    if not status.available:
        if os.environ.get("AFTERBURNER_REQUIRE_TOOLCHAINS") == "1":
            pytest.fail(status.message)
        pytest.skip(status.message)


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine()


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
