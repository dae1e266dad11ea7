"""Inter-process file locks (fcntl), shared by the compile cache, the core pool and builds."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if needed) for the duration of the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def try_lock(path: Path) -> int | None:
    """Take an exclusive lock without waiting; returns the fd to release, or None if busy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    with contextlib.suppress(OSError):  # another user may lock it too (host_lock_dir)
        os.fchmod(fd, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def host_lock_dir(name: str) -> Path:
    """A lock directory shared by every Afterburner process on this host, whatever its cache root:
    ``/run/afterburner/<name>`` as root, else a world-writable, sticky ``/tmp/afterburner-<name>``
    (so processes of different users still never measure on one core at once)."""
    if os.geteuid() == 0 and Path("/run").is_dir():
        path = Path("/run/afterburner") / name
        path.mkdir(parents=True, exist_ok=True)
        return path
    path = Path("/tmp") / f"afterburner-{name}"
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o777)
        path.chmod(0o1777)
    return path


def release(fd: int) -> None:
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
