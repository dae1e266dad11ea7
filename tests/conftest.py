"""Shared fixtures: a local engine and a warm docker backend, one per session. The helpers tests
import (toolchain requirements, the CLI as a process, private calibrations) are in tests/helpers.py.
"""

from __future__ import annotations

import os

import pytest

from afterburner_core.sandbox.backends.local import LocalBackend
from tests.helpers import docker_unavailable


@pytest.fixture(scope="session")
def engine() -> LocalBackend:
    return LocalBackend()


@pytest.fixture(scope="session")
def docker_engine():
    """One warm docker backend for the session; fails instead of skipping when
    AFTERBURNER_REQUIRE_DOCKER=1 (set by .ci/run)."""
    reason = docker_unavailable()
    if reason:
        if os.environ.get("AFTERBURNER_REQUIRE_DOCKER") == "1":
            pytest.fail(f"docker backend required: {reason}")
        pytest.skip(f"docker backend unavailable: {reason}")
    from afterburner_core.sandbox.backends.docker import DockerBackend

    backend = DockerBackend()
    yield backend
    backend.close()
