"""Fixtures of the adversarial corpus: one sandbox per backend, host canaries, leftover scans.

Every attack runs on the `local` and the `docker` backend. The docker parameter is skipped while
`Sandbox("docker")` cannot be built here, unless AFTERBURNER_REQUIRE_DOCKER=1 (CI), where that is
a failure: the corpus must not go green by skipping a backend.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from afterburner_core.sandbox.api import Sandbox
from afterburner_core.sandbox.supervision.isolation import jail_available

BACKENDS = ["local", "docker"]
REPO = Path(__file__).resolve().parents[2]

_sandboxes: dict[str, Sandbox] = {}


def make_sandbox(backend: str) -> Sandbox:
    """The session's sandbox of `backend` (skipped, or failed under AFTERBURNER_REQUIRE_DOCKER=1,
    when the backend cannot be built on this host)."""
    if backend not in _sandboxes:
        try:
            _sandboxes[backend] = Sandbox(backend)
        except Exception as exc:  # an absent daemon or plugin: report why, never a traceback
            if backend == "docker" and os.environ.get("AFTERBURNER_REQUIRE_DOCKER") != "1":
                pytest.skip(f"docker backend unavailable: {exc}")
            pytest.fail(f"{backend} backend unavailable: {exc}")
    return _sandboxes[backend]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def sandbox(backend: str) -> Sandbox:
    return make_sandbox(backend)


def strongly_isolated(backend: str) -> bool:
    """Whether programs on `backend` run unprivileged in their own mount and network view: always
    for docker, for local only as root with the supervisor's jail (docs/threat-model.md)."""
    return backend != "local" or (os.geteuid() == 0 and jail_available())


def require_isolation(backend: str) -> None:
    """Attacks that would really hurt an unisolated host (kill -1, writing $HOME) are not run there:
    without root the local backend is documented to be weaker, and the corpus says so by skipping."""
    if not strongly_isolated(backend):
        pytest.skip("the local backend without root does not isolate this (docs/threat-model.md)")


@dataclass
class Canaries:
    """Host state an attack must not see or change: secret files, existing files to overwrite,
    paths that must not come into existence, an environment secret and a loopback service."""

    marker: str
    nmark: str = ""  # a number spawned `sleep` processes carry in argv
    secrets: dict[Path, str] = field(default_factory=dict)
    existing: dict[Path, bytes] = field(default_factory=dict)
    forbidden: list[Path] = field(default_factory=list)
    env_secret: str = ""
    port: int = 0
    connections: list[str] = field(default_factory=list)

    def assert_host_untouched(self) -> None:
        for path, content in self.existing.items():
            assert path.read_bytes() == content, f"{path} was changed"
        for path in self.forbidden:
            assert not path.exists(), f"{path} was created"
        for path, secret in self.secrets.items():
            assert path.read_text() == secret, f"{path} was changed"
        assert not self.connections, f"the loopback service was reached: {self.connections}"


@pytest.fixture
def canaries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Canaries]:
    """Secrets in the host temp dir, root's home and the project; a listening loopback socket."""
    import tempfile

    marker = "abadv" + secrets.token_hex(6)
    c = Canaries(marker=marker, nmark=f"0.000{int(marker[5:], 16)}", env_secret="envsecret" + secrets.token_hex(8))
    places = [Path(tempfile.gettempdir()), Path.home(), REPO / "tests" / "adversarial"]
    for place in places:
        secret = place / f".{marker}-secret"
        secret.write_text("filesecret" + secrets.token_hex(8))
        secret.chmod(0o600)
        c.secrets[secret] = secret.read_text()
        existing = place / f".{marker}-existing"
        existing.write_bytes(b"original\n")
        existing.chmod(0o666)  # even world-writable, it is out of the program's view
        c.existing[existing] = b"original\n"
        c.forbidden.append(place / f"{marker}-created")
    for extra in ("/var/tmp", "/dev/shm"):
        if Path(extra).is_dir():
            c.forbidden.append(Path(extra) / f"{marker}-created")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    c.port = listener.getsockname()[1]
    stop = threading.Event()

    def accept_loop() -> None:
        while not stop.is_set():
            try:
                conn, address = listener.accept()
            except OSError:
                continue
            c.connections.append(str(address))
            conn.close()

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    os.environ["AFTERBURNER_ADVERSARIAL_SECRET"] = c.env_secret
    try:
        yield c
    finally:
        os.environ.pop("AFTERBURNER_ADVERSARIAL_SECRET", None)
        stop.set()
        thread.join(timeout=2)
        listener.close()
        for path in [*c.secrets, *c.existing, *c.forbidden]:
            path.unlink(missing_ok=True)
