"""Kernel isolation the local backend uses when it can: cgroups (v1 or v2), a network namespace
and the supervisor's jail.

As root, each job gets its own cgroup (memory limit without swap, pids limit, exact OOM
detection, and a member list from which nothing escapes, not even a `setsid` daemon), joins an
empty network namespace (no interfaces but a down loopback), and its program runs jailed: as an
unprivileged uid of its own (one per measured core, so concurrent jobs cannot signal each other)
with no capabilities, in a mount namespace where everything but its scratch directory is
read-only and the host's temp directories are private tmpfs (abrun.c builds it). Without root
none of this exists; the supervisor then falls back to sampled-RSS memory enforcement,
RLIMIT_NPROC and a process-group plus subreaper sweep, and the program keeps the host's network
and the invoking user's file access (docs/threat-model.md says exactly what that means).
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from afterburner_core.paths import cache_root
from afterburner_core.sandbox.scheduling.locks import file_lock
from afterburner_core.sandbox.supervision.supervisor import supervisor_binary

CGROUP_ROOT = Path("/sys/fs/cgroup")
# Jailed programs run as JAIL_UID_BASE + their measured core: a uid no account uses, distinct per
# concurrent job (one job per core), so a job can signal only its own processes.
JAIL_UID_BASE = 2_000_000_000


@dataclass(eq=False)  # one object per job: held in a set by identity
class JobCgroup:
    """The cgroup directories of one job and how to read them back."""

    version: int
    dirs: dict[str, Path] = field(default_factory=dict)

    @property
    def join_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs.values()]

    container = False  # these files belong to the job alone

    @property
    def procs_file(self) -> str:
        key = "pids" if "pids" in self.dirs else next(iter(self.dirs))
        return str(self.dirs[key] / "cgroup.procs")

    @property
    def memory_file(self) -> str | None:
        """What the job is charged now (anonymous, shmem -- tmpfs, memfd -- and kernel memory)."""
        if "memory" not in self.dirs:
            return None
        return str(self.dirs["memory"] / ("memory.usage_in_bytes" if self.version == 1 else "memory.current"))

    def _read(self, controller: str, name: str) -> str | None:
        try:
            return (self.dirs[controller] / name).read_text()
        except (KeyError, OSError):
            return None

    def oom_kills(self) -> int:
        text = self._read("memory", "memory.oom_control" if self.version == 1 else "memory.events") or ""
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return 0

    def members(self) -> list[int]:
        text = self._read("pids" if "pids" in self.dirs else "memory", "cgroup.procs") or ""
        return [int(p) for p in text.split()]

    def remove(self) -> None:
        import signal
        import time

        deadline = time.monotonic() + 5
        for path in self.dirs.values():
            while True:
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    for pid in self.members():
                        with contextlib.suppress(ProcessLookupError, PermissionError):
                            os.kill(pid, signal.SIGKILL)
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.005)


def _own_path(controller: str) -> str:
    """This process's cgroup path for `controller` (v1) or the unified one ("" key, v2)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path
    return "/"


@functools.lru_cache(maxsize=1)
def cgroup_version() -> int:
    """2 for a writable unified hierarchy with memory+pids, 1 for writable v1, 0 for none."""
    if os.geteuid() != 0:
        return 0
    unified = CGROUP_ROOT / "cgroup.controllers"
    if unified.exists():
        controllers = unified.read_text().split()
        return 2 if {"memory", "pids"} <= set(controllers) else 0
    if (CGROUP_ROOT / "memory").is_dir() and (CGROUP_ROOT / "pids").is_dir():
        return 1
    return 0


def _write(path: Path, value: str) -> bool:
    try:
        path.write_text(value)
        return True
    except OSError:
        return False


@contextlib.contextmanager
def job_cgroup(memory_kb: int, pids: int) -> Iterator[JobCgroup | None]:
    """A fresh cgroup for one job with the limits set, removed (members killed) afterwards."""
    version = cgroup_version()
    group: JobCgroup | None = None
    name = f"afterburner/job-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        if version == 1:
            group = JobCgroup(1)
            for controller in ("memory", "pids"):
                parent = CGROUP_ROOT / controller / _own_path(controller).lstrip("/")
                path = parent / name
                path.mkdir(parents=True)
                group.dirs[controller] = path
            limit = str(memory_kb * 1024)
            mem = group.dirs["memory"]
            _write(mem / "memory.limit_in_bytes", limit)
            _write(mem / "memory.memsw.limit_in_bytes", limit)  # no swap escape where accounted
            _write(mem / "memory.swappiness", "0")
            _write(group.dirs["pids"] / "pids.max", str(pids))
        elif version == 2:
            group = JobCgroup(2)
            parent = CGROUP_ROOT / _own_path("").lstrip("/")
            path = parent / name
            path.mkdir(parents=True)
            group.dirs["memory"] = group.dirs["pids"] = path
            _write(path / "memory.max", str(memory_kb * 1024))
            _write(path / "memory.swap.max", "0")
            _write(path / "pids.max", str(pids))
    except OSError:
        if group:
            group.remove()
        group = None
    if group:
        with _live_groups_lock:
            _live_groups.add(group)
    try:
        yield group
    finally:
        if group:
            group.remove()
            with _live_groups_lock:
                _live_groups.discard(group)


# The job cgroups this process holds now: a process ending on a signal removes them itself, since
# it exits without unwinding (a job between its compile and its run has no supervisor to do it).
_live_groups: set[JobCgroup] = set()
_live_groups_lock = threading.RLock()  # re-entrant: the signal handler may run inside a holder


def remove_live_job_cgroups() -> None:
    """Kill the members of, and remove, every job cgroup this process holds (it is ending)."""
    with _live_groups_lock:
        groups = list(_live_groups)
    for group in groups:
        group.remove()


@functools.lru_cache(maxsize=1)
def sandbox_netns() -> str | None:
    """Path of a persistent empty network namespace (created once, root only), or None."""
    if os.geteuid() != 0:
        return None
    import subprocess

    run_dir = Path("/run/afterburner") if Path("/run").is_dir() else cache_root() / "run"
    path = run_dir / "netns-sandbox"
    with file_lock(run_dir / "netns.lock"):
        if _is_netns(path):
            return str(path)
        run_dir.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            [str(supervisor_binary()), f"--make-netns={path}"], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0 or not _is_netns(path):
            return None
    return str(path)


def _is_netns(path: Path) -> bool:
    """A bind-mounted namespace file differs from the plain file we created (its inode is nsfs)."""
    try:
        return path.exists() and os.stat(path).st_dev != os.stat(path.parent).st_dev
    except OSError:
        return False


@functools.lru_cache(maxsize=1)
def jail_available() -> bool:
    """Whether the supervisor can jail programs here: root, and mount namespaces permitted (a
    root user inside an unprivileged container may lack CAP_SYS_ADMIN). Probed once per process."""
    if os.geteuid() != 0:
        return False
    import subprocess

    proc = subprocess.run([str(supervisor_binary()), "--jail-probe"], capture_output=True, timeout=30, check=False)
    return proc.returncode == 0


# Compilers run jailed as one uid of their own: it owns the staging directory of each compile and
# the plugins' shared build caches (Go's), and can read nothing private of the host.
COMPILE_UID = JAIL_UID_BASE - 1


def compile_uid() -> int | None:
    """The uid compilers run as, or None where they cannot be jailed."""
    return COMPILE_UID if jail_available() else None


def own_tree(path: Path, uid: int) -> None:
    """Make `path` (created if missing) and everything under it belong to `uid` (once: a tree
    whose top already belongs to it is left alone). Symlinks are not followed."""
    path.mkdir(parents=True, exist_ok=True)
    if path.lstat().st_uid == uid:
        return
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, uid)
    os.lchown(path, uid, uid)


# What the jail's new root always holds (abrun/jail.c); other directories must be bound in.
JAIL_SYSTEM_PATHS = tuple(
    Path(p) for p in ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/sys")
)


def jail_binds(paths: list[Path]) -> list[Path]:
    """`paths` resolved, without duplicates, those inside another and those the system part of the
    jail already shows."""
    resolved = sorted({p.resolve() for p in paths}, key=lambda p: len(p.parts))
    kept: list[Path] = []
    for path in resolved:
        if any(
            path.is_relative_to(system) for system in JAIL_SYSTEM_PATHS if system.exists() and not system.is_symlink()
        ):
            continue
        if not any(path.is_relative_to(other) for other in kept):
            kept.append(path)
    return kept


def jail_hidden(candidates: list[Path], visible: list[Path]) -> list[Path]:
    """Of `candidates` (Afterburner's own packages and data, caches), those a jail binding `visible`
    would show -- they sit inside a bound directory -- and that hold nothing the run needs."""
    hidden = []
    for candidate in {c.resolve() for c in candidates}:
        inside = any(candidate.is_relative_to(v) and candidate != v for v in visible)
        needed = any(v.is_relative_to(candidate) for v in visible)
        if inside and not needed:
            hidden.append(candidate)
    return sorted(hidden)


def jail_uid(core: int) -> int | None:
    """The uid a job on `core` runs its program as, or None where programs cannot be jailed."""
    return JAIL_UID_BASE + core if jail_available() else None
