"""Build and drive `abrun`, the C supervisor that spawns, limits, samples, feeds and times runs.

The binary is compiled once per host from the sources shipped in this package (`abrun/`; a C
compiler is needed the first time) and cached under the cache root, keyed by the sources' hash.

Everything a report says comes out of abrun's output stream (`abrun/main.c` documents it): one
record per run -- or per test, for a harness -- carrying the run's figures and, as counted bytes,
what the program printed; then a summary line; then the sampler's log. Nothing is read back from a
file the program could have written. With a streaming launcher (the local one) each record reaches
the caller the moment it is complete, and the caller may answer STOP: the run then ends at once,
which is how a wrong answer ends a test sequence without running the remaining tests.
"""

from __future__ import annotations

import array
import contextlib
import functools
import hashlib
import json
import os
import selectors
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from afterburner_core.errors import SandboxError
from afterburner_core.paths import cache_root
from afterburner_core.sandbox.scheduling.locks import file_lock

SOURCES_DIR = Path(__file__).with_name("abrun")
AGENT_SOURCE = Path(__file__).with_name("abagent.c")
INTERRUPTED_EXIT = 143  # abrun's exit status when it ended the job on a signal or its caller's death


def _supervisor_sources() -> list[Path]:
    return sorted(SOURCES_DIR.glob("*.[ch]"))


@functools.lru_cache(maxsize=1)
def supervisor_digest() -> str:
    """Identifies the supervisor build (its sources' hash): part of every calibration's key."""
    return _digest(tuple(_supervisor_sources()))


def supervisor_binary() -> Path:
    """Path of the compiled supervisor, building it if this host has none yet."""
    return _built(tuple(_supervisor_sources()), "abrun")


def agent_binary() -> Path:
    """Path of the compiled warm-container agent (`abagent.c`), used by the docker backend."""
    return _built((AGENT_SOURCE,), "abagent")


@functools.cache
def _digest(sources: tuple[Path, ...]) -> str:
    hasher = hashlib.sha256()
    for source in sources:
        hasher.update(source.name.encode() + b"\0" + source.read_bytes())
    return hasher.hexdigest()[:16]


def _built(sources: tuple[Path, ...], name: str) -> Path:
    """Compile a C tool shipped as source once per host, cached under the cache root by its hash."""
    target = cache_root() / "bin" / f"{name}-{_digest(sources)}"
    if target.exists():
        return target
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not compiler:
        raise SandboxError("Afterburner builds its supervisor once with a C compiler: apt-get install gcc")
    target.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(target.with_suffix(".lock")):
        if target.exists():
            return target
        tmp = target.with_suffix(f".tmp{os.getpid()}")
        units = [str(s) for s in sources if s.suffix == ".c"]
        proc = subprocess.run(
            [compiler, "-O2", "-pthread", "-o", str(tmp), *units], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise SandboxError(f"building {name} failed: {proc.stderr.strip()[:500]}")
        tmp.chmod(0o755)
        tmp.replace(target)
    return target


# ----------------------------------------------------------------------------------------------- records
@dataclass
class RunRecord:
    """One process run as the supervisor saw it (times CLOCK_MONOTONIC ns, memory KiB)."""

    index: int
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
    timed_out_test: int = -1  # harness: the test that overran its limit (-1: start-up)
    stopped: bool = False  # ended early on the caller's STOP (or a signal)
    lingered: bool = False  # harness: still running after its last test, killed
    startup_ns: int = 0  # harness: from exec to READY
    cpu_exact: bool = False  # harness: test CPU from a task-clock counter (else a tick coarse)
    orphan_cpu_us: int = 0  # CPU of orphaned descendants the supervisor reaped
    peak_rss_kb: int = 0
    peak_cgroup_kb: int = 0  # the job cgroup's charge above its level before the run (tmpfs, memfd...)
    stdout: bytes = b""
    stderr: bytes = b""

    @property
    def wall_ns(self) -> int:
        return max(0, self.end_ns - self.start_ns)

    @property
    def cpu_us(self) -> int:
        return self.utime_us + self.stime_us + self.orphan_cpu_us

    @property
    def peak_kb(self) -> int:
        return max(self.maxrss_kb, self.peak_sampled_kb)


@dataclass
class TestRecord:
    """One test of a harness run, stamped by the supervisor when the harness's messages arrived."""

    __test__ = False  # not a pytest class

    index: int
    status: str  # ok | error | output_limit (the harness's account of the call)
    begin_ns: int
    end_ns: int
    cpu_begin_ns: int
    cpu_end_ns: int
    gap_ns: int  # wall time between the previous test's end (or READY) and this begin
    gap_cpu_ns: int  # the job's CPU over that gap (per-process clocks: a scheduler tick coarse)
    input_bytes: int
    output: bytes = b""
    message: bytes = b""

    @property
    def wall_ns(self) -> int:
        return max(0, self.end_ns - self.begin_ns)

    @property
    def cpu_ns(self) -> int:
        return max(0, self.cpu_end_ns - self.cpu_begin_ns)


@dataclass
class SupervisorResult:
    runs: list[RunRecord]
    supervisor_ns: int
    sample_us: int
    tests: list[TestRecord] = field(default_factory=list)
    tampered: str | None = None  # why the harness's messages broke the protocol
    samples: list[tuple[int, int]] = field(default_factory=list)  # (t_ns, kb) when recorded


Record = RunRecord | TestRecord
RecordHandler = Callable[[Record], bool]  # False: stop the sequence now


class RecordParser:
    """Incremental parser of abrun's output stream (records, the report, the sample log)."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._header: dict | None = None
        self.runs: list[RunRecord] = []
        self.tests: list[TestRecord] = []
        self.report: dict | None = None
        self.tail = bytearray()  # the sample log, after the report

    def feed(self, data: bytes) -> list[Record]:
        if self.report is not None:
            self.tail += data
            return []
        self._buffer += data
        finished: list[Record] = []
        while self.report is None:
            if self._header is None:
                line_end = self._buffer.find(b"\n")
                if line_end < 0:
                    break
                try:
                    self._header = json.loads(self._buffer[:line_end])
                except json.JSONDecodeError as exc:
                    raise SandboxError(f"supervisor printed a malformed record: {bytes(self._buffer[:120])!r}") from exc
                del self._buffer[: line_end + 1]
                if self._header.get("type") == "report":
                    self.report, self._header = self._header, None
                    self.tail += self._buffer
                    self._buffer.clear()
                    break
            header = self._header
            kind = header.get("type")
            first, second = ("out_len", "err_len") if kind == "run" else ("output_len", "message_len")
            size_a, size_b = int(header.get(first, 0)), int(header.get(second, 0))
            if len(self._buffer) < size_a + size_b:
                break
            a, b = bytes(self._buffer[:size_a]), bytes(self._buffer[size_a : size_a + size_b])
            del self._buffer[: size_a + size_b]
            self._header = None
            fields = {k: v for k, v in header.items() if k not in ("type", first, second)}
            if kind == "run":
                run = RunRecord(**fields, stdout=a, stderr=b)
                self.runs.append(run)
                record: Record = run
            elif kind == "test":
                test = TestRecord(**fields, output=a, message=b)
                self.tests.append(test)
                record = test
            else:
                raise SandboxError(f"supervisor printed an unknown record type {kind!r}")
            finished.append(record)
        return finished


# ----------------------------------------------------------------------------------------------- options
@dataclass
class SupervisorOptions:
    cpu: int | None
    sampler_cpu: int | None
    timeout_ms: int  # per run; per test in harness mode
    memory_kb: int
    output_bytes: int
    fsize_bytes: int
    nproc: int
    sample_us: int = 50
    startup_ms: int = 10_000  # harness: until READY
    teardown_ms: int = 2_000  # harness: after the last test
    cgroup_join: list[str] = field(default_factory=list)
    cgroup_procs: str | None = None
    cgroup_memory: str | None = None
    container: bool = False  # the cgroup files are a container's (shared with the supervisor)
    netns: str | None = None
    cwd: Path | None = None
    harness: bool = False
    record_samples: bool = False  # the sampler's (t_ns, kb) log, returned in the result
    stop_on_failure: bool = False
    ipc_ns: bool = True  # a fresh IPC namespace per run (root only; ignored otherwise)
    seccomp: bool = True  # the program filter (jail.c); off for compilers
    # As root: run as this uid with no capabilities in a new root holding only the system paths,
    # `jail_ro` (toolchains, the artifact) and `jail_rw` (compiles: staging and build caches).
    jail_uid: int | None = None
    jail_ro: list[Path] = field(default_factory=list)
    jail_rw: list[Path] = field(default_factory=list)
    jail_hide: list[Path] = field(default_factory=list)
    jail_keep_cwd: bool = False

    def argv(self) -> list[str]:
        args = [
            f"--timeout-ms={self.timeout_ms}",
            f"--startup-ms={self.startup_ms}",
            f"--teardown-ms={self.teardown_ms}",
            f"--memory-kb={self.memory_kb}",
            f"--output-bytes={self.output_bytes}",
            f"--fsize-bytes={self.fsize_bytes}",
            f"--nproc={self.nproc}",
            f"--sample-us={self.sample_us}",
        ]
        flags = {
            "--container": self.container,
            "--harness": self.harness,
            "--samples": self.record_samples,
            "--stop-on-failure": self.stop_on_failure,
            "--ipc-ns": self.ipc_ns,
            "--seccomp": self.seccomp,
        }
        args += [flag for flag, on in flags.items() if on]
        values = {
            "--cpu": self.cpu,
            "--sampler-cpu": self.sampler_cpu,
            "--cgroup-procs": self.cgroup_procs,
            "--cgroup-memory": self.cgroup_memory,
            "--netns": self.netns,
            "--cwd": self.cwd,
        }
        args += [f"{flag}={value}" for flag, value in values.items() if value is not None]
        args += [f"--cgroup-join={path}" for path in self.cgroup_join]
        if self.jail_uid is not None:
            args.append(f"--jail-uid={self.jail_uid}")
            args += [f"--jail-ro={path}" for path in self.jail_ro]
            args += [f"--jail-rw={path}" for path in self.jail_rw]
            args += [f"--jail-hide={path}" for path in self.jail_hide]
            if self.jail_keep_cwd:
                args.append("--jail-keep-cwd")
        return args


class SupervisorKilled(SandboxError):
    """The supervisor died from a signal. Where the program shares its uid (docker, non-root
    local) that is the program's doing -- the engine turns it into the job's runtime error."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(f"the supervisor was killed by signal {signal_number}")
        self.signal_number = signal_number


class Interrupted(SandboxError):
    """The job was ended from outside (a signal to the supervisor, `terminate_all`)."""


@dataclass
class Launched:
    """How the supervisor process itself ended."""

    returncode: int
    stdout: bytes
    stderr: bytes


class Launcher(Protocol):
    """Where the supervisor runs: a subprocess here (local backend) or inside a warm container
    (docker backend). `binary` is the supervisor's path as the launcher's side sees it.
    `streams` says whether `on_output` sees the output as it is produced (and may answer STOP)."""

    binary: str
    streams: bool

    def __call__(
        self,
        command: list[str],
        env: dict[str, str],
        timeout_s: float,
        on_output: Callable[[bytes], bool] | None = None,
    ) -> Launched: ...


# The supervisors this process is running: `terminate_all` ends them (a signal handler's job).
_live: set[subprocess.Popen] = set()
_live_lock = threading.RLock()  # re-entrant: terminate_all may run in a signal handler inside a holder
_terminating = threading.Event()


def terminate_all() -> None:
    """End every job this process is running now, and refuse new ones: each supervisor kills its
    whole job and exits (`abrun` handles SIGTERM), within milliseconds."""
    _terminating.set()
    with _live_lock:
        running = list(_live)
    for proc in running:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)


class HostLauncher:
    """Runs the supervisor as a child of this process, streaming its output."""

    streams = True

    def __init__(self) -> None:
        self.binary = str(supervisor_binary())

    def __call__(
        self,
        command: list[str],
        env: dict[str, str],
        timeout_s: float,
        on_output: Callable[[bytes], bool] | None = None,
    ) -> Launched:
        if _terminating.is_set():
            raise Interrupted("this process is shutting down; no new jobs start")
        proc = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        with _live_lock:
            _live.add(proc)
        try:
            return self._drive(proc, timeout_s, on_output)
        finally:
            with _live_lock:
                _live.discard(proc)
            if proc.poll() is None:  # we are leaving early (an exception): let it end its job
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    @staticmethod
    def _drive(proc: subprocess.Popen, timeout_s: float, on_output: Callable[[bytes], bool] | None) -> Launched:
        assert proc.stdout is not None and proc.stderr is not None and proc.stdin is not None
        deadline = time.monotonic() + timeout_s
        out, err = bytearray(), bytearray()
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ, out)
        selector.register(proc.stderr, selectors.EVENT_READ, err)
        stopped = False
        with selector:
            while selector.get_map():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    proc.send_signal(signal.SIGTERM)  # abrun kills its job on SIGTERM
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        proc.wait(timeout=2)
                    raise SandboxError(f"supervisor did not finish within {timeout_s:.0f} s")
                for key, _ in selector.select(timeout=min(remaining, 1.0)):
                    chunk = os.read(key.fd, 1 << 16)
                    if not chunk:
                        selector.unregister(key.fileobj)
                        continue
                    if key.data is out and on_output is not None:
                        if not on_output(chunk) and not stopped:
                            stopped = True
                            with contextlib.suppress(BrokenPipeError, OSError):
                                proc.stdin.write(b"STOP\n")
                                proc.stdin.flush()
                        continue
                    key.data.extend(chunk)
        with contextlib.suppress(OSError):
            proc.stdin.close()
        returncode = proc.wait()
        return Launched(returncode, bytes(out), bytes(err))


def supervise(
    argv: list[str],
    inputs: list[Path],
    options: SupervisorOptions,
    env: dict[str, str],
    workdir: Path,
    launcher: Launcher | None = None,
    on_record: RecordHandler | None = None,
) -> SupervisorResult:
    """Run `argv` once per input (or, with ``options.harness``, once over all inputs as tests).

    `on_record` sees each run or test record as soon as it is complete (with a streaming
    launcher) and returns False to end the sequence there."""
    launcher = launcher or HostLauncher()
    inputs_file = workdir / ".abrun-inputs"
    inputs_file.write_text("".join(f"{path}\n" for path in inputs))
    streaming = on_record is not None and launcher.streams
    extra = ["--stream", "--control"] if streaming else []
    command = [launcher.binary, *options.argv(), *extra, f"--inputs={inputs_file}", "--", *argv]
    # The supervisor's own wall guard: every run's (or test's) timeout plus slack for spawning.
    count = max(1, len(inputs))
    guard_s = count * (options.timeout_ms / 1000 + 5) + options.startup_ms / 1000 + 30
    parser = RecordParser()
    delivered = 0

    def on_output(chunk: bytes) -> bool:
        nonlocal delivered
        keep_going = True
        for record in parser.feed(chunk):
            delivered += 1
            if on_record is not None and not on_record(record):
                keep_going = False
        return keep_going

    proc = launcher(command, env, guard_s, on_output if streaming else None)
    if proc.returncode == INTERRUPTED_EXIT:
        raise Interrupted("the job was interrupted (the supervisor received a termination signal)")
    if proc.returncode < 0:
        raise SupervisorKilled(-proc.returncode)
    if proc.returncode != 0:
        raise SandboxError(f"supervisor failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[:500]}")
    if not streaming:
        for record in parser.feed(proc.stdout):
            if on_record is not None:
                on_record(record)
    if parser.report is None:
        raise SandboxError(f"supervisor printed no report: {proc.stdout[:200]!r}")
    report = parser.report
    return SupervisorResult(
        runs=parser.runs,
        supervisor_ns=report["supervisor_ns"],
        sample_us=report["sample_us"],
        tests=parser.tests,
        tampered=report.get("tampered"),
        samples=parse_samples(bytes(parser.tail)) if options.record_samples else [],
    )


def parse_samples(data: bytes) -> list[tuple[int, int]]:
    """The (t_ns, kb) pairs of the sampler's log (two native int64 per sample)."""
    raw = array.array("q")
    raw.frombytes(data[: len(data) - len(data) % 16])
    return list(zip(raw[0::2], raw[1::2], strict=True))
