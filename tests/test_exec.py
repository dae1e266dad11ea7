"""`afterburner exec` and the Sandbox API in program mode: verdicts, repeats, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from afterburner_core.models import ExecutionRequest, Limits, Verdict
from afterburner_core.sandbox.api import Sandbox
from tests.corpus import PROGRAMS
from tests.helpers import LANGUAGES, require_language, run_cli


@pytest.mark.parametrize("language", LANGUAGES)
def test_whole_program_with_stdin(engine, language: str) -> None:
    require_language(language)
    report = engine.execute(ExecutionRequest(code=PROGRAMS[language], language=language, stdin="1 2 3\n40\n"))
    assert report.verdict == Verdict.accepted, report.stderr
    assert report.stdout.strip() == "46"
    assert report.exit_code == 0
    assert report.time_ms is not None and report.cpu_ms is not None
    assert report.memory_kb > 0 and report.integral_kb_ms > 0
    assert report.model_extra.get("startup_ms", 0) > 0


CPP_CASES = {
    "exit": ("#include <cstdlib>\nint main() { return 7; }\n", Verdict.runtime_error),
    "segfault": ("int main() { volatile int *p = nullptr; return *p; }\n", Verdict.runtime_error),
    "abort": ("#include <cstdlib>\nint main() { std::abort(); }\n", Verdict.runtime_error),
    "loop": ("int main() { volatile unsigned long x = 0; for (;;) x++; }\n", Verdict.time_limit),
    "sleep": ("#include <unistd.h>\nint main() { sleep(100); }\n", Verdict.time_limit),
    "memory": (
        "#include <vector>\n#include <cstring>\nint main() { std::vector<char*> v; for (;;) { char *p = new char[1<<24]; std::memset(p, 1, 1<<24); v.push_back(p); } }\n",
        Verdict.memory_limit,
    ),
    "flood": (
        '#include <cstdio>\nint main() { for (;;) std::puts("flood flood flood flood"); }\n',
        Verdict.output_limit,
    ),
    "syntax": ("int main() { return }\n", Verdict.compile_error),
}


@pytest.mark.parametrize("case", list(CPP_CASES))
def test_cpp_program_verdicts(engine, case: str) -> None:
    require_language("cpp")
    code, verdict = CPP_CASES[case]
    limits = Limits(timeout_s=1, memory_mb=128, output_kb=512)
    report = engine.execute(ExecutionRequest(code=code, language="cpp", limits=limits))
    assert report.verdict == verdict, (report.verdict, report.stderr)
    if case == "exit":
        assert report.exit_code == 7
    if case in ("segfault", "abort"):
        assert report.signal in (11, 6)
    if case in ("loop", "sleep"):
        assert 1000 <= report.time_ms < 1150  # the timeout is honoured within 100 ms...
    if case == "syntax":
        assert "error" in report.compile.stderr


def test_repeat_gives_medians_and_intervals(engine) -> None:
    require_language("python")
    code = "s = 0\nfor i in range(200000):\n    s += i\nprint(s)\n"
    report = engine.execute(ExecutionRequest(code=code, language="python", repeat=7))
    assert report.repeats == 7
    for name in ("time_ms", "cpu_ms", "memory_kb", "integral_kb_ms"):
        lo, hi = getattr(report.ci, name)
        value = getattr(report, name)
        assert lo <= value <= hi, name


def test_repeat_auto_stops_within_the_cap(engine) -> None:
    require_language("cpp")
    report = engine.execute(ExecutionRequest(code="int main() { return 0; }\n", language="cpp", repeat="auto"))
    assert 6 <= report.repeats <= 30


def test_binary_and_large_stdin(engine) -> None:
    require_language("python")
    data = bytes(range(256)) * 40000  # ~10 MB, not UTF-8
    code = "import sys\nprint(len(sys.stdin.buffer.read()))\n"
    report = engine.execute(ExecutionRequest(code=code, language="python", stdin=data))
    assert report.verdict == Verdict.accepted
    assert report.stdout.strip() == str(len(data))


def test_execute_many_preserves_order() -> None:
    require_language("python")
    sandbox = Sandbox()
    requests = [ExecutionRequest(code=f"print({i})", language="python") for i in range(6)]
    reports = sandbox.execute_many(requests)
    assert [r.stdout.strip() for r in reports] == [str(i) for i in range(6)]


def test_cli_exec_json(tmp_path: Path) -> None:
    require_language("python")
    src = tmp_path / "p.py"
    src.write_text("print(input()[::-1])\n")
    stdin = tmp_path / "in"
    stdin.write_text("abc\n")
    result = run_cli("exec", str(src), "-l", "python3", "--stdin", str(stdin), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    for field in (
        "verdict",
        "passed",
        "tests_passed",
        "tests_total",
        "language",
        "backend",
        "compile",
        "time_ms",
        "cpu_ms",
        "memory_kb",
        "integral_kb_ms",
        "instructions",
        "sample_hz",
        "samples",
        "repeats",
        "ci",
        "exit_code",
        "signal",
        "stdout",
        "stderr",
        "failing_test",
    ):
        assert field in report
    assert report["stdout"] == "cba\n"


def test_cli_failing_program_exits_nonzero(tmp_path: Path) -> None:
    src = tmp_path / "p.py"
    src.write_text("raise SystemExit(4)\n")
    result = run_cli("exec", str(src), "-l", "python")
    assert result.returncode == 1
    assert "runtime_error" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["exec", "/nonexistent.py", "-l", "python"], "no such file"),
        (["exec", "{src}", "-l", "python", "--timeout", "0"], "--timeout must be positive"),
        (["exec", "{src}", "-l", "python", "--memory-mb", "-5"], "--memory-mb must be positive"),
        (["exec", "{src}", "-l", "python", "--repeat", "many"], "--repeat must be"),
        (["exec", "{src}", "-l", "python", "--stdin", "/nonexistent"], "no such stdin file"),
        (["exec", "{src}", "-l", "python", "--parallel", "0"], "--parallel must be at least 1"),
        (["exec", "{src}", "-l", "brainfuck"], "unknown language"),
        (["run", "{src}", "-p", "no-such-problem", "-l", "python"], "not in dataset"),
    ],
)
def test_cli_bad_input_is_one_clear_line(tmp_path: Path, args: list[str], message: str) -> None:
    src = tmp_path / "p.py"
    src.write_text("print(1)\n")
    result = run_cli(*[a.replace("{src}", str(src)) for a in args])
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_cli_run_against_a_problem(tmp_path: Path) -> None:
    require_language("cpp")
    from afterburner_core.datasets import get_problem

    problem = get_problem("count-primes")
    good = next(s for s in problem.solutions["cpp"] if s.passed)
    bad = next(s for s in problem.solutions["cpp"] if not s.passed)
    for solution, code in ((good, 0), (bad, 1)):
        path = tmp_path / "sol.cpp"
        path.write_text(solution.code)
        result = run_cli("run", str(path), "--problem", str(problem.problem_id), "-l", "c++", "--json")
        assert result.returncode == code, result.stderr
        report = json.loads(result.stdout)
        assert report["tests_total"] >= 20
        if code:
            assert report["verdict"] == "wrong_answer" and report["failing_test"]["expected"] is not None
        else:
            assert report["verdict"] == "accepted" and report["time_ms"] > 0


CACHING_PROGRAM = """import os, time
path = os.path.join(os.environ["HOME"], "answer")
if os.path.exists(path):
    print(open(path).read())
else:
    started = time.time()
    while time.time() - started < 0.2:
        pass
    open(path, "w").write("42")
    print("42")
"""


def test_repeats_cannot_reuse_files_from_earlier_runs(engine) -> None:
    """A program that caches its answer in HOME must not get a fast median from its repeats."""
    report = engine.execute(ExecutionRequest(code=CACHING_PROGRAM, language="python", repeat=3))
    assert report.verdict == Verdict.accepted
    assert report.ci.time_ms[0] > 150, report.ci


@pytest.mark.parametrize("language", ["python", "go"])
def test_runs_work_with_the_cache_under_tmp(tmp_path: Path, language: str) -> None:
    """As root, programs and compilers run jailed behind a private /tmp: a cache root (compile
    artifacts, published harnesses, Go's build cache) under /tmp must still be visible to them."""
    require_language(language)
    from tests.corpus import SOLUTIONS

    solution = tmp_path / "solution.txt"
    solution.write_text(SOLUTIONS["accepted"][language])
    problem = tmp_path / "problem.json"
    from tests.corpus import PROBLEM

    problem.write_text(PROBLEM.model_dump_json())
    result = run_cli(
        "run",
        str(solution),
        "-p",
        str(PROBLEM.problem_id),
        "-d",
        str(problem),
        "-l",
        language,
        "--json",
        env={"AFTERBURNER_CACHE": str(tmp_path / "cache")},
    )
    assert result.returncode == 0, result.stdout[-800:] + result.stderr[-800:]
    assert json.loads(result.stdout)["verdict"] == "accepted"
