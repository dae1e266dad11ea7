"""Every verdict, for real, in every language, through the runner contract (language-plugin issue)."""

from __future__ import annotations

import pytest

from afterburner_core.models import Limits, ProblemRunRequest, TestCase, Verdict
from tests.corpus import PROBLEM, SOLUTIONS
from tests.helpers import LANGUAGES, require_language

LIMITS = {
    "time_limit": Limits(timeout_s=1.0),
    "memory_limit": Limits(memory_mb=256),
    "output_limit": Limits(output_kb=256),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("verdict", list(SOLUTIONS))
def test_verdicts(engine, language: str, verdict: str) -> None:
    require_language(language)
    tests = PROBLEM.test_cases[:1] if verdict == "time_limit" else None
    request = ProblemRunRequest(
        problem=PROBLEM,
        code=SOLUTIONS[verdict][language],
        language=language,
        limits=LIMITS.get(verdict, Limits()),
        tests=tests,
    )
    report = engine.run_problem(request)
    assert report.verdict == Verdict(verdict), (report.verdict, report.stderr, report.failing_test)
    assert report.passed == (verdict == "accepted")
    if verdict == "accepted":
        assert report.tests_passed == report.tests_total == 3
        assert report.time_ms is not None and report.time_ms >= 0
        assert report.memory_kb and report.memory_kb > 500
        # like time: a 3-test process-mode run may do nothing measurable beyond the start-up
        # measured beside it (its median), and is charged zero, not a negative number
        assert report.integral_kb_ms is not None and report.integral_kb_ms >= 0
        assert report.compile.ok
        if language in ("python", "java", "javascript"):  # the plugins' measure hook reports start-up
            assert report.model_extra["harness_startup_ms"] > 0
    elif verdict == "compile_error":
        assert report.compile.ok is False
        assert report.compile.stderr.strip(), "the compiler's message must reach the report"
    else:
        assert report.failing_test is not None and report.failing_test.reason
    if verdict == "wrong_answer":
        failing = report.failing_test
        assert failing is not None and failing.expected is not None and failing.actual is not None
        assert failing.expected.strip() != failing.actual.strip()


@pytest.mark.parametrize("language", LANGUAGES)
def test_wrong_answer_points_at_first_failing_test(engine, language: str) -> None:
    require_language(language)
    # the Python wrong solution only fails on lists longer than two: test 0 fails, as in the others
    report = engine.run_problem(
        ProblemRunRequest(
            problem=PROBLEM,
            code=SOLUTIONS["wrong_answer"][language],
            language=language,
            tests=[PROBLEM.test_cases[1], PROBLEM.test_cases[0]],
        )
    )
    assert report.verdict == Verdict.wrong_answer
    expected_index = 1 if language == "python" else 0
    assert report.failing_test.index == expected_index
    assert report.tests_passed == expected_index


@pytest.mark.parametrize("language", LANGUAGES)
def test_solution_that_prints_on_its_own_is_wrong(engine, language: str) -> None:
    require_language(language)
    noisy = {
        "python": "class Solution:\n    def total(self, nums):\n        print('debug')\n        return sum(nums)\n",
        "cpp": 'class Solution {\npublic:\n    long long total(vector<long long>& v) { cout << "debug\\n"; long long s = 0; for (auto x : v) s += x; return s; }\n};\n',
        "rust": 'impl Solution {\n    pub fn total(v: Vec<i64>) -> i64 { println!("debug"); v.iter().sum() }\n}\n',
        "go": 'func total(v []int64) int64 {\n\tfmt.Println("debug")\n\tvar s int64\n\tfor _, x := range v {\n\t\ts += x\n\t}\n\treturn s\n}\n',
        "java": 'class Solution {\n    public long total(long[] v) { System.out.println("debug"); long s = 0; for (long x : v) s += x; return s; }\n}\n',
        "javascript": "var total = function(nums) {\n    console.log('debug');\n    return nums.reduce((a, b) => a + b, 0);\n};\n",
    }[language]
    report = engine.run_problem(ProblemRunRequest(problem=PROBLEM, code=noisy, language=language))
    assert report.verdict == Verdict.wrong_answer
    assert "debug" in (report.failing_test.actual or "")


@pytest.mark.parametrize("language", LANGUAGES)
def test_solution_without_entry_point_fails_cleanly(engine, language: str) -> None:
    require_language(language)
    code = {
        "python": "class Solution:\n    def other(self, nums):\n        return 0\n",
        "cpp": "class Solution {\npublic:\n    long long other(vector<long long>& v) { return 0; }\n};\n",
        "rust": "impl Solution {\n    pub fn other(v: Vec<i64>) -> i64 { 0 }\n}\n",
        "go": "func other(v []int64) int64 {\n\treturn 0\n}\n",
        "java": "class Solution {\n    public long other(long[] v) { return 0; }\n}\n",
        "javascript": "var other = function(nums) {\n    return 0;\n};\n",
    }[language]
    report = engine.run_problem(ProblemRunRequest(problem=PROBLEM, code=code, language=language))
    # compiled languages reject the missing symbol; interpreters fail at the call
    expected = Verdict.runtime_error if language in ("python", "javascript") else Verdict.compile_error
    assert report.verdict == expected, report


@pytest.mark.parametrize("language", LANGUAGES)
def test_non_utf8_output_is_reported_not_crashed(engine, language: str) -> None:
    require_language(language)
    from afterburner_core.models import ExecutionRequest

    program = {
        "python": "import sys\nsys.stdout.buffer.write(b'\\xff\\xfe ok\\n')\n",
        "cpp": '#include <cstdio>\nint main() { std::fwrite("\\xff\\xfe ok\\n", 1, 6, stdout); }\n',
        "rust": 'use std::io::Write;\nfn main() { std::io::stdout().write_all(b"\\xff\\xfe ok\\n").unwrap(); }\n',
        "go": "package main\n\nimport \"os\"\n\nfunc main() { os.Stdout.Write([]byte{0xff, 0xfe, ' ', 'o', 'k', '\\n'}) }\n",
        "java": "public class Main { public static void main(String[] a) throws Exception { System.out.write(new byte[]{(byte)0xff, (byte)0xfe, 32, 111, 107, 10}); System.out.flush(); } }\n",
        "javascript": "process.stdout.write(Buffer.from([0xff, 0xfe, 32, 111, 107, 10]));\n",
    }[language]
    report = engine.execute(ExecutionRequest(code=program, language=language))
    assert report.verdict == Verdict.accepted, report
    assert report.stdout.endswith(" ok\n") and "\ufffd" in report.stdout


def test_solution_reading_stdin_itself_sees_the_test_input(engine) -> None:
    """In the in-process harness stdin is swapped per test: a solution reading it gets what the
    runner left (here nothing), never another test's input."""
    require_language("python")
    language = "python"
    code = "import sys\nclass Solution:\n    def total(self, nums):\n        rest = sys.stdin.read()\n        return sum(nums) + len(rest)\n"
    report = engine.run_problem(ProblemRunRequest(problem=PROBLEM, code=code, language=language))
    assert report.verdict == Verdict.accepted


def test_runner_without_the_submission_line_is_a_clear_error(engine) -> None:
    from afterburner_core.errors import DatasetError

    broken = PROBLEM.model_copy(update={"test_case_runners": {"python": "print(1)\n"}})
    with pytest.raises(DatasetError, match="Code Submission"):
        engine.run_problem(ProblemRunRequest(problem=broken, code="x = 1", language="python"))


def test_evaluator_is_used(engine) -> None:
    require_language("python")
    lenient = PROBLEM.model_copy(
        update={
            "test_case_evaluator": "def evaluate(expected_output, program_output):\n    return int(program_output) >= int(expected_output)\n",
            "test_cases": [TestCase(input="2\n1 1\n", output="1\n")],
        }
    )
    report = engine.run_problem(
        ProblemRunRequest(problem=lenient, code=SOLUTIONS["accepted"]["python"], language="python")
    )
    assert report.verdict == Verdict.accepted


def test_static_state_starts_anew_for_every_test(engine) -> None:
    """In-process harnesses must give each test a fresh program, as a new process would."""
    require_language("java")
    code = "class Solution {\n    static long calls = 0;\n    public long total(long[] v) { calls++; long s = 0; for (long x : v) s += x; return s + calls - 1; }\n}\n"
    report = engine.run_problem(ProblemRunRequest(problem=PROBLEM, code=code, language="java"))
    assert report.verdict == Verdict.accepted, report.failing_test
