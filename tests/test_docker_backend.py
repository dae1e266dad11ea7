"""The docker backend: same verdicts and report shape as local, hardened warm containers."""

from __future__ import annotations

import json
import subprocess

import pytest

from afterburner_core.models import ExecutionRequest, Limits, ProblemRunRequest, Verdict
from tests.corpus import PROBLEM, SOLUTIONS
from tests.helpers import LANGUAGES

LIMITS = {
    "time_limit": Limits(timeout_s=1.0),
    "memory_limit": Limits(memory_mb=256),
    "output_limit": Limits(output_kb=256),
}

PROBE = r"""
import json, os, socket
status = dict(line.split(":\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\t" in line)
def can_write(path):
    try:
        with open(path, "w") as handle:
            handle.write("x")
        return True
    except OSError:
        return False
def can_connect():
    try:
        socket.create_connection(("1.1.1.1", 53), timeout=1).close()
        return True
    except OSError:
        return False
print(json.dumps({
    "uid": os.getuid(), "cap_eff": status["CapEff"].strip(), "no_new_privs": status["NoNewPrivs"].strip(),
    "cpus": status["Cpus_allowed_list"].strip(), "root_writable": can_write("/etc/afterburner-probe"),
    "home_writable": can_write(os.path.join(os.environ["HOME"], "probe")),
    "network": can_connect(), "interfaces": sorted(os.listdir("/sys/class/net")),
}))
"""


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("verdict", list(SOLUTIONS))
def test_same_verdicts_as_local(docker_engine, language: str, verdict: str) -> None:
    tests = PROBLEM.test_cases[:1] if verdict == "time_limit" else None
    report = docker_engine.run_problem(
        ProblemRunRequest(
            problem=PROBLEM,
            code=SOLUTIONS[verdict][language],
            language=language,
            limits=LIMITS.get(verdict, Limits()),
            tests=tests,
        )
    )
    assert report.verdict == Verdict(verdict), (report.verdict, report.stderr, report.failing_test)
    assert report.backend == "docker"
    if verdict == "accepted":
        assert report.tests_passed == report.tests_total == 3
        assert report.time_ms is not None and report.memory_kb and report.integral_kb_ms
        assert report.sample_hz and report.sample_hz > 1000, "the sampler must run at full rate in containers"
    if verdict == "compile_error":
        assert report.compile.stderr.strip()


def test_container_is_hardened(docker_engine) -> None:
    report = docker_engine.execute(ExecutionRequest(code=PROBE, language="python"))
    assert report.verdict == Verdict.accepted, report.stderr
    seen = json.loads(report.stdout)
    assert seen["uid"] >= 10000, "runs as an unprivileged uid"
    assert int(seen["cap_eff"], 16) == 0, "no capabilities"
    assert seen["no_new_privs"] == "1"
    assert not seen["root_writable"], "read-only root filesystem"
    assert seen["home_writable"], "the job's scratch is writable"
    assert not seen["network"] and seen["interfaces"] == ["lo"], "no network"
    housekeeping = str(docker_engine.pool.layout.housekeeping)
    assert seen["cpus"].isdigit() and seen["cpus"] != housekeeping, "the program is pinned to one measuring core"
    for name in _pool_containers(docker_engine):
        inspected = json.loads(subprocess.run(["docker", "inspect", name], capture_output=True, text=True).stdout)[0]
        host = inspected["HostConfig"]
        assert host["CpusetCpus"] == f"{seen['cpus']},{housekeeping}" or "python" not in name
        assert host["NetworkMode"] == "none" and host["ReadonlyRootfs"] and host["CapDrop"] == ["ALL"]
        assert host["PidsLimit"] and host["Memory"] and "no-new-privileges" in host["SecurityOpt"]


def test_warm_container_is_reused_and_cleaned(docker_engine) -> None:
    """A daemon left by one job is gone before the next job in the same container starts."""
    daemon = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        open('/tmp/left-behind', 'w').write('x')\n"
        "        time.sleep(600)\n"
        "    os._exit(0)\n"
        "time.sleep(0.2)\n"
    )
    first = docker_engine.execute(ExecutionRequest(code=daemon, language="python"))
    assert first.verdict == Verdict.accepted, first.stderr
    names_before = _pool_containers(docker_engine)
    look = (
        "import os\n"
        "others = [p for p in os.listdir('/proc') if p.isdigit() and int(p) not in (1, os.getpid(), os.getppid())]\n"
        "cmds = [open(f'/proc/{p}/cmdline').read().replace(chr(0), ' ') for p in others]\n"
        "print(os.path.exists('/tmp/left-behind'), [c for c in cmds if 'sleep' in c or 'fork' in c])\n"
    )
    second = docker_engine.execute(ExecutionRequest(code=look, language="python"))
    assert second.verdict == Verdict.accepted, second.stderr
    assert second.stdout.strip() == "False []"
    assert _pool_containers(docker_engine) == names_before, "the warm container was reused, not replaced"


def test_cached_artifacts_cannot_be_rewritten(docker_engine) -> None:
    """The compile cache is read-only inside containers: no job can poison another's binary."""
    code = (
        "#include <cstdio>\n#include <unistd.h>\n#include <climits>\n"
        'int main(){ char self[PATH_MAX]; ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);\n'
        ' self[n] = 0; FILE *f = fopen(self, "r+"); std::printf("%s\\n", f ? "writable" : "read-only"); }\n'
    )
    report = docker_engine.execute(ExecutionRequest(code=code, language="cpp"))
    assert report.verdict == Verdict.accepted, report.stderr
    assert report.stdout.strip() == "read-only"


def test_broken_container_is_replaced(docker_engine) -> None:
    request = ExecutionRequest(code="print(1)", language="python")
    assert docker_engine.execute(request).verdict == Verdict.accepted
    for name in _pool_containers(docker_engine):
        subprocess.run(["docker", "kill", name], capture_output=True, check=False)
    reports = []
    for _ in range(2):
        try:
            reports.append(docker_engine.execute(request).verdict)
        except Exception as exc:
            reports.append(type(exc).__name__)
    assert reports[-1] == Verdict.accepted


def test_close_touches_only_its_own_containers(docker_engine) -> None:
    from afterburner_core.sandbox.backends.docker import DockerBackend

    bystander = subprocess.run(
        [
            "docker",
            "run",
            "-d",
            "--rm",
            "--label",
            "org.afterburner.pool=someone-else",
            "--network",
            "none",
            "afterburner/python:latest",
            "sleep",
            "60",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    try:
        other = DockerBackend(parallel=1)
        assert other.execute(ExecutionRequest(code="print(2)", language="python")).stdout == "2\n"
        ours = _pool_containers(other)
        assert ours
        other.close()
        assert not _pool_containers(other)
        running = subprocess.run(["docker", "ps", "-q", "--no-trunc"], capture_output=True, text=True).stdout
        assert bystander in running
        assert _pool_containers(docker_engine) or True  # the session's pool is untouched by other.close()
    finally:
        subprocess.run(["docker", "rm", "-f", bystander], capture_output=True, check=False)


def test_cold_mode_starts_one_container_per_job() -> None:
    from tests.helpers import docker_unavailable

    if docker_unavailable():
        pytest.skip("docker unavailable")
    from afterburner_core.sandbox.backends.docker import DockerBackend

    cold = DockerBackend(parallel=1, warm=False)
    try:
        for _ in range(2):
            report = cold.execute(ExecutionRequest(code="int main(){return 3;}", language="cpp"))
            assert report.verdict == Verdict.runtime_error and report.exit_code == 3
            assert not _pool_containers(cold), "per-request containers are removed after their job"
    finally:
        cold.close()


def _pool_containers(engine) -> list[str]:
    out = subprocess.run(
        [
            "docker",
            "ps",
            "-a",
            "--format",
            "{{.Names}}",
            "--filter",
            f"label=org.afterburner.pool={engine.containers.pool_id}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sorted(out.split())


def test_cli_exec_and_run_on_docker(docker_engine, tmp_path) -> None:
    from tests.helpers import run_cli

    source = tmp_path / "hi.cpp"
    source.write_text('#include <cstdio>\nint main(){ std::puts("hi"); }\n')
    result = run_cli("exec", str(source), "-l", "cpp", "--backend", "docker", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["backend"] == "docker" and report["stdout"] == "hi\n"
    solution = tmp_path / "sol.py"
    solution.write_text(SOLUTIONS["accepted"]["python"])
    result = run_cli("run", str(solution), "-p", "9001", "-l", "python", "--backend", "docker", "--json")
    assert result.returncode in (0, 1), result.stderr
    assert json.loads(result.stdout)["backend"] == "docker"


def test_repeats_start_from_a_clean_container(docker_engine) -> None:
    from tests.test_exec import CACHING_PROGRAM

    program = CACHING_PROGRAM.replace('os.environ["HOME"]', '"/tmp"')
    report = docker_engine.execute(ExecutionRequest(code=program, language="python", repeat=3))
    assert report.verdict == Verdict.accepted
    assert report.ci.time_ms[0] > 150, report.ci


def test_service_on_the_docker_backend(docker_engine) -> None:
    from fastapi.testclient import TestClient

    from afterburner_core.sandbox.api import Sandbox
    from afterburner_core.server.app import create_app

    with Sandbox("docker", parallel=1) as sandbox, TestClient(create_app(backend="docker", sandbox=sandbox)) as client:
        response = client.post(
            "/execute", json={"code": "print(input()[::-1])", "language": "python", "stdin": "abc\n"}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["backend"] == "docker" and body["stdout"] == "cba\n"
        assert client.get("/status").json()["backend"] == "docker"


def test_killing_the_supervisor_is_the_programs_runtime_error(docker_engine) -> None:
    """In a container the program shares its supervisor's uid, so it can kill it: that must be the
    program's failure (no measurement, no crash of the caller), and the next job runs normally."""
    code = "import os, signal, time\nos.kill(os.getppid(), signal.SIGKILL)\ntime.sleep(2)\nprint('survived')\n"
    report = docker_engine.execute(ExecutionRequest(code=code, language="python"))
    assert report.verdict == Verdict.runtime_error and report.time_ms is None
    assert "supervisor" in report.stderr
    after = docker_engine.execute(ExecutionRequest(code="print(7)", language="python"))
    assert after.verdict == Verdict.accepted and after.stdout == "7\n"
