"""The measurement engine of the local backend: compile once, run under limits, measure, repeat.

Every job holds one exclusive core for its whole duration (compile, calibration and the measured
runs), so measured programs never share a core; the supervisor and its sampler run on the
housekeeping core. A language is reached through its plugin object, which the registry returns for
its key (`LanguageInfo.plugin`); only the broadcast hook ``afterburner_measure`` goes through pluggy.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import shutil
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import afterburner_core
from afterburner_core.errors import AfterburnerError, SandboxError
from afterburner_core.host import host_fingerprint
from afterburner_core.languages import CompilePlan, LanguageInfo, RunPlan, ToolchainStatus, package_dir
from afterburner_core.models import (
    CompileInfo,
    ExecutionRequest,
    Interval,
    Limits,
    ProblemRunRequest,
    RunReport,
    Verdict,
)
from afterburner_core.paths import cache_entries, cache_root
from afterburner_core.plugins import get_registry
from afterburner_core.problems import evaluator_of, problem_tests, runner_source
from afterburner_core.registry import Registry
from afterburner_core.sandbox.measurement import analysis, stats
from afterburner_core.sandbox.measurement.analysis import Baseline, Outcome
from afterburner_core.sandbox.measurement.compile_cache import CompileResult, CompileStore, compile_cached
from afterburner_core.sandbox.measurement.diagnostics import compile_failure
from afterburner_core.sandbox.scheduling.scheduler import CorePool
from afterburner_core.sandbox.supervision.isolation import (
    compile_uid,
    jail_binds,
    jail_hidden,
    jail_uid,
    job_cgroup,
    own_tree,
    sandbox_netns,
)
from afterburner_core.sandbox.supervision.resources import publish_resources
from afterburner_core.sandbox.supervision.scratch import job_scratch, sweep_orphaned_scratch
from afterburner_core.sandbox.supervision.supervisor import (
    Launcher,
    RecordHandler,
    SupervisorKilled,
    SupervisorOptions,
    SupervisorResult,
    supervise,
    supervisor_digest,
)

BASE_PATH = "/usr/local/bin:/usr/bin:/bin"
STDOUT_REPORT_LIMIT = 1 << 20
HARNESS_STARTUP_ALLOWANCE_S = 10.0  # an interpreter or a JVM starting on a loaded core
HARNESS_TEARDOWN_ALLOWANCE_S = 2.0  # exiting after the last test
CALIBRATION_RUNS = 11
BASELINE_MAX_AGE_S = 24 * 3600


class OomCounter(Protocol):
    """The memory cgroup a job's runs are charged to (a job cgroup here, a container in docker):
    the files the supervisor joins, lists members from and samples the charge of (as seen where
    the supervisor runs), and the OOM-kill counter (read here)."""

    @property
    def join_files(self) -> list[str]: ...

    @property
    def procs_file(self) -> str | None: ...

    @property
    def memory_file(self) -> str | None: ...

    @property
    def container(self) -> bool: ...

    def oom_kills(self) -> int: ...


@dataclass
class Job:
    """What one measured job holds: its core, scratch directory, launcher and memory cgroup.

    `scratch` is written only by the engine: the tests' inputs (`tests/`, read by the supervisor,
    never by the program) and what the supervisor needs (`io/`). The program's only place is
    `work/`, its cwd and HOME -- a fresh private tmpfs per run in the local jail, emptied between
    runs elsewhere -- which `private_dir` hands to `owner` (the docker backend's unprivileged uid;
    None leaves ownership alone).
    """

    core: int
    scratch: Path
    cgroup: OomCounter | None
    launcher: Launcher | None = None
    owner: int | None = None
    toolchain: ToolchainStatus | None = None
    slot: Any = None  # the docker backend's container
    last_result: SupervisorResult | None = None  # for the plugins' measure hook
    visible: list[Path] = field(default_factory=list)  # what a jailed run needs bound in: toolchains

    @property
    def io(self) -> Path:
        return self.scratch / "io"

    def private_dir(self, path: Path) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        if self.owner is not None:
            os.chown(path, self.owner, self.owner)
        return path


@dataclass
class StartupProbe:
    """The empty program of a process-per-test language, compiled for one job.

    Each test of such a language is a process, and the cost of starting one is not the solution's:
    it is subtracted. A start-up cost cached for a day was wrong within the hour on this project's
    2-core host -- an empty C++ program cost 0.96 ms of CPU when the cache was written and 2.2 ms
    an hour later, so a solution whose 21 tests took 2.4 ms beyond start-up then measured 16-27 ms
    now (all of it start-up), and a calibration could not be compared with anything. Measured
    beside every run, start-up drifts with the tests it is subtracted from.
    """

    plan: RunPlan
    artifact: Path
    runs: int


class LocalBackend:
    """Runs ExecutionRequests and ProblemRunRequests on this host: the `local` backend, and the
    engine the docker backend extends (it overrides where code runs, not how it is measured)."""

    name = "local"

    def __init__(
        self,
        parallel: int | None = None,
        isolate: bool = True,
        sample_us: int = 50,
        registry: Registry | None = None,
    ) -> None:
        self.pool = CorePool(parallel)
        self.isolate = isolate
        self.sample_us = sample_us
        self.registry = registry or get_registry()
        _sweep_once()
        self._baselines: dict[str, Baseline] = {}
        self._resources: dict[str, dict[str, str]] = {}

    @property
    def parallel(self) -> int:
        return self.pool.parallel

    @property
    def cores(self) -> tuple[int, ...]:
        """The measuring cores this backend pins jobs to."""
        return tuple(self.pool.cores)

    def close(self) -> None:
        """Nothing to release: every job cleans up after itself."""

    @functools.cached_property
    def _hidden_from_jails(self) -> list[Path]:
        """What jails hide (`_secret_places`): fixed for a backend's life, so not rebuilt per job."""
        return _secret_places(self.registry)

    # ------------------------------------------------------------------ public API
    def execute(self, request: ExecutionRequest) -> RunReport:
        """A whole program with stdin: the Monolith /execute semantics."""
        info = self._language(request.language)
        with self._job(info, request.limits) as job:
            compiled = self._compile(info, request.code, "program", request.limits, job)
            if not compiled.ok:
                return _compile_error_report(info, compiled, self.name)
            plan = self._run_plan(info, compiled, "program", request.limits, job)
            stdin = job.scratch / "tests" / "stdin"
            data = request.stdin.encode("utf-8", "surrogateescape") if isinstance(request.stdin, str) else request.stdin
            stdin.write_bytes(data)
            baseline = self._baseline(info, job, request.limits)

            def once() -> Outcome:
                result, oom = self._supervise(plan, [stdin], request.limits, job, compiled.artifact)
                return analysis.program_outcome(result, oom, STDOUT_REPORT_LIMIT)

            report = self._repeat(info, compiled, request.repeat, once, job, 1)
            report.startup_ms = round(baseline.wall_ms, 3)  # type: ignore[attr-defined]
            return report

    def run_problem(self, request: ProblemRunRequest) -> RunReport:
        """A solution against a problem's tests through the language's runner, under the problem's
        own limits where the request sets none."""
        request = request.model_copy(update={"limits": request.problem.limits_for(request.limits)})
        info = self._language(request.language)
        source = runner_source(request.problem, info, request.code)
        tests = request.tests if request.tests is not None else problem_tests(request.problem)
        judge = analysis.TestJudge(tests, evaluator_of(request.problem))
        with self._job(info, request.limits) as job:
            compiled = self._compile(info, source, "tests", request.limits, job)
            if not compiled.ok:
                report = _compile_error_report(info, compiled, self.name)
                report.tests_total = len(tests)
                return report
            plan = self._run_plan(info, compiled, "tests", request.limits, job)
            inputs = []
            for index, test in enumerate(tests):
                inputs.append(job.scratch / "tests" / f"{index}.in")
                inputs[-1].write_text(test.input, encoding="utf-8", errors="surrogateescape")
            assert compiled.artifact is not None
            if plan.test_mode == "harness":
                once = self._harness_runner(plan, inputs, judge, request.limits, job, compiled.artifact)
            else:
                probe = self._startup_probe(info, job, request.limits, len(tests))
                fallback = functools.partial(self._baseline, info, job, request.limits)
                once = self._process_runner(
                    plan, inputs, judge, probe, fallback, request.limits, job, compiled.artifact
                )
            return self._repeat(info, compiled, request.repeat, once, job, len(tests))

    # ------------------------------------------------------------------ test runners
    def _process_runner(
        self,
        plan: RunPlan,
        inputs: list[Path],
        judge: analysis.TestJudge,
        probe: StartupProbe | None,
        fallback: Callable[[], Baseline],
        limits: Limits,
        job: Job,
        artifact: Path,
    ) -> Callable[[], Outcome]:
        """Each run measures the language's empty program first (`StartupProbe`), and the tests'
        processes are charged only what they cost beyond it; only when the probe cannot run is the
        day-long cached start-up (`fallback`) looked up."""

        def once() -> Outcome:
            baseline = (self._probe_startup(probe, limits, job) if probe else None) or fallback()
            result, oom = self._supervise(
                plan, inputs, limits, job, artifact, stop_on_failure=True, on_record=judge.keeps_going
            )
            return analysis.process_tests_outcome(result, judge.tests, judge, baseline, oom)

        return once

    def _startup_probe(self, info: LanguageInfo, job: Job, limits: Limits, tests: int) -> StartupProbe | None:
        """The language's empty program, compiled for this job (from the compile cache after the
        first time), to be run `min(tests, CALIBRATION_RUNS)` times before each run of the tests."""
        compiled = self._compile(info, info.plugin.empty_program, "program", limits, job)
        if not compiled.ok or compiled.artifact is None:
            return None
        plan = self._run_plan(info, compiled, "program", limits, job)
        return StartupProbe(plan, compiled.artifact, max(1, min(tests, CALIBRATION_RUNS)))

    def _probe_startup(self, probe: StartupProbe, limits: Limits, job: Job) -> Baseline | None:
        """The start-up cost of a process of the language *now*: the median over the probe's runs
        (None if the empty program did not run cleanly: the cached baseline stands in)."""
        result, _ = self._supervise(probe.plan, [Path("/dev/null")] * probe.runs, limits, job, probe.artifact)
        if len(result.runs) < probe.runs or not all(analysis.clean_exit(r) for r in result.runs):
            return None
        return analysis.startup_baseline(result.runs, statistics.median)

    def _harness_runner(
        self,
        plan: RunPlan,
        inputs: list[Path],
        judge: analysis.TestJudge,
        limits: Limits,
        job: Job,
        artifact: Path,
    ) -> Callable[[], Outcome]:
        harness_plan = RunPlan([*plan.argv, str(limits.output_kb * 1024)], plan.env, "harness")

        def once() -> Outcome:
            result, oom = self._supervise(
                harness_plan,
                inputs,
                limits,
                job,
                artifact,
                record_samples=True,
                stop_on_failure=True,
                on_record=judge.keeps_going,
            )
            return analysis.harness_tests_outcome(result, judge.tests, judge, oom, result.samples)

        return once

    # ------------------------------------------------------------------ repeats
    def _repeat(
        self,
        info: LanguageInfo,
        compiled: CompileResult,
        repeat: int | str,
        measure: Callable[[], Outcome],
        job: Job,
        tests_total: int,
    ) -> RunReport:
        def once() -> Outcome:
            if job.last_result is not None:
                self._between_runs(job)
            try:
                measured = measure()
            except SupervisorKilled as killed:
                return Outcome(
                    Verdict.runtime_error,
                    0,
                    tests_total,
                    None,
                    signal=killed.signal_number,
                    stderr=f"[afterburner] {killed}: the program may not signal its supervisor",
                )
            outcome = analysis.reclassify_memory(measured, info.memory_error_markers)
            if job.last_result is not None:
                for extras in self.registry.hook.afterburner_measure(
                    language=info.key, result=job.last_result, workdir=job.io
                ):
                    outcome.extras.update(extras or {})
            return outcome

        outcomes = [once()]
        first = outcomes[0]
        if first.verdict == Verdict.accepted and first.measurement is not None:
            while True:
                count = len(outcomes)
                if repeat == "auto":
                    times = [o.measurement.time_ms for o in outcomes if o.measurement]
                    if stats.auto_repeat_done(times):
                        break
                elif count >= int(repeat):
                    break
                outcome = once()
                if outcome.verdict != Verdict.accepted or outcome.measurement is None:
                    first = outcome  # a flaky failure on a repeat is still a failure
                    outcomes = [outcome]
                    break
                outcomes.append(outcome)
        return _report(info, compiled, first, outcomes, self.name)

    # ------------------------------------------------------------------ what backends override
    def _language(self, name: str) -> LanguageInfo:
        """Resolve a language and check its toolchain is usable where this backend runs code."""
        return self.registry.require_toolchain(name)

    def _toolchain(self, info: LanguageInfo) -> ToolchainStatus:
        """The host's toolchain, plus the plugin's resources published where a jailed run sees them."""
        status = info.toolchain()
        if not info.plugin.resources:
            return status
        published = self._resources.get(info.key)
        if published is None:
            published = self._resources[info.key] = publish_resources(info, cache_root() / "resources")
        return dataclasses.replace(status, paths={**status.paths, **published})

    @contextlib.contextmanager
    def _job(self, info: LanguageInfo, limits: Limits) -> Iterator[Job]:
        with self.pool.acquire() as core:
            cgroup_context = (
                job_cgroup(limits.memory_mb * 1024, limits.pids) if self.isolate else contextlib.nullcontext()
            )
            with cgroup_context as cgroup, job_scratch() as scratch:
                toolchain = self._toolchain(info)
                job = Job(
                    core, scratch, cgroup, toolchain=toolchain, visible=info.plugin.toolchain_roots(toolchain.paths)
                )
                yield self._prepared(job)

    def _compile_store(self, job: Job) -> CompileStore:
        return CompileStore(cache_root() / "compile")

    def _environment(self, env: dict[str, str], job: Job) -> dict[str, str]:
        """The environment as the program will see it (the docker backend remaps host paths)."""
        return env

    def _netns(self) -> str | None:
        """The network namespace runs join (an empty one, as root); None where the backend has one."""
        return sandbox_netns() if self.isolate else None

    def _jail(self, uid: int | None, visible: list[Path], writable: list[Path] | None = None) -> dict[str, Any]:
        """Supervisor options that jail a run as `uid` in a root holding only the system
        directories, `visible` (read-only) and `writable`; {} where jails are unavailable. What
        the jail must never show even inside a visible directory (Afterburner's own packages and
        data in a site-packages, the hub and Afterburner caches) is covered up."""
        if uid is None:
            return {}
        ro = jail_binds(visible)
        return {
            "jail_uid": uid,
            "jail_ro": ro,
            "jail_rw": jail_binds(writable or []),
            "jail_hide": jail_hidden(self._hidden_from_jails, ro),
        }

    def _compile_jail(self, env: dict[str, str], staging: Path, job: Job) -> dict[str, Any]:
        """As root, compilers run jailed like programs (their own uid, a new root without the
        host's files): a source must not make its compiler read a host secret into an error
        message or a binary (`#include "/root/.ssh/id_rsa"`). The staging directory and the
        plugins' build caches under the cache root (Go's) are writable for that uid."""
        uid = compile_uid() if self.isolate else None
        if uid is None:
            return {}
        caches = sorted({cache_root() / relative for relative in cache_entries(env).values()})
        for cache in caches:
            own_tree(cache, uid)
        os.chown(staging, uid, uid)
        return {**self._jail(uid, job.visible, [staging, *caches]), "jail_keep_cwd": True}

    def _between_runs(self, job: Job) -> None:
        """Each repeat starts from an empty working directory: a program must not answer its second
        run from files its first run left behind (a cache would fake a fast median). (The local
        jail mounts a fresh tmpfs there anyway; without it, this is what clears it.)"""
        work = job.scratch / "work"
        shutil.rmtree(work, ignore_errors=True)
        job.private_dir(work)

    # ------------------------------------------------------------------ plumbing
    @staticmethod
    def _prepared(job: Job) -> Job:
        job.scratch.chmod(0o755)
        job.private_dir(job.scratch / "tests").chmod(0o700)  # inputs: for the supervisor to read
        job.private_dir(job.io)
        job.private_dir(job.scratch / "work")
        return job

    def _compile(self, info: LanguageInfo, source: str, purpose: str, limits: Limits, job: Job) -> CompileResult:
        plan: CompilePlan | None = info.plugin.afterburner_compile(
            language=info.key, source=source, workdir=job.scratch, purpose=purpose, toolchain=job.toolchain
        )
        if plan is None:
            raise SandboxError(f"the {info.key} plugin returned no compile plan")
        plan.env = self._environment(plan.env, job)

        def run_command(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[bool, str]:
            options = SupervisorOptions(
                cpu=job.core,
                sampler_cpu=self.pool.layout.housekeeping,
                timeout_ms=int(limits.compile_timeout_s * 1000),
                memory_kb=limits.compile_memory_mb * 1024,
                output_bytes=1 << 20,
                fsize_bytes=1 << 30,
                nproc=4096,
                sample_us=1000,
                cwd=cwd,
                netns=self._netns(),
                seccomp=False,
                **self._compile_jail(plan.env, cwd, job),
            )
            inputs = job.private_dir(job.io / "compile")
            result = supervise(argv, [Path("/dev/null")], options, env, inputs, job.launcher)
            run = result.runs[0]
            output = analysis.decode(run.stderr + run.stdout)
            broken = analysis.limit_verdict(run, False)
            if broken is None:
                return True, analysis.tail(output.encode(), 2000)  # warnings, if any
            if run.timed_out:
                output = f"[afterburner] compilation exceeded {limits.compile_timeout_s:g} s\n{output}"
            elif run.memory_exceeded:
                output = f"[afterburner] compilation exceeded {limits.compile_memory_mb} MiB\n{output}"
            elif not output.strip():
                output = broken[1]
            return False, compile_failure(
                argv, output, info.plugin.compile_error_pattern, info.plugin.compile_error_context
            )

        return compile_cached(plan, run_command, _base_env(job.scratch), self._compile_store(job))

    def _run_plan(self, info: LanguageInfo, compiled: CompileResult, mode: str, limits: Limits, job: Job) -> RunPlan:
        assert compiled.artifact is not None
        plan: RunPlan | None = info.plugin.afterburner_run(
            language=info.key, artifact=compiled.artifact, mode=mode, limits=limits, toolchain=job.toolchain
        )
        if plan is None:
            raise SandboxError(f"the {info.key} plugin returned no run plan")
        return plan

    def _supervise(
        self,
        plan: RunPlan,
        inputs: list[Path],
        limits: Limits,
        job: Job,
        artifact: Path | None,
        record_samples: bool = False,
        stop_on_failure: bool = False,
        on_record: RecordHandler | None = None,
    ) -> tuple[SupervisorResult, bool]:
        cgroup = job.cgroup
        before = cgroup.oom_kills() if cgroup else 0
        visible = [*job.visible, *([artifact] if artifact is not None else [])]
        options = SupervisorOptions(
            cpu=job.core,
            sampler_cpu=self.pool.layout.housekeeping,
            timeout_ms=int(limits.timeout_s * 1000),
            startup_ms=int(HARNESS_STARTUP_ALLOWANCE_S * 1000),
            teardown_ms=int(HARNESS_TEARDOWN_ALLOWANCE_S * 1000),
            memory_kb=limits.memory_mb * 1024,
            output_bytes=limits.output_kb * 1024,
            fsize_bytes=limits.file_size_mb << 20,
            nproc=limits.pids,
            sample_us=self.sample_us,
            cgroup_join=cgroup.join_files if cgroup else [],
            cgroup_procs=cgroup.procs_file if cgroup else None,
            cgroup_memory=cgroup.memory_file if cgroup else None,
            container=bool(cgroup and cgroup.container),
            netns=self._netns(),
            cwd=job.scratch / "work",
            harness=plan.test_mode == "harness",
            record_samples=record_samples,
            stop_on_failure=stop_on_failure,
            **self._jail(jail_uid(job.core) if self.isolate else None, visible),
        )
        env = self._environment({**_base_env(job.scratch / "work"), **plan.env}, job)
        result = supervise(plan.argv, inputs, options, env, job.io, job.launcher, on_record)
        oom = bool(cgroup and cgroup.oom_kills() > before)
        job.last_result = result
        return result, oom

    def _baseline(self, info: LanguageInfo, job: Job, limits: Limits) -> Baseline:
        """Start-up cost of an empty program of the language on this host.

        Cached per host kind, toolchain version, supervisor build and isolation mode, for a day:
        start-up is a fixed cost that noise only inflates, so the calibration keeps the *lowest*
        of its runs, and a calibration taken at a bad moment does not live forever.
        """
        version = job.toolchain.version if job.toolchain else None
        key = f"{host_fingerprint()}-{self.name}-{info.key}-{version}-{supervisor_digest()}-{int(self.isolate)}"
        if key in self._baselines:
            return self._baselines[key]
        path = cache_root() / "calibration" / f"startup-{key}.json"
        fresh = path.exists() and time.time() - path.stat().st_mtime < BASELINE_MAX_AGE_S
        if fresh:
            baseline = Baseline(**json.loads(path.read_text()))
        else:
            baseline = self._measure_baseline(info, job, limits)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(baseline.__dict__))
        self._baselines[key] = baseline
        return baseline

    def _measure_baseline(self, info: LanguageInfo, job: Job, limits: Limits) -> Baseline:
        probe = self._startup_probe(info, job, limits, CALIBRATION_RUNS)
        if probe is None:
            return Baseline()
        result, _ = self._supervise(probe.plan, [Path("/dev/null")] * probe.runs, limits, job, probe.artifact)
        return analysis.startup_baseline(result.runs, min) or Baseline()


@functools.lru_cache(maxsize=1)
def _sweep_once() -> None:
    """The scratch of processes killed outright goes when the next process opens a backend."""
    sweep_orphaned_scratch()


def _secret_places(registry: Registry) -> list[Path]:
    """What a jail must not show even when it sits inside a directory a run needs (a
    site-packages holding Afterburner and its plugins): their packages -- the bundled datasets
    with expected answers among them -- and the caches that hold datasets and calibrations."""
    places = [Path(afterburner_core.__file__).parent, cache_root(), Path.home() / ".cache" / "huggingface"]
    places += [
        Path(os.environ[v]) for v in ("HF_HOME", "HF_DATASETS_CACHE", "HUGGINGFACE_HUB_CACHE") if os.environ.get(v)
    ]
    places += [package_dir(info.plugin) for info in registry.languages.values()]
    return places


def _base_env(home: Path) -> dict[str, str]:
    return {
        "PATH": BASE_PATH,
        "HOME": str(home),
        "TMPDIR": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }


def _compile_error_report(info: LanguageInfo, compiled: CompileResult, backend: str) -> RunReport:
    return RunReport(
        verdict=Verdict.compile_error,
        passed=False,
        language=info.key,
        backend=backend,
        compile=CompileInfo(ok=False, cached=compiled.cached, ms=round(compiled.ms, 3), stderr=compiled.stderr),
        stderr=compiled.stderr,
    )


def _report(
    info: LanguageInfo, compiled: CompileResult, first: Outcome, outcomes: list[Outcome], backend: str
) -> RunReport:
    measured = [o.measurement for o in outcomes if o.measurement is not None]
    report = RunReport(
        verdict=first.verdict,
        passed=first.verdict == Verdict.accepted,
        tests_passed=first.tests_passed,
        tests_total=first.tests_total,
        language=info.key,
        backend=backend,
        compile=CompileInfo(ok=True, cached=compiled.cached, ms=round(compiled.ms, 3), stderr=compiled.stderr),
        exit_code=first.exit_code,
        signal=first.signal,
        stdout=first.stdout,
        stderr=first.stderr,
        failing_test=first.failing_test,
        repeats=len(measured),
        **first.extras,
    )
    if measured:
        medians, intervals, report.instructions = stats.summarise(measured)
        for name, value in medians.items():
            setattr(report, name, value)
        report.samples = int(sum(m.samples for m in measured))
        total_ms = sum(m.sampled_ms for m in measured)
        report.sample_hz = round(report.samples / (total_ms / 1000), 1) if total_ms > 0 else 0.0
        report.ci = Interval(**intervals)
    return report


__all__ = ["AfterburnerError", "LocalBackend"]
