"""The `docker` backend: the local engine's measurement, run inside warm hardened containers.

Nothing about measuring changes: the same supervisor (abrun) runs the same plans with the same
sampler, rlimits and analysis -- it is merely launched inside the language's container by the
container's agent instead of as a child of this process (`containers.py`). What changes is where
the toolchain lives (found inside the image, once per image), where artifacts are compiled (in
the container, then published read-only by the host) and who owns the writable directories (the
container's unprivileged uid).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from afterburner_core.images import docker_client
from afterburner_core.languages import LanguageInfo
from afterburner_core.models import Limits
from afterburner_core.paths import cache_entries
from afterburner_core.registry import Registry
from afterburner_core.sandbox.backends.containers import WIPED_BETWEEN_JOBS, ContainerCgroup, ContainerPool
from afterburner_core.sandbox.backends.local import Job, LocalBackend
from afterburner_core.sandbox.measurement.compile_cache import CompileStore


class PublishingStore(CompileStore):
    """Compiles in the job's scratch (inside the container) and publishes a root-owned copy.

    Only directories and regular files are copied (a compiler that leaves a symlink or a device
    behind gets it dropped), set-id bits are cleared, and nothing in the cache stays writable by
    the container's uid -- so a program cannot rewrite the artifact another job will run.
    """

    def __init__(self, root: Path, job: Job) -> None:
        super().__init__(root)
        self.job = job

    def staging(self, key: str) -> Path:
        return self.job.private_dir(self.job.scratch / "compile" / key)

    def publish(self, staging: Path, final: Path) -> None:
        temporary = final.with_name(f"{final.name}.publish{os.getpid()}")
        shutil.rmtree(temporary, ignore_errors=True)
        _copy_plain_tree(staging, temporary)
        shutil.rmtree(final, ignore_errors=True)
        temporary.rename(final)


def _copy_plain_tree(source: Path, target: Path) -> None:
    target.mkdir(mode=0o755)
    with os.scandir(source) as entries:
        for entry in entries:
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(info.st_mode):
                _copy_plain_tree(Path(entry.path), target / entry.name)
            elif stat.S_ISREG(info.st_mode):
                destination = target / entry.name
                shutil.copyfile(entry.path, destination, follow_symlinks=False)
                destination.chmod(0o755 if info.st_mode & 0o111 else 0o644)


class DockerBackend(LocalBackend):
    """Runs jobs in the language plugins' images (``afterburner images build`` makes them).

    Options: `parallel` (measuring cores, default cores - 1), `warm` (reuse containers; False
    starts one per job, for comparison), `root` (host directory shared with containers) and
    `scratch_mb` (size of each container's scratch tmpfs).
    """

    name = "docker"

    def __init__(
        self,
        parallel: int | None = None,
        warm: bool = True,
        root: str | Path | None = None,
        scratch_mb: int = 1024,
        sample_us: int = 50,
        registry: Registry | None = None,
        client: Any = None,
    ) -> None:
        super().__init__(parallel=parallel, isolate=False, sample_us=sample_us, registry=registry)
        self.client = client or docker_client()
        self.containers = ContainerPool(
            self.client, self.pool.layout.housekeeping, Path(root) if root else None, warm=warm, scratch_mb=scratch_mb
        )
        atexit.register(self.close)

    def close(self) -> None:
        """Remove the containers this engine started."""
        self.containers.close()

    # ---------------------------------------------------------------- LocalBackend's seams
    def _language(self, name: str) -> LanguageInfo:
        info = self.registry.resolve_language(name)
        self.containers.image(info)
        return info

    @contextlib.contextmanager
    def _job(self, info: LanguageInfo, limits: Limits) -> Iterator[Job]:
        memory_mb = max(limits.memory_mb, limits.compile_memory_mb)
        with self.pool.acquire() as core, self.containers.lease(info, core, memory_mb) as slot:
            toolchain = self.containers.toolchain(info, slot)
            job = Job(
                core,
                slot.new_scratch(),
                ContainerCgroup(slot.init_pid),
                launcher=slot.launcher,
                owner=slot.uid,
                toolchain=toolchain,
                slot=slot,
            )
            try:
                yield self._prepared(job)
            finally:
                shutil.rmtree(job.scratch, ignore_errors=True)

    def _compile_store(self, job: Job) -> CompileStore:
        return PublishingStore(self.containers.root / "compile", job)

    def _environment(self, env: dict[str, str], job: Job) -> dict[str, str]:
        """Plugins may point caches under the host's cache root (Go's GOCACHE); in a container each
        job gets a private one instead, so no job can plant objects in another's build. Where the
        image ships the cache prebuilt (the plugin's `docker_cache_seeds`), the private one starts
        as hard links to the slot's read-only copy of it: the job reads the prebuilt entries,
        cannot change them, and whatever it adds dies with its scratch."""
        entries = cache_entries(env)
        if not entries:
            return env
        private = job.private_dir(job.scratch / "cache")
        seeds = self.registry.resolve_language(job.slot.key.language).plugin.docker_cache_seeds if job.slot else {}
        remapped = {}
        for key, relative in entries.items():
            target = private / relative
            if key in seeds and not target.exists():
                self.containers.seed_cache(job.slot, seeds[key], target)
            remapped[key] = str(target)
        return {**env, **remapped}

    def _between_runs(self, job: Job) -> None:
        super()._between_runs(job)
        if job.slot is not None:
            job.slot.channel.clean(WIPED_BETWEEN_JOBS)  # and /tmp, /dev/shm inside the container

    def _netns(self) -> str | None:
        return None  # the container has no network at all
