"""Ending the caller ends the job: the CLI, a library call and the server, killed mid-run in every
language, leave nothing of the job behind -- no supervisor, no program, no child, no cgroup --
within a second.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from tests.adversarial.procs import marked_processes
from tests.helpers import LANGUAGES, REPO, require_language

HANG = {
    "python": "# @MARK@\nwhile True:\n    pass\n",
    "cpp": "// @MARK@\nint main() { volatile unsigned long x = 0; for (;;) x++; }\n",
    "rust": "// @MARK@\nfn main() { let mut x: u64 = 0; loop { x = std::hint::black_box(x + 1); } }\n",
    "go": "// @MARK@\npackage main\n\nfunc main() {\n\tx := 0\n\tfor {\n\t\tx++\n\t}\n}\n",
    "java": "// @MARK@\npublic class Main { public static void main(String[] a) { long x = 0; while (true) x++; } }\n",
    "javascript": "// @MARK@\nlet x = 0;\nwhile (true) x++;\n",
}
EXTENSION = {"python": "py", "cpp": "cpp", "rust": "rs", "go": "go", "java": "java", "javascript": "js"}
GRACE_S = 1.0


def _job_processes(root: psutil.Process) -> list[psutil.Process]:
    try:
        return root.children(recursive=True)
    except psutil.Error:
        return []


def _wait_for_program(root: psutil.Process, marker: str, timeout_s: float = 120) -> list[psutil.Process]:
    """The caller's descendants once the program itself runs (found by its marker)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if marked_processes(marker):
            time.sleep(0.3)  # well into the run
            return _job_processes(root)
        if not root.is_running():
            pytest.fail("the caller ended before the program started")
        time.sleep(0.05)
    pytest.fail("the program never started")


def _job_cgroups(pid: int) -> list[Path]:
    return [p for p in Path("/sys/fs/cgroup/pids/afterburner").glob(f"job-{pid}-*")] if os.geteuid() == 0 else []


def _still_running(process: psutil.Process) -> bool:
    """Alive and not a zombie; a process that ends between the two questions is not alive."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _job_scratch(pid: int) -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"afterburner-job-{pid}-*"))


def _assert_nothing_left(caller: int, processes: list[psutil.Process], marker: str, scratch: bool = False) -> None:
    """No process, program or cgroup of the job after the grace period; with `scratch`, no scratch
    directory either (a caller that handles the signal removes its own; one that cannot leaves it
    to the next process's sweep)."""
    deadline = time.monotonic() + GRACE_S

    def left_scratch() -> list[Path]:
        return _job_scratch(caller) if scratch else []

    while time.monotonic() < deadline:
        alive = [p for p in processes if _still_running(p)]
        if not alive and not marked_processes(marker) and not _job_cgroups(caller) and not left_scratch():
            return
        time.sleep(0.02)
    alive = [str(p.pid) for p in processes if _still_running(p)]
    pytest.fail(
        f"left after {GRACE_S} s: processes {alive}, marked {marked_processes(marker)}, "
        f"cgroups {_job_cgroups(caller)}, scratch {left_scratch()}"
    )


def _source(language: str, tmp_path: Path) -> tuple[Path, str]:
    marker = "abint" + secrets.token_hex(6)
    path = tmp_path / f"hang.{EXTENSION[language]}"
    path.write_text(HANG[language].replace("@MARK@", marker))
    return path, marker


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
@pytest.mark.parametrize("language", LANGUAGES)
def test_ending_the_cli_ends_the_job(language: str, how: signal.Signals, tmp_path: Path) -> None:
    if how != signal.SIGTERM and language not in ("python", "cpp"):
        pytest.skip("every signal takes the same path: two languages suffice for SIGINT and SIGHUP")
    require_language(language)
    path, marker = _source(language, tmp_path)
    cli = subprocess.Popen(
        [sys.executable, "-m", "afterburner_core", "exec", str(path), "-l", language, "--timeout", "100"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    root = psutil.Process(cli.pid)
    processes = _wait_for_program(root, marker)
    cli.send_signal(how)
    _assert_nothing_left(cli.pid, processes, marker, scratch=True)
    assert cli.wait(timeout=10) != 0


def test_ending_a_harness_run_ends_the_job(tmp_path: Path) -> None:
    """The issue's case: `afterburner run` of a hanging solution, ended by `timeout` (SIGTERM)."""
    require_language("python")
    marker = "abint" + secrets.token_hex(6)
    path = tmp_path / "hang.py"
    path.write_text(
        f"# {marker}\nclass Solution:\n    def countPairs(self, nums, target):\n        while True:\n            pass\n"
    )
    cli = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "afterburner_core",
            "run",
            str(path),
            "-p",
            "count-pairs-with-sum",
            "-l",
            "python",
            "--timeout",
            "100",
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    root = psutil.Process(cli.pid)
    processes = _wait_for_program(root, marker)
    cli.send_signal(signal.SIGTERM)
    _assert_nothing_left(cli.pid, processes, marker, scratch=True)


LIBRARY_CALL = textwrap.dedent("""
    import sys
    from afterburner_core.models import ExecutionRequest, Limits
    from afterburner_core.sandbox.api import Sandbox
    Sandbox().execute(ExecutionRequest(code=open(sys.argv[1]).read(), language=sys.argv[2],
                                       limits=Limits(timeout_s=100)))
""")


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
@pytest.mark.parametrize("language", LANGUAGES)
def test_ending_a_library_caller_ends_the_job(language: str, how: signal.Signals, tmp_path: Path) -> None:
    """A Python process using the library dies (even by SIGKILL, which it cannot handle): the
    supervisor notices its caller's death and takes the job with it."""
    if how == signal.SIGKILL and language not in ("python", "cpp"):
        pytest.skip("the same path for every language: two suffice for SIGKILL")
    require_language(language)
    path, marker = _source(language, tmp_path)
    caller = subprocess.Popen(
        [sys.executable, "-c", LIBRARY_CALL, str(path), language],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    processes = _wait_for_program(psutil.Process(caller.pid), marker)
    caller.send_signal(how)
    _assert_nothing_left(caller.pid, processes, marker)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("language", LANGUAGES)
def test_stopping_the_server_ends_its_jobs(language: str, tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    httpx = pytest.importorskip("httpx")
    require_language(language)
    path, marker = _source(language, tmp_path)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "afterburner_core", "serve", "--port", str(port), "--log-level", "warning"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        body = tmp_path / "body.json"  # not in argv: the client must not look like the program
        body.write_text(json.dumps({"code": path.read_text(), "language": language, "timeout": 100}))
        request = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import httpx, sys; httpx.post(sys.argv[1], "
                "content=open(sys.argv[2], 'rb').read(), timeout=300, "
                "headers={'content-type': 'application/json'})",
                f"http://127.0.0.1:{port}/execute",
                str(body),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes = _wait_for_program(psutil.Process(server.pid), marker)
        server.send_signal(signal.SIGTERM)
        _assert_nothing_left(server.pid, processes, marker)
        request.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(timeout=30)


@pytest.mark.skipif(os.geteuid() != 0, reason="job cgroups need root")
def test_a_process_ending_on_a_signal_removes_the_job_cgroups_it_holds() -> None:
    """The window CI hit: a signal between a job's compile and its run (no supervisor alive to
    remove the cgroup) -- the handler exits without unwinding, so it removes them itself."""
    from afterburner_core.sandbox.supervision.isolation import job_cgroup, remove_live_job_cgroups

    with job_cgroup(64 * 1024, 64) as group:
        assert group is not None and all(d.exists() for d in group.dirs.values())
        remove_live_job_cgroups()
        assert not any(d.exists() for d in group.dirs.values())
