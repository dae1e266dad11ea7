"""The compile cache: shared across threads and processes, one compile per source."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from afterburner_core.models import ExecutionRequest
from afterburner_core.sandbox.backends.local import LocalBackend
from tests.helpers import require_language


def _unique_cpp() -> str:
    return f'// {uuid.uuid4().hex}\n#include <cstdio>\nint main() {{ std::puts("hi"); }}\n'


def test_concurrent_requests_compile_once_across_threads() -> None:
    require_language("cpp")
    engine = LocalBackend(parallel=4)  # more workers than cores: they queue for cores, not for the compiler
    code = _unique_cpp()
    with ThreadPoolExecutor(4) as pool:
        reports = list(pool.map(engine.execute, [ExecutionRequest(code=code, language="cpp")] * 4))
    assert all(r.passed for r in reports)
    assert sorted(r.compile.cached for r in reports) == [False, True, True, True]


def test_concurrent_processes_compile_once(tmp_path: Path) -> None:
    require_language("cpp")
    source = tmp_path / "main.cpp"
    source.write_text(_unique_cpp())
    command = [sys.executable, "-m", "afterburner_core", "exec", str(source), "-l", "cpp", "--json"]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(3)]
    reports = [json.loads(p.communicate(timeout=300)[0]) for p in procs]
    assert sorted(r["compile"]["cached"] for r in reports) == [False, True, True]


def test_compile_errors_are_cached_with_their_message() -> None:
    require_language("cpp")
    engine = LocalBackend()
    code = _unique_cpp() + "int broken( {\n"
    first = engine.execute(ExecutionRequest(code=code, language="cpp"))
    second = engine.execute(ExecutionRequest(code=code, language="cpp"))
    assert first.verdict.value == second.verdict.value == "compile_error"
    assert not first.compile.cached and second.compile.cached
    assert second.compile.stderr == first.compile.stderr and "error" in first.compile.stderr
