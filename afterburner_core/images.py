"""Container images of the language plugins (`afterburner images build`).

Each language plugin ships a Dockerfile next to its code. Images are tagged
``afterburner/<language>:latest`` and labelled with the Dockerfile's hash, so a rebuild happens only
when the Dockerfile changes (cache by tag). The base is ``afterburner/debian:bookworm-slim``: a
local ``debian:bookworm-slim`` when the daemon has one, otherwise a minimal Debian made with
``debootstrap --variant=minbase bookworm`` and ``docker import`` (for hosts with no registry).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afterburner_core.errors import AfterburnerError
from afterburner_core.languages import LanguageInfo

BASE_TAG = "afterburner/debian:bookworm-slim"
RUNTIME_TAG = "afterburner/runtime:bookworm"
RUNTIME_DOCKERFILE = Path(__file__).resolve().parent / "docker" / "Dockerfile"
HASH_LABEL = "org.afterburner.dockerfile-sha256"


@dataclass
class ImageResult:
    language: str
    tag: str
    built: bool
    seconds: float
    detail: str = ""


def docker_client() -> Any:
    try:
        import docker
    except ImportError as exc:
        raise AfterburnerError("images need the Docker SDK: pip install 'afterburner[docker]'") from exc
    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:
        raise AfterburnerError(f"cannot reach the Docker daemon ({exc}); start dockerd first") from exc
    return client


def ensure_base_image(client: Any) -> str:
    """Make sure BASE_TAG exists: retag a local debian:bookworm-slim, or debootstrap one."""
    import docker.errors

    try:
        client.images.get(BASE_TAG)
        return BASE_TAG
    except docker.errors.ImageNotFound:
        pass
    try:
        client.images.get("debian:bookworm-slim").tag(BASE_TAG)
        return BASE_TAG
    except docker.errors.ImageNotFound:
        pass
    if not shutil.which("debootstrap"):
        raise AfterburnerError("no debian:bookworm-slim image and no debootstrap: apt-get install debootstrap")
    with tempfile.TemporaryDirectory(prefix="afterburner-rootfs-") as root:
        proc = subprocess.run(
            ["debootstrap", "--variant=minbase", "bookworm", root], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise AfterburnerError(f"debootstrap failed: {proc.stderr.strip()[-500:]}")
        tar = subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(
            ["docker", "import", "-", BASE_TAG], stdin=tar.stdout, capture_output=True, text=True, check=False
        )
        tar.wait()
        if imported.returncode != 0:
            raise AfterburnerError(f"docker import failed: {imported.stderr.strip()[-500:]}")
    return BASE_TAG


def dockerfile_of(info: LanguageInfo) -> Path:
    path = info.plugin.resource_path("Dockerfile")
    if not path.exists():
        raise AfterburnerError(f"the {info.key} plugin ships no Dockerfile")
    return path


def _build(client: Any, dockerfile: Path, tag: str, base: str, salt: str, force: bool) -> tuple[bool, float]:
    """Build `tag` unless an image with the same Dockerfile (and base) hash exists."""
    import time

    import docker.errors

    digest = hashlib.sha256(dockerfile.read_bytes() + salt.encode()).hexdigest()
    if not force:
        try:
            if client.images.get(tag).labels.get(HASH_LABEL) == digest:
                return False, 0.0
        except docker.errors.ImageNotFound:
            pass
    started = time.monotonic()
    try:
        client.images.build(
            path=str(dockerfile.parent),
            dockerfile=dockerfile.name,
            tag=tag,
            rm=True,
            buildargs={"BASE": base},
            labels={HASH_LABEL: digest},
            network_mode="host",
        )
    except docker.errors.BuildError as exc:
        log = "".join(str(item.get("stream", "")) for item in exc.build_log)[-800:]
        raise AfterburnerError(f"building {tag} failed: {exc.msg}\n{log}") from exc
    return True, time.monotonic() - started


def ensure_runtime_image(client: Any, force: bool = False) -> str:
    """The shared runtime layer (gcc, the `runner` user) every language image starts from."""
    _build(client, RUNTIME_DOCKERFILE, RUNTIME_TAG, ensure_base_image(client), "", force)
    return RUNTIME_TAG


def build_image(client: Any, info: LanguageInfo, force: bool = False) -> ImageResult:
    runtime = ensure_runtime_image(client)
    extras = info.plugin.docker_context()
    # a rebuilt runtime, or another toolchain copied from this host, invalidates the language image
    salt = client.images.get(runtime).id + "".join(
        f"|{name}:{_identity(path)}" for name, path in sorted(extras.items())
    )
    dockerfile = dockerfile_of(info)
    if not extras:
        built, seconds = _build(client, dockerfile, info.docker_image, runtime, salt, force)
    else:
        with tempfile.TemporaryDirectory(prefix="afterburner-context-") as directory:
            context = Path(directory) / "context"
            shutil.copytree(dockerfile.parent, context, ignore=shutil.ignore_patterns("__pycache__"))
            for name, path in extras.items():
                if path.is_dir():
                    shutil.copytree(path, context / name, symlinks=True)
                else:
                    shutil.copy2(path, context / name)
            built, seconds = _build(client, context / dockerfile.name, info.docker_image, runtime, salt, force)
    return ImageResult(info.key, info.docker_image, built, seconds, "" if built else "up to date")


def _identity(path: Path) -> str:
    """What distinguishes one copy of a toolchain from another: a file's content hash, a
    directory's listing with sizes (toolchain trees are large; their files are never edited)."""
    hasher = hashlib.sha256()
    if path.is_dir():
        for item in sorted(path.rglob("*")):
            if item.is_file() and not item.is_symlink():
                hasher.update(f"{item.relative_to(path)}:{item.stat().st_size}\n".encode())
    else:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                hasher.update(chunk)
    return hasher.hexdigest()[:16]
