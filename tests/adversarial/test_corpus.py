"""The adversarial corpus: every attack, in every language where it makes sense, on every backend.

Each case checks three things: the verdict the attack deserves, that the host is untouched (canary
files, paths that must not appear, a loopback service nobody may reach, no process left running),
and that the next, normal job on the same sandbox is measured normally.
"""

from __future__ import annotations

import os
import re
import socket

import pytest

from afterburner_core.models import ExecutionRequest, Limits, RunReport, Verdict
from afterburner_core.sandbox.api import Sandbox
from tests.adversarial import programs
from tests.adversarial.conftest import REPO, Canaries, require_isolation, strongly_isolated
from tests.adversarial.procs import assert_no_leftovers
from tests.helpers import require_language

ATTACK_LIMITS = Limits(
    timeout_s=2, memory_mb=256, pids=64, output_kb=1024, file_size_mb=64, compile_timeout_s=30, compile_memory_mb=1024
)

NORMAL = {
    "python": "a, b = map(int, input().split())\nprint(a + b)\n",
    "cpp": "#include <iostream>\nint main() { long a, b; std::cin >> a >> b; std::cout << a + b << std::endl; }\n",
    "rust": (
        "use std::io::Read;\nfn main() { let mut s = String::new(); std::io::stdin().read_to_string(&mut s).unwrap();\n"
        '    let v: Vec<i64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect(); println!("{}", v[0] + v[1]); }\n'
    ),
    "go": 'package main\n\nimport "fmt"\n\nfunc main() {\n\tvar a, b int\n\tfmt.Scan(&a, &b)\n\tfmt.Println(a + b)\n}\n',
    "java": (
        "import java.util.*;\npublic class Main { public static void main(String[] x) {\n"
        "    Scanner s = new Scanner(System.in); System.out.println(s.nextLong() + s.nextLong()); } }\n"
    ),
    "javascript": (
        "const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(Number);\nconsole.log(a + b);\n"
    ),
}


def cases(table: dict[str, str]) -> list[str]:
    return [language for language in programs.LANGUAGES if language in table]


def attack(
    sandbox: Sandbox, language: str, source: str, c: Canaries, stdin: str = "", limits: Limits = ATTACK_LIMITS
) -> RunReport:
    require_language(language)
    code = source.replace("@MARK@", c.marker).replace("@NMARK@", c.nmark).replace("@COMM@", c.marker[:15])
    return sandbox.execute(ExecutionRequest(code=code, language=language, stdin=stdin, limits=limits))


def aftermath(sandbox: Sandbox, language: str, c: Canaries) -> None:
    """The host is as it was, nothing of the attack runs, and a normal job is measured normally."""
    c.assert_host_untouched()
    assert_no_leftovers(c.marker, c.nmark)
    normal = sandbox.execute(ExecutionRequest(code=NORMAL[language], language=language, stdin="3 4\n"))
    assert normal.verdict == Verdict.accepted, normal.stderr
    assert normal.stdout.strip() == "7"
    assert normal.time_ms is not None and normal.time_ms > 0 and normal.memory_kb and normal.memory_kb > 0


def _explain(report: RunReport) -> str:
    return f"{report.verdict.value} exit={report.exit_code} signal={report.signal}\n{report.stdout[:1500]}\n{report.stderr[-1500:]}"


# ------------------------------------------------------------------------------ confidentiality
@pytest.mark.parametrize("language", cases(programs.READ))
def test_reading_secrets(sandbox: Sandbox, backend: str, language: str, canaries: Canaries) -> None:
    require_isolation(backend)
    targets = [
        *map(str, canaries.secrets),
        "/etc/shadow",
        f"/proc/{os.getpid()}/environ",
        f"/proc/{os.getpid()}/cmdline",
    ]
    report = attack(sandbox, language, programs.READ[language], canaries, "\n".join(targets) + "\n")
    assert report.verdict == Verdict.accepted, _explain(report)
    seen = report.stdout + report.stderr
    assert "DENIED" in seen, _explain(report)  # it really tried
    for secret in [*canaries.secrets.values(), canaries.env_secret]:
        assert secret not in seen, _explain(report)
    for target in targets[-3:]:
        assert f"READ {target}" not in seen, _explain(report)
    aftermath(sandbox, language, canaries)


@pytest.mark.parametrize("language", cases(programs.WRITE))
def test_writing_outside_scratch(sandbox: Sandbox, backend: str, language: str, canaries: Canaries) -> None:
    require_isolation(backend)
    extra = [
        f"/etc/{canaries.marker}-created",
        f"/usr/{canaries.marker}-created",
        str(REPO / f"{canaries.marker}-created"),
    ]
    canaries.forbidden += [REPO / f"{canaries.marker}-created"]
    targets = [*map(str, canaries.existing), *map(str, canaries.forbidden), *extra, "../stdin", "../io/stdout"]
    report = attack(sandbox, language, programs.WRITE[language], canaries, "\n".join(targets) + "\n")
    assert report.verdict == Verdict.accepted, _explain(report)
    for target in extra[:2]:
        assert not os.path.exists(target)
    # What the engine and the supervisor own next to the program's cwd. On docker the supervisor
    # runs as the program's uid, so `io/stdout` (the program's own output) is legitimately writable.
    for inside in ("../stdin", "../io/stdout") if backend == "local" else ("../stdin",):
        assert f"WROTE {inside}" not in report.stdout, _explain(report)
    aftermath(sandbox, language, canaries)


# ------------------------------------------------------------------------------ network
def _host_address() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))  # no packet is sent: this only picks a source address
            address = probe.getsockname()[0]
        return None if address.startswith("127.") else address
    except OSError:
        return None


@pytest.mark.parametrize("language", cases(programs.CONNECT))
def test_network(sandbox: Sandbox, backend: str, language: str, canaries: Canaries) -> None:
    require_isolation(backend)
    targets = [f"127.0.0.1 {canaries.port}", "1.1.1.1 53"]
    if (address := _host_address()) is not None:
        targets.append(f"{address} {canaries.port}")
    report = attack(sandbox, language, programs.CONNECT[language], canaries, "\n".join(targets) + "\n")
    assert report.verdict == Verdict.accepted, _explain(report)
    assert report.stdout.count("BLOCKED") == len(targets), _explain(report)
    assert "CONNECTED" not in report.stdout
    aftermath(sandbox, language, canaries)


# ------------------------------------------------------------------------------ other processes
@pytest.mark.parametrize("language", cases(programs.KILL))
def test_signalling_others(sandbox: Sandbox, backend: str, language: str, canaries: Canaries) -> None:
    require_isolation(backend)
    report = attack(sandbox, language, programs.KILL[language], canaries, f"{os.getpid()}\n1\n")
    assert "ROOT" not in report.stdout, "the program ran as root: the jail is missing"
    assert "KILLED" not in report.stdout, _explain(report)
    if backend == "local":  # its own uid: kill(-1) reaches nothing but itself's siblings
        assert report.verdict == Verdict.accepted, _explain(report)
        assert "SURVIVED" in report.stdout, _explain(report)
    else:  # docker: the supervisor shares the program's uid in the container; killing it is a runtime error
        assert report.verdict in (Verdict.accepted, Verdict.runtime_error), _explain(report)
    aftermath(sandbox, language, canaries)  # and this test's process is, evidently, still alive


@pytest.mark.parametrize("language", cases(programs.DAEMON))
def test_daemon_outliving_the_run(sandbox: Sandbox, language: str, canaries: Canaries) -> None:
    report = attack(sandbox, language, programs.DAEMON[language], canaries)
    assert report.verdict == Verdict.accepted, _explain(report)
    assert "spawned" in report.stdout
    aftermath(sandbox, language, canaries)


# ------------------------------------------------------------------------------ exhaustion
@pytest.mark.slow
@pytest.mark.parametrize("language", cases(programs.FORK_BOMB))
def test_fork_bomb(sandbox: Sandbox, language: str, canaries: Canaries) -> None:
    report = attack(sandbox, language, programs.FORK_BOMB[language], canaries)
    assert report.verdict in (Verdict.time_limit, Verdict.memory_limit, Verdict.runtime_error), _explain(report)
    assert report.time_ms is None or report.time_ms < (ATTACK_LIMITS.timeout_s + 2) * 1000
    aftermath(sandbox, language, canaries)


@pytest.mark.parametrize("language", cases(programs.THREAD_BOMB))
def test_thread_bomb(sandbox: Sandbox, language: str, canaries: Canaries) -> None:
    report = attack(sandbox, language, programs.THREAD_BOMB[language], canaries)
    assert report.verdict == Verdict.accepted, _explain(report)
    found = re.search(r"^THREADS (\d+)$", report.stdout, re.MULTILINE)  # the JVM may log to stdout too
    assert found, _explain(report)
    created = int(found.group(1))
    assert 0 < created < ATTACK_LIMITS.pids, _explain(report)  # the pids limit held
    aftermath(sandbox, language, canaries)


@pytest.mark.parametrize("language", cases(programs.MEMORY_BOMB))
def test_memory_bomb(sandbox: Sandbox, language: str, canaries: Canaries) -> None:
    report = attack(sandbox, language, programs.MEMORY_BOMB[language], canaries)
    assert report.verdict == Verdict.memory_limit, _explain(report)
    assert "survived" not in report.stdout
    aftermath(sandbox, language, canaries)


@pytest.mark.parametrize("language", cases(programs.SPIN_IGNORING_SIGTERM))
def test_spin_ignoring_sigterm(sandbox: Sandbox, language: str, canaries: Canaries) -> None:
    report = attack(sandbox, language, programs.SPIN_IGNORING_SIGTERM[language], canaries)
    assert report.verdict == Verdict.time_limit, _explain(report)
    assert report.time_ms is not None and report.time_ms < (ATTACK_LIMITS.timeout_s + 1) * 1000
    aftermath(sandbox, language, canaries)


@pytest.mark.parametrize("language", cases(programs.SLEEP_FOREVER))
def test_sleep_forever(sandbox: Sandbox, language: str, canaries: Canaries) -> None:
    report = attack(sandbox, language, programs.SLEEP_FOREVER[language], canaries)
    assert report.verdict == Verdict.time_limit, _explain(report)
    aftermath(sandbox, language, canaries)


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
@pytest.mark.parametrize("language", programs.LANGUAGES)
def test_output_flood(sandbox: Sandbox, language: str, stream: str, canaries: Canaries) -> None:
    report = attack(sandbox, language, programs.flood(stream)[language], canaries)
    assert report.verdict == Verdict.output_limit, _explain(report)
    assert len(report.stdout) <= (2 << 20) and len(report.stderr) <= 8192
    aftermath(sandbox, language, canaries)


@pytest.mark.parametrize("language", cases(programs.DISK_FILL))
def test_disk_fill(sandbox: Sandbox, backend: str, language: str, canaries: Canaries) -> None:
    require_isolation(backend)  # without a jail, /tmp/fill* would land on the host
    report = attack(sandbox, language, programs.DISK_FILL[language], canaries)
    if backend == "docker" and report.verdict == Verdict.memory_limit:
        # The container's scratch and /tmp are tmpfs: files there are memory, charged to the run,
        # and 256 MiB of them end it at its memory limit before any size limit is reached.
        assert report.memory_kb is None or report.memory_kb >= ATTACK_LIMITS.memory_mb * 1024 * 0.9, _explain(report)
        aftermath(sandbox, language, canaries)
        return
    assert report.verdict == Verdict.accepted, _explain(report)
    written = int(report.stdout.split()[1])
    cap = 2 * 64 * (4 << 20)  # what the program would write if nothing stopped it
    assert written < cap, f"nothing bounded the writes: {written} bytes"
    if backend == "local":  # cwd and /tmp are private tmpfs of file_size_mb each
        assert written <= 2 * (ATTACK_LIMITS.file_size_mb << 20), written
    aftermath(sandbox, language, canaries)


# ------------------------------------------------------------------------------ output oddities
@pytest.mark.parametrize("language", cases(programs.BINARY_OUTPUT))
def test_binary_output(sandbox: Sandbox, language: str, canaries: Canaries) -> None:
    report = attack(sandbox, language, programs.BINARY_OUTPUT[language], canaries)
    assert report.verdict == Verdict.accepted, _explain(report)
    assert report.stdout.endswith("end") and "\ufffd" in report.stdout and "\x00" in report.stdout
    assert RunReport.model_validate_json(report.model_dump_json()).stdout == report.stdout
    aftermath(sandbox, language, canaries)


@pytest.mark.parametrize("language", cases(programs.CLOSE_STDOUT))
def test_closing_stdout_early(sandbox: Sandbox, language: str, canaries: Canaries) -> None:
    report = attack(sandbox, language, programs.CLOSE_STDOUT[language], canaries)
    assert report.verdict == Verdict.accepted, _explain(report)
    assert report.stdout.strip() == "before close"
    assert report.time_ms is not None and report.time_ms >= 150  # measured to its real end
    aftermath(sandbox, language, canaries)


# ------------------------------------------------------------------------------ forged measurement
@pytest.mark.parametrize("language", cases(programs.TAMPER))
def test_tampering_with_measurement(sandbox: Sandbox, backend: str, language: str, canaries: Canaries) -> None:
    report = attack(sandbox, language, programs.TAMPER[language], canaries)
    assert report.verdict == Verdict.accepted, _explain(report)
    if backend == "local" and strongly_isolated(backend):  # docker: io/ is the program's uid's (nothing
        assert "TAMPERED" not in report.stdout, _explain(report)  # there is a measurement in program mode)
    assert report.memory_kb is not None and report.memory_kb >= 60 * 1024, report.memory_kb
    assert report.time_ms is not None and report.time_ms >= 250, report.time_ms
    assert report.cpu_ms is not None and report.cpu_ms >= 100, report.cpu_ms
    aftermath(sandbox, language, canaries)


@pytest.mark.slow
@pytest.mark.parametrize("language", cases(programs.COMPILE_BOMB))
def test_compile_time_bomb(sandbox: Sandbox, language: str, canaries: Canaries) -> None:
    limits = ATTACK_LIMITS.model_copy(update={"compile_timeout_s": 10.0})
    report = attack(sandbox, language, programs.COMPILE_BOMB[language], canaries, limits=limits)
    assert report.verdict == Verdict.compile_error, _explain(report)
    assert report.compile.ms < (limits.compile_timeout_s + 10) * 1000
    aftermath(sandbox, language, canaries)
