"""The reward-hacking corpus: solutions that try to look faster or leaner than they are, carry
answers between runs, or pass without solving -- on every backend, in every language where the
hack applies. Each asserts the verdict the hack deserves and that its figures are the honest ones
(an honest solution doing the same work, measured next to it, is the yardstick).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import threading
from pathlib import Path

import pytest

from afterburner_core.datasets import get_problem
from afterburner_core.models import ExecutionRequest, Limits, ProblemRunRequest, RunReport, Verdict
from afterburner_core.paths import cache_root
from afterburner_core.problems import _generated, hidden_test_seed, problem_tests
from afterburner_core.rewards.base import get_reward
from afterburner_core.sandbox.api import Sandbox
from afterburner_core.sandbox.scheduling.scheduler import core_layout
from tests.adversarial import hacks
from tests.adversarial.conftest import REPO, Canaries, require_isolation
from tests.adversarial.procs import assert_no_leftovers
from tests.helpers import require_language

PROBLEM = "count-pairs-with-sum"
LIMITS = Limits(timeout_s=10, memory_mb=512, compile_timeout_s=60)
TESTS = 6  # the stored small tests: each hack pays its work once per test


def _source(template: str, language: str, c: Canaries, **values: str) -> str:
    source = template.replace("@MARK@", c.marker).replace("@SPIN@", str(hacks.SPIN.get(language, 0)))
    for key, value in values.items():
        source = source.replace(f"@{key}@", value)
    return source


def solve(
    sandbox: Sandbox, language: str, template: str, c: Canaries, repeat: int = 1, limits: Limits = LIMITS
) -> RunReport:
    require_language(language)
    problem = get_problem(PROBLEM)
    return sandbox.run_problem(
        ProblemRunRequest(
            problem=problem,
            code=_source(template, language, c),
            language=language,
            tests=problem_tests(problem)[:TESTS],
            limits=limits,
            repeat=repeat,
        )
    )


def run(
    sandbox: Sandbox,
    language: str,
    template: str,
    c: Canaries,
    stdin: str = "",
    repeat: int = 1,
    limits: Limits = LIMITS,
    **values: str,
) -> RunReport:
    require_language(language)
    return sandbox.execute(
        ExecutionRequest(
            code=_source(template, language, c, **values), language=language, stdin=stdin, limits=limits, repeat=repeat
        )
    )


def _explain(report: RunReport) -> str:
    reason = report.failing_test.reason if report.failing_test else ""
    return (
        f"{report.verdict.value} time={report.time_ms} cpu={report.cpu_ms} mem={report.memory_kb} {reason}\n"
        f"{report.stdout[:800]}\n{report.stderr[-1500:]}"
    )


ROUNDS = 3  # interleaved attacked/honest rounds: one pair alone was 2x apart once on the shared host


def assert_measured_like_honest(
    sandbox: Sandbox, language: str, attacked: str, honest: str, c: Canaries, share: float = 1.0
) -> None:
    """The hack's figures are those of the work it did (`share` of the honest run's), not a fraction
    of them -- a forged figure was 10^-5 of the truth. Both run side by side in interleaved rounds
    and their medians are compared, since one pair of separate measurements on a shared host can
    differ twofold; the margins that remain: CPU within 0.6, wall time within 0.4."""
    attacked_reports: list[RunReport] = []
    honest_reports: list[RunReport] = []
    for _ in range(ROUNDS):
        attacked_reports.append(solve(sandbox, language, attacked, c))
        honest_reports.append(solve(sandbox, language, honest, c))
    for report in attacked_reports + honest_reports:
        assert report.verdict == Verdict.accepted, _explain(report)
        assert report.cpu_ms is not None and report.time_ms is not None
    attacked_cpu = statistics.median(r.cpu_ms or 0.0 for r in attacked_reports)
    honest_cpu = statistics.median(r.cpu_ms or 0.0 for r in honest_reports)
    attacked_time = statistics.median(r.time_ms or 0.0 for r in attacked_reports)
    honest_time = statistics.median(r.time_ms or 0.0 for r in honest_reports)
    explained = _explain(attacked_reports[0])
    assert attacked_cpu >= 0.6 * share * honest_cpu, (attacked_cpu, honest_cpu, explained)
    assert attacked_time >= 0.4 * share * honest_time, (attacked_time, honest_time, explained)


# ------------------------------------------------------------------------------ the clock and the gaps
@pytest.mark.parametrize("language", sorted(hacks.FROZEN_CLOCKS))
def test_frozen_clocks_change_nothing(sandbox: Sandbox, language: str, canaries: Canaries) -> None:
    assert_measured_like_honest(sandbox, language, hacks.FROZEN_CLOCKS[language], hacks.HONEST[language], canaries)
    assert_no_leftovers(canaries.marker)


@pytest.mark.parametrize("language", sorted(hacks.GAP_WORK))
def test_work_between_tests_is_counted(sandbox: Sandbox, language: str, canaries: Canaries) -> None:
    """The work moved out of the test windows (into a hooked read of the next test) is measured
    all the same."""
    # the hook is installed during the first test: it works before each of the others
    assert_measured_like_honest(
        sandbox, language, hacks.GAP_WORK[language], hacks.HONEST_BUSY[language], canaries, share=(TESTS - 1) / TESTS
    )
    assert_no_leftovers(canaries.marker)


def test_work_in_a_destructor_is_counted(sandbox: Sandbox, canaries: Canaries) -> None:
    assert_measured_like_honest(sandbox, "python", hacks.DESTRUCTOR, hacks.HONEST_BUSY["python"], canaries)


# ------------------------------------------------------------------------------ forging the channel
@pytest.mark.parametrize("language", sorted(hacks.FORGED_DONE))
def test_answering_on_the_supervisors_channel_is_tampering(sandbox: Sandbox, language: str, canaries: Canaries) -> None:
    report = solve(sandbox, language, hacks.FORGED_DONE[language], canaries)
    assert report.verdict == Verdict.tampered, _explain(report)
    assert not report.passed and report.failing_test is not None
    assert "tampered" in report.failing_test.reason
    assert_no_leftovers(canaries.marker)


@pytest.mark.parametrize("language", sorted(hacks.EXIT_FORGERY))
def test_forging_from_an_exit_hook_is_tampering(sandbox: Sandbox, language: str, canaries: Canaries) -> None:
    report = solve(sandbox, language, hacks.EXIT_FORGERY[language], canaries)
    assert report.verdict == Verdict.tampered, _explain(report)


@pytest.mark.parametrize("language", sorted(hacks.EXIT_STATUS))
def test_failing_exit_after_the_last_test_is_a_runtime_error(
    sandbox: Sandbox, language: str, canaries: Canaries
) -> None:
    report = solve(sandbox, language, hacks.EXIT_STATUS[language], canaries)
    assert report.verdict == Verdict.runtime_error, _explain(report)
    assert report.exit_code == 3


def test_java_cannot_replace_the_harness_security_manager(sandbox: Sandbox, canaries: Canaries) -> None:
    report = solve(sandbox, "java", hacks.JAVA_SECURITY_MANAGER, canaries)
    assert report.verdict == Verdict.accepted, _explain(report)
    assert "REPLACED" not in report.stdout
    assert report.exit_code == 0  # and an honest Java run ends with exit 0


def test_every_reward_scores_tampering_as_failing() -> None:
    """A tampered run is worth what a wrong answer is worth, to every reward."""
    from afterburner_core.models import CompileInfo
    from afterburner_core.rewards.base import RewardInput, installed_rewards

    problem = get_problem(PROBLEM)
    base = dict(
        passed=False,
        language="python",
        compile=CompileInfo(ok=True),
        time_ms=0.001,
        cpu_ms=0.001,
        memory_kb=1.0,
        integral_kb_ms=0.001,
    )
    for name in installed_rewards():
        reward = get_reward(name)
        scores = {}
        for verdict in (Verdict.tampered, Verdict.wrong_answer):
            item = RewardInput(
                problem=problem,
                language="python",
                objective="time",
                completion="x",
                code="x",
                report=RunReport(verdict=verdict, **base),
            )
            scores[verdict] = reward.score([item])[0].total
        assert scores[Verdict.tampered] == scores[Verdict.wrong_answer], (name, scores)


# ------------------------------------------------------------------------------ state between runs
def test_nothing_a_run_leaves_reaches_the_next_repeat_or_job(sandbox: Sandbox, canaries: Canaries) -> None:
    """Files in the working directory, /tmp, /dev/shm, /var/tmp: each repeat starts empty."""
    for _ in range(2):  # two jobs, three repeats each
        report = solve(sandbox, "python", hacks.LEFT_BEHIND_PYTHON, canaries, repeat=3)
        assert report.verdict == Verdict.accepted, _explain(report)
        assert report.repeats == 3


@pytest.mark.parametrize("language", sorted(hacks.SYSV_LEFT_BEHIND))
def test_sysv_shared_memory_does_not_outlive_a_run(
    sandbox: Sandbox, backend: str, language: str, canaries: Canaries
) -> None:
    require_isolation(backend)  # without root there is no IPC namespace (docs/threat-model.md)
    key = str(0x5AB00000 + int(canaries.marker[-5:], 16))
    for _ in range(2):
        report = run(sandbox, language, hacks.SYSV_LEFT_BEHIND[language], canaries, repeat=3, KEY=key)
        assert report.verdict == Verdict.accepted, _explain(report)
        assert "HIT" not in report.stdout
    if backend == "local":
        listed = Path("/proc/sysvipc/shm").read_text().split("\n")[1:]
        assert not [row for row in listed if row.split() and int(row.split()[0]) == int(key)], "the host kept it"


# ------------------------------------------------------------------------------ hidden memory and CPU
@pytest.mark.parametrize("language", sorted(hacks.HIDDEN_MEMORY))
def test_memory_outside_rss_is_reported(sandbox: Sandbox, backend: str, language: str, canaries: Canaries) -> None:
    require_isolation(backend)  # needs the job's memory cgroup
    report = run(sandbox, language, hacks.HIDDEN_MEMORY[language], canaries)
    assert report.verdict == Verdict.accepted, _explain(report)
    assert report.memory_kb is not None and report.memory_kb >= 150 * 1024, _explain(report)
    assert report.integral_kb_ms is not None and report.integral_kb_ms >= 150 * 1024 * 150, _explain(report)
    tight = LIMITS.model_copy(update={"memory_mb": 128})
    report = run(sandbox, language, hacks.HIDDEN_MEMORY[language], canaries, limits=tight)
    assert report.verdict == Verdict.memory_limit, _explain(report)


def test_an_orphans_cpu_is_the_jobs(sandbox: Sandbox, canaries: Canaries) -> None:
    report = run(sandbox, "cpp", hacks.ORPHAN_CPU, canaries)
    assert report.verdict == Verdict.accepted, _explain(report)
    assert report.cpu_ms is not None and report.cpu_ms >= 250, _explain(report)


# ------------------------------------------------------------------------------ the answers
def test_datasets_caches_and_the_project_are_invisible(sandbox: Sandbox, backend: str, canaries: Canaries) -> None:
    require_isolation(backend)
    import afterburner_core

    places = [
        Path(afterburner_core.__file__).parent / "data",
        cache_root() / "calibration",
        cache_root() / "secret",
        Path.home() / ".cache",
        REPO / "tests",
    ]
    report = run(sandbox, "python", hacks.READ_ANSWERS, canaries, stdin="\n".join(map(str, places)) + "\n")
    assert report.verdict == Verdict.accepted, _explain(report)
    leaked = [
        name
        for line in report.stdout.splitlines()
        if line.startswith("READABLE")
        for name in json.loads(line.split(" ", 2)[2])
        if not _own_file(name)
    ]
    assert not leaked, _explain(report)
    entries = {
        Path(name).parent
        for line in report.stdout.splitlines()
        if line.startswith("READABLE")
        for name in json.loads(line.split(" ", 2)[2])
        if Path(name).name == "main.py"
    }
    assert len(entries) <= 1, f"other programs' compile entries are visible: {entries}"
    assert report.stdout.count("HIDDEN") + report.stdout.count("READABLE") == len(places)
    assert "NOIMPORT" in report.stdout, _explain(report)


def _own_file(name: str) -> bool:
    """What the run itself executes (its own source in its compile entry, the harness) is visible at
    its host path when the cache lies under a listed directory; nothing else of the cache is."""
    path = Path(name)
    return (path.name == "main.py" and path.parent.parent.parent.name == "compile") or (
        path.name == "harness.py" and path.parent.parent.name == "resources"
    )


def test_hidden_tests_cannot_be_replayed_from_the_generator(sandbox: Sandbox, canaries: Canaries) -> None:
    problem = get_problem(PROBLEM)
    assert problem.test_case_generator
    replayed = _generated(problem.test_case_generator, problem.problem_id)
    hidden = _generated(problem.test_case_generator, hidden_test_seed(problem.problem_id))
    assert [t.input for t in replayed] != [t.input for t in hidden]
    source = hacks.GENERATOR_REPLAY.replace("@GENERATOR@", json.dumps(problem.test_case_generator)).replace(
        "@PROBLEM_ID@", json.dumps(problem.problem_id)
    )
    report = sandbox.run_problem(
        ProblemRunRequest(
            problem=problem,
            code=source.replace("@MARK@", canaries.marker),
            language="python",
            tests=list(hidden),
            limits=LIMITS,
        )
    )
    assert report.verdict == Verdict.wrong_answer, _explain(report)


# ------------------------------------------------------------------------------ the host's edges
def test_host_sockets_user_namespaces_and_other_cores_are_out_of_reach(
    sandbox: Sandbox, backend: str, canaries: Canaries, tmp_path: Path
) -> None:
    require_isolation(backend)
    socket_dir = Path("/run") if os.access("/run", os.W_OK) else tmp_path
    path = socket_dir / f"ab-{canaries.marker}.sock"
    listeners = []
    for address in (str(path), f"\0ab-{canaries.marker}"):
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(address)
        listener.listen(4)
        listener.settimeout(0.2)
        listeners.append(listener)
    path.chmod(0o777)  # even a socket anybody may use is out of reach
    accepted: list[str] = []
    stop = threading.Event()

    def serve(listener: socket.socket) -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            accepted.append("connected")
            connection.close()

    threads = [threading.Thread(target=serve, args=(listener,), daemon=True) for listener in listeners]
    for thread in threads:
        thread.start()
    try:
        other = core_layout().housekeeping
        report = run(sandbox, "python", hacks.HOST_EDGES, canaries, stdin=f"{path}\nab-{canaries.marker}\n{other}\n")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=2)
        for listener in listeners:
            listener.close()
        path.unlink(missing_ok=True)
    assert report.verdict == Verdict.accepted, _explain(report)
    assert not accepted and "CONNECTED" not in report.stdout, _explain(report)
    assert report.stdout.count("BLOCKED") == 4, _explain(report)
