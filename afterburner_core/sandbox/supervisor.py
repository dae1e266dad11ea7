"""Build and drive `abrun`, the C supervisor that spawns, limits, samples and times each run.

The binary is compiled once per host from the source shipped in this package (a C compiler is
needed the first time) and cached under the cache root, keyed by the source's hash.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from afterburner_core.errors import SandboxError
from afterburner_core.paths import cache_root
from afterburner_core.sandbox.locks import file_lock

SOURCE = Path(__file__).with_name("abrun.c")
AGENT_SOURCE = Path(__file__).with_name("abagent.c")


@functools.lru_cache(maxsize=1)
def supervisor_digest() -> str:
    """Identifies the supervisor build (its source hash): part of every calibration's key."""
    return _digest(SOURCE)


def supervisor_binary() -> Path:
    """Path of the compiled supervisor, building it if this host has none yet."""
    return _built(SOURCE, "abrun")


def agent_binary() -> Path:
    """Path of the compiled warm-container agent (`abagent.c`), used by the docker backend."""
    return _built(AGENT_SOURCE, "abagent")


@functools.cache
def _digest(source: Path) -> str:
    return hashlib.sha256(source.read_bytes()).hexdigest()[:16]


def _built(source: Path, name: str) -> Path:
    """Compile a C tool shipped as source once per host, cached under the cache root by its hash."""
    target = cache_root() / "bin" / f"{name}-{_digest(source)}"
    if target.exists():
        return target
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not compiler:
        raise SandboxError("Afterburner builds its supervisor once with a C compiler: apt-get install gcc")
    with file_lock(target.with_suffix(".lock")):
        if target.exists():
            return target
        tmp = target.with_suffix(f".tmp{os.getpid()}")
        proc = subprocess.run(
            [compiler, "-O2", "-pthread", "-o", str(tmp), str(source)], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise SandboxError(f"building {name} failed: {proc.stderr.strip()[:500]}")
        tmp.chmod(0o755)
        tmp.replace(target)
    return target


@dataclass
class RunRecord:
    """One process run as the supervisor saw it (times CLOCK_MONOTONIC ns, memory KiB)."""

    exit_code: int
    signal: int
    spawn_error: str | None
    timed_out: bool
    output_exceeded: bool
    memory_exceeded: bool
    start_ns: int
    end_ns: int
    utime_us: int
    stime_us: int
    maxrss_kb: int
    stdout_bytes: int
    stderr_bytes: int
    samples: int
    peak_sampled_kb: int
    integral_kb_ns: float
    instructions: int = -1  # user-space instructions (perf counter); -1 where unavailable

    @property
    def wall_ns(self) -> int:
        return max(0, self.end_ns - self.start_ns)

    @property
    def cpu_us(self) -> int:
        return self.utime_us + self.stime_us

    @property
    def peak_kb(self) -> int:
        return max(self.maxrss_kb, self.peak_sampled_kb)


@dataclass
class SupervisorResult:
    runs: list[RunRecord]
    supervisor_ns: int
    sample_us: int
    samples: list[tuple[int, int]] = field(default_factory=list)  # (t_ns, rss_kb) when recorded
    cgroup: dict[str, int] = field(default_factory=dict)


@dataclass
class SupervisorOptions:
    cpu: int | None
    sampler_cpu: int | None
    timeout_ms: int
    memory_kb: int
    output_bytes: int
    fsize_bytes: int
    nproc: int
    sample_us: int = 50
    cgroup_join: list[str] = field(default_factory=list)
    cgroup_procs: str | None = None
    netns: str | None = None
    cwd: Path | None = None
    record_samples: bool = False  # the sampler's (t_ns, rss_kb) log, returned in the result
    stop_on_failure: bool = False
    # As root: run the program as this uid with no capabilities in a read-only mount namespace in
    # which only `jail_scratch` is bound back and only `jail_writable` (inside it) is writable to it.
    jail_uid: int | None = None
    jail_scratch: Path | None = None
    jail_writable: list[Path] = field(default_factory=list)
    # compiles: keep the real cwd (the staging directory) and bind these back writable too
    jail_keep_cwd: bool = False
    jail_bind_rw: list[Path] = field(default_factory=list)
    # visible read-only although under a path the jail replaces (a cache root under /tmp)
    jail_bind_ro: list[Path] = field(default_factory=list)

    def argv(self) -> list[str]:
        args = [
            f"--timeout-ms={self.timeout_ms}",
            f"--memory-kb={self.memory_kb}",
            f"--output-bytes={self.output_bytes}",
            f"--fsize-bytes={self.fsize_bytes}",
            f"--nproc={self.nproc}",
            f"--sample-us={self.sample_us}",
        ]
        if self.cpu is not None:
            args.append(f"--cpu={self.cpu}")
        if self.sampler_cpu is not None:
            args.append(f"--sampler-cpu={self.sampler_cpu}")
        args += [f"--cgroup-join={path}" for path in self.cgroup_join]
        if self.cgroup_procs:
            args.append(f"--cgroup-procs={self.cgroup_procs}")
        if self.netns:
            args.append(f"--netns={self.netns}")
        if self.cwd:
            args.append(f"--cwd={self.cwd}")
        if self.record_samples:
            args.append("--samples-out=-")
        if self.stop_on_failure:
            args.append("--stop-on-failure")
        if self.jail_uid is not None:
            args.append(f"--jail-uid={self.jail_uid}")
            if self.jail_scratch:
                args.append(f"--jail-scratch={self.jail_scratch}")
            args += [f"--jail-writable={path}" for path in self.jail_writable]
            args += [f"--jail-bind-ro={path}" for path in self.jail_bind_ro]
            args += [f"--jail-bind-rw={path}" for path in self.jail_bind_rw]
            if self.jail_keep_cwd:
                args.append("--jail-keep-cwd")
        return args


class SupervisorKilled(SandboxError):
    """The supervisor died from a signal. Where the program shares its uid (docker, non-root
    local) that is the program's doing -- the engine turns it into the job's runtime error."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(f"the supervisor was killed by signal {signal_number}")
        self.signal_number = signal_number


@dataclass
class Launched:
    """How the supervisor process itself ended."""

    returncode: int
    stdout: bytes
    stderr: bytes


class Launcher(Protocol):
    """Where the supervisor runs: a subprocess here (local backend) or inside a warm container
    (docker backend). `binary` is the supervisor's path as the launcher's side sees it."""

    binary: str

    def __call__(self, command: list[str], env: dict[str, str], timeout_s: float) -> Launched: ...


class HostLauncher:
    """Runs the supervisor as a child of this process."""

    def __init__(self) -> None:
        self.binary = str(supervisor_binary())

    def __call__(self, command: list[str], env: dict[str, str], timeout_s: float) -> Launched:
        try:
            proc = subprocess.run(command, env=env, capture_output=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired as exc:
            raise SandboxError(f"supervisor did not finish within {timeout_s:.0f} s") from exc
        return Launched(proc.returncode, proc.stdout, proc.stderr)


def supervise(
    argv: list[str],
    runs: list[tuple[Path, Path, Path]],
    options: SupervisorOptions,
    env: dict[str, str],
    workdir: Path,
    launcher: Launcher | None = None,
) -> SupervisorResult:
    """Run `argv` once per (stdin, stdout, stderr) triple, sequentially, under `options`."""
    launcher = launcher or HostLauncher()
    runs_file = workdir / ".abrun-runs"
    runs_file.write_text("".join(f"{i}\t{o}\t{e}\n" for i, o, e in runs))
    command = [launcher.binary, *options.argv(), f"--runs={runs_file}", "--", *argv]
    # The supervisor's own wall guard: every run's timeout plus slack for spawning and sweeping.
    guard_s = len(runs) * (options.timeout_ms / 1000 + 5) + 30
    proc = launcher(command, env, guard_s)
    if proc.returncode < 0:
        raise SupervisorKilled(-proc.returncode)
    if proc.returncode != 0:
        raise SandboxError(f"supervisor failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[:500]}")
    report, _, raw_samples = proc.stdout.partition(b"\n")
    try:
        data = json.loads(report)
    except json.JSONDecodeError as exc:
        raise SandboxError(f"supervisor printed no report: {proc.stdout[:200]!r}") from exc
    return SupervisorResult(
        runs=[RunRecord(**run) for run in data["runs"]],
        supervisor_ns=data["supervisor_ns"],
        sample_us=data["sample_us"],
        samples=parse_samples(raw_samples) if options.record_samples else [],
    )


def parse_samples(data: bytes) -> list[tuple[int, int]]:
    """The (t_ns, rss_kb) pairs of the sampler's log (two native int64 per sample)."""
    import array

    raw = array.array("q")
    raw.frombytes(data[: len(data) - len(data) % 16])
    return list(zip(raw[0::2], raw[1::2], strict=True))
