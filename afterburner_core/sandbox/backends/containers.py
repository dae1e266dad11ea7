"""Warm, hardened containers for the docker backend: one per (language, core), reused safely.

Every container runs the language plugin's image with no network, a read-only root filesystem,
all capabilities dropped, no-new-privileges, a pids and a memory limit, its cpuset pinned to the
job's core plus the housekeeping core, and an unprivileged uid of its own (so per-user process
limits and signals never cross containers). Its PID 1 is `abagent`, driven over the attached
stdin that only this process holds; if this process dies, stdin closes, the agent exits and
Docker removes the container (``auto_remove``) -- nothing outlives its owner.

Files: everything is bind-mounted at the *same path* inside and out, so plans built on the host
need no translation: `<root>/bin` (supervisor and agent, read-only), `<root>/resources` (plugin
harness files, read-only), `<root>/compile` (the compile cache, read-only: artifacts are
published by the host, root-owned) and the container's own slot directory (as root a
size-limited tmpfs mounted here, so a program that fills its disk fills only that).

Between jobs the agent SIGKILLs every other process in the container and empties /tmp and
/dev/shm; the host deletes the job's scratch. A container whose agent breaks, times out or
cannot get rid of a process is destroyed and replaced. Only containers labelled with this
pool's id are ever touched.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afterburner_core.errors import SandboxError, ToolchainMissingError
from afterburner_core.languages import LanguageInfo, ToolchainStatus, parse_version
from afterburner_core.paths import cache_root
from afterburner_core.sandbox.supervision.agent_channel import AgentChannel, AgentLauncher
from afterburner_core.sandbox.supervision.resources import publish_resources
from afterburner_core.sandbox.supervision.supervisor import agent_binary, supervisor_binary

POOL_LABEL = "org.afterburner.pool"
# The containers' seccomp profile. Docker's default refuses perf_event_open, which the supervisor
# needs for exact CPU stamps of each test (abrun/harness.c); this profile allows everything else
# Docker's default allows for an unprivileged container and refuses the rest. The program itself
# runs under the supervisor's own, narrower filter on top (abrun/jail.c: namespaces, AF_UNIX,
# affinity, perf_event_open included).
SECCOMP_DENIED = [
    "acct",
    "add_key",
    "bpf",
    "clock_adjtime",
    "clock_settime",
    "create_module",
    "delete_module",
    "finit_module",
    "get_kernel_syms",
    "init_module",
    "ioperm",
    "iopl",
    "kcmp",
    "kexec_file_load",
    "kexec_load",
    "keyctl",
    "lookup_dcookie",
    "mount",
    "move_mount",
    "name_to_handle_at",
    "nfsservctl",
    "open_by_handle_at",
    "open_tree",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "pivot_root",
    "query_module",
    "quotactl",
    "reboot",
    "request_key",
    "setns",
    "settimeofday",
    "stime",
    "swapoff",
    "swapon",
    "sysfs",
    "_sysctl",
    "umount",
    "umount2",
    "unshare",
    "uselib",
    "userfaultfd",
    "ustat",
    "vm86",
    "vm86old",
    "syslog",
]
SECCOMP_PROFILE = json.dumps(
    {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": list(SECCOMP_DENIED), "action": "SCMP_ACT_ERRNO", "errnoRet": 1}],
    }
)
LANGUAGE_LABEL = "org.afterburner.language"
CONTAINER_PATH = "/usr/local/bin:/usr/bin:/bin"
WIPED_BETWEEN_JOBS = ["/tmp", "/dev/shm"]
MEMORY_HEADROOM_MB = 256
PIDS_LIMIT = 1024
TMP_SIZE_MB = 64


def default_root() -> Path:
    """Host directory shared with the containers; must be traversable by their unprivileged uids."""
    configured = os.environ.get("AFTERBURNER_DOCKER_ROOT")
    if configured:
        return Path(configured)
    return Path("/var/lib/afterburner/docker") if os.geteuid() == 0 else cache_root() / "docker"


@dataclass(frozen=True)
class SlotKey:
    language: str
    core: int
    memory_mb: int


@dataclass
class Slot:
    """One warm container and what the host needs to drive it."""

    key: SlotKey
    container: Any
    channel: AgentChannel
    directory: Path
    uid: int
    init_pid: int
    image_id: str
    launcher: AgentLauncher
    tmpfs: bool = False
    jobs: int = 0

    def new_scratch(self) -> Path:
        self.jobs += 1
        scratch = self.directory / f"job-{self.jobs}"
        scratch.mkdir(mode=0o755)
        return scratch


class ContainerCgroup:
    """The container's cgroup: its OOM-kill counter read from the host (v1 or v2), and the member
    list and memory charge as the supervisor *inside* the container sees them (Docker mounts the
    container's own cgroup read-only at /sys/fs/cgroup). They include the agent and the supervisor,
    which abrun leaves out (``container``): every other process in a container is the job's."""

    join_files: list[str] = []
    container = True

    def __init__(self, init_pid: int) -> None:
        self._events: Path | None = None
        self.procs_file: str | None = None
        self.memory_file: str | None = None
        try:
            lines = Path(f"/proc/{init_pid}/cgroup").read_text().splitlines()
        except OSError:
            return
        for line in lines:
            _, controllers, path = line.split(":", 2)
            if "memory" in controllers.split(","):
                self._events = Path("/sys/fs/cgroup/memory") / path.lstrip("/") / "memory.oom_control"
                self.memory_file = "/sys/fs/cgroup/memory/memory.usage_in_bytes"
            elif "pids" in controllers.split(","):
                self.procs_file = "/sys/fs/cgroup/pids/cgroup.procs"
            elif controllers == "" and self._events is None:
                self._events = Path("/sys/fs/cgroup") / path.lstrip("/") / "memory.events"
                self.memory_file, self.procs_file = "/sys/fs/cgroup/memory.current", "/sys/fs/cgroup/cgroup.procs"

    def oom_kills(self) -> int:
        if self._events is None:
            return 0
        try:
            for line in self._events.read_text().splitlines():
                name, _, value = line.partition(" ")
                if name == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ContainerPool:
    """Warm containers per (language, core); `warm=False` makes one container per job instead."""

    def __init__(
        self, client: Any, housekeeping_core: int, root: Path | None = None, warm: bool = True, scratch_mb: int = 1024
    ) -> None:
        self.client = client
        self.housekeeping = housekeeping_core
        self.root = root or default_root()
        self.warm = warm
        self.scratch_mb = scratch_mb
        self.pool_id = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._idle: dict[tuple[str, int], Slot] = {}
        self._lock = threading.Lock()
        self._toolchains: dict[str, ToolchainStatus] = {}
        self._images: dict[str, Any] = {}
        self._uid_base = 100_000 + (os.getpid() % 5000) * 64
        self._uid_next = 0
        self._closed = False
        self._prepare_root()

    # ---------------------------------------------------------------- host directories
    def _prepare_root(self) -> None:
        for name in ("bin", "resources", "compile", "slots"):
            (self.root / name).mkdir(parents=True, exist_ok=True)
        for path in (self.root, *(self.root / n for n in ("bin", "resources", "compile", "slots"))):
            path.chmod(0o755)
        self._sweep_stale_slots()
        self.supervisor = self._publish_binary(supervisor_binary())
        self.agent = self._publish_binary(agent_binary())

    def _sweep_stale_slots(self) -> None:
        """Slot directories (tmpfs mounts) of pools whose process died: their containers are gone
        with them (StdinOnce + auto_remove), the mounts are not."""
        for directory in (self.root / "slots").iterdir():
            parts = directory.name.split("-")
            if len(parts) < 3 or not parts[1].isdigit() or _alive(int(parts[1])):
                continue
            self._unmount(directory, directory.is_mount())

    def _publish_binary(self, built: Path) -> str:
        target = self.root / "bin" / built.name
        if not target.exists():
            tmp = target.with_suffix(f".tmp{os.getpid()}")
            shutil.copyfile(built, tmp)
            tmp.chmod(0o755)
            tmp.replace(target)
        return str(target)

    # ---------------------------------------------------------------- leasing
    @contextlib.contextmanager
    def lease(self, info: LanguageInfo, core: int, memory_mb: int) -> Iterator[Slot]:
        """A clean container for one job on `core`; cleaned (or destroyed) when the job ends."""
        key = SlotKey(info.key, core, memory_mb)
        slot = self._take_idle(key) if self.warm else None
        if slot is None:
            slot = self._start(info, key)
        healthy = False
        try:
            yield slot
            healthy = True
        finally:
            self._give_back(slot, healthy)

    def _take_idle(self, key: SlotKey) -> Slot | None:
        with self._lock:
            slot = self._idle.pop((key.language, key.core), None)
        if slot is not None and (slot.key != key or slot.channel.broken):
            self._destroy(slot)
            return None
        return slot

    def _give_back(self, slot: Slot, healthy: bool) -> None:
        """The engine has removed the job's scratch; clean the rest or destroy the container."""
        keep = self.warm and healthy and not self._closed and not slot.channel.broken
        if keep:
            try:
                keep = slot.channel.clean(WIPED_BETWEEN_JOBS) == 0
            except SandboxError:
                keep = False
        if not keep:
            self._destroy(slot)
            return
        with self._lock:
            replaced = self._idle.get((slot.key.language, slot.key.core))
            self._idle[(slot.key.language, slot.key.core)] = slot
        if replaced is not None:
            self._destroy(replaced)

    # ---------------------------------------------------------------- container lifecycle
    def image(self, info: LanguageInfo) -> Any:
        """The language's image (looked up once: a missing one is a clear error before any work)."""
        import docker.errors

        cached = self._images.get(info.key)
        if cached is not None:
            return cached
        try:
            image = self._images[info.key] = self.client.images.get(info.docker_image)
            return image
        except docker.errors.ImageNotFound:
            raise ToolchainMissingError(
                f"the docker backend needs the image {info.docker_image}: afterburner images build -l {info.key}"
            ) from None

    def _start(self, info: LanguageInfo, key: SlotKey) -> Slot:
        from docker.types import LogConfig, Mount

        image = self.image(info)
        uid = self._next_uid()
        name = f"afterburner-{self.pool_id}-{info.key}-{key.core}-{secrets.token_hex(2)}"
        directory = self.root / "slots" / name
        directory.mkdir(mode=0o755)
        tmpfs = self._mount_tmpfs(directory)
        shared = ("bin", "resources", "compile")
        mounts = [Mount(str(self.root / d), str(self.root / d), type="bind", read_only=True) for d in shared]
        mounts.append(Mount(str(directory), str(directory), type="bind", read_only=False))
        memory = f"{key.memory_mb + MEMORY_HEADROOM_MB}m"
        api = self.client.api
        try:
            host_config = api.create_host_config(
                auto_remove=True,
                network_mode="none",
                read_only=True,
                cap_drop=["ALL"],
                security_opt=["no-new-privileges", f"seccomp={SECCOMP_PROFILE}"],
                pids_limit=PIDS_LIMIT,
                mem_limit=memory,
                memswap_limit=memory,
                cpuset_cpus=f"{key.core},{self.housekeeping}",
                ipc_mode="private",
                tmpfs={"/tmp": f"rw,nosuid,nodev,size={TMP_SIZE_MB}m,mode=1777"},
                mounts=mounts,
                log_config=LogConfig(type="none"),
            )
            # Not detached: Docker then closes the agent's stdin when our attachment ends
            # (StdinOnce), so the container dies with this process even if it is SIGKILLed.
            created = api.create_container(
                image.id,
                entrypoint=[self.agent],
                command=[],
                name=name,
                detach=False,
                stdin_open=True,
                tty=False,
                user=f"{uid}:{uid}",
                working_dir="/",
                environment={"PATH": CONTAINER_PATH},
                hostname="sandbox",
                labels={POOL_LABEL: self.pool_id, LANGUAGE_LABEL: info.key},
                host_config=host_config,
            )
            attached = api.attach_socket(created["Id"], params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            api.start(created["Id"])
            container = self.client.containers.get(created["Id"])
            channel = AgentChannel(attached, name)
            channel.ping()
        except Exception as exc:
            self._remove_container(name)
            self._unmount(directory, tmpfs)
            if isinstance(exc, SandboxError):
                raise
            raise SandboxError(f"cannot start a {info.key} container: {exc}") from exc
        launcher = AgentLauncher(channel, self.supervisor, directory)
        return Slot(
            key,
            container,
            channel,
            directory,
            uid,
            int(container.attrs["State"]["Pid"]),
            image.id,
            launcher,
            tmpfs=tmpfs,
        )

    def _next_uid(self) -> int:
        """A uid of its own per container; without root, the host user's (the host could not
        clean up files of another uid)."""
        if os.geteuid() != 0:
            return os.getuid()
        with self._lock:
            self._uid_next += 1
            return self._uid_base + self._uid_next % 64

    def _mount_tmpfs(self, directory: Path) -> bool:
        if os.geteuid() != 0 or not shutil.which("mount"):
            return False
        proc = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={self.scratch_mb}m,mode=0755,nosuid,nodev", "tmpfs", str(directory)],
            capture_output=True,
            check=False,
        )
        return proc.returncode == 0

    @staticmethod
    def _unmount(directory: Path, tmpfs: bool) -> None:
        if tmpfs:
            subprocess.run(["umount", "-l", str(directory)], capture_output=True, check=False)
        shutil.rmtree(directory, ignore_errors=True)

    def _remove_container(self, name: str) -> None:
        import docker.errors

        try:
            container = self.client.containers.get(name)
            if container.labels.get(POOL_LABEL) == self.pool_id:
                container.remove(force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            if "already in progress" not in str(exc):
                raise

    def _destroy(self, slot: Slot) -> None:
        slot.channel.close()
        with contextlib.suppress(Exception):
            self._remove_container(slot.container.name)
        self._unmount(slot.directory, slot.tmpfs)

    def close(self) -> None:
        """Remove this pool's containers (and only those)."""
        self._closed = True
        with self._lock:
            slots, self._idle = list(self._idle.values()), {}
        for slot in slots:
            self._destroy(slot)
        with contextlib.suppress(Exception):
            for container in self.client.containers.list(all=True, filters={"label": f"{POOL_LABEL}={self.pool_id}"}):
                container.remove(force=True)

    # ---------------------------------------------------------------- prebuilt caches
    def seed_cache(self, slot: Slot, image_path: str, target: Path) -> None:
        """Make `target` (in a job's scratch) a tree of hard links to the slot's read-only copy of
        the image's `image_path`; its directories belong to the container's uid, so the job may add
        entries but not alter those it was given. The copy is taken once per container."""
        seed = slot.directory / "seeds" / image_path.strip("/").replace("/", "_")
        if not seed.exists():
            staging = seed.with_name(seed.name + ".tmp")
            shutil.rmtree(staging, ignore_errors=True)
            staging.parent.mkdir(mode=0o755, exist_ok=True)
            source = Path(f"/proc/{slot.init_pid}/root") / image_path.strip("/")
            proc = subprocess.run(["cp", "-a", str(source), str(staging)], capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise SandboxError(
                    f"cannot copy {image_path} out of {slot.container.name}: {proc.stderr.strip()[:300]}"
                )
            for path in [staging, *staging.rglob("*")]:
                os.lchown(path, os.getuid(), os.getgid())
                if path.is_file() and not path.is_symlink():
                    path.chmod(0o444)
            staging.rename(seed)
        target.parent.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(["cp", "-al", str(seed), str(target)], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise SandboxError(f"cannot seed {target}: {proc.stderr.strip()[:300]}")
        for path in [target, *(p for p in target.rglob("*") if p.is_dir() and not p.is_symlink())]:
            os.chown(path, slot.uid, slot.uid)

    # ---------------------------------------------------------------- toolchains in images
    def toolchain(self, info: LanguageInfo, slot: Slot) -> ToolchainStatus:
        """Where the image keeps the plugin's executables, and their version (once per image)."""
        cached = self._toolchains.get(slot.image_id)
        if cached is not None:
            return cached
        names = list(info.plugin.toolchain_binaries)
        lookups = "; ".join(f"command -v {n} || echo" for n in names)
        version_argv = " ".join(info.plugin.toolchain_binaries[names[0]])
        script = f'{lookups}; echo "--"; "$(command -v {names[0]})" {version_argv} 2>&1'
        launched = slot.launcher(["/bin/sh", "-c", script], {"PATH": CONTAINER_PATH, "HOME": "/tmp"}, 60)
        head, _, version_text = launched.stdout.decode("utf-8", "replace").partition("--\n")
        paths = dict(zip(names, head.splitlines(), strict=False))
        missing = [n for n in names if not paths.get(n)]
        if missing:
            raise ToolchainMissingError(
                f"the image {info.docker_image} lacks {', '.join(missing)}: afterburner images build -l {info.key} --force"
            )
        status = ToolchainStatus(
            True, parse_version(version_text), "", {**paths, **publish_resources(info, self.root / "resources")}
        )
        self._toolchains[slot.image_id] = status
        return status
