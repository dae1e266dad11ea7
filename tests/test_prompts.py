"""The shared prompt template: sections, feedback with units and percentiles, response round trip."""

from __future__ import annotations

import pytest

from afterburner_core.datasets import get_problem
from afterburner_core.models import CompileInfo, FailingTest, RunReport, Verdict
from afterburner_core.prompts import Attempt, build_messages, format_response, render_feedback
from afterburner_core.rewards.extract import extract_code

PROBLEM = get_problem("count-primes")


def _report(passed: bool) -> RunReport:
    if passed:
        return RunReport(
            verdict=Verdict.accepted,
            passed=True,
            tests_passed=22,
            tests_total=22,
            language="python",
            compile=CompileInfo(ok=True),
            time_ms=12.5,
            memory_kb=9000,
            integral_kb_ms=55000,
        )
    return RunReport(
        verdict=Verdict.wrong_answer,
        passed=False,
        tests_passed=3,
        tests_total=22,
        language="python",
        compile=CompileInfo(ok=True),
        stderr="",
        failing_test=FailingTest(index=3, input="1\n5\n", expected="3\n", actual="2\n", reason="differs"),
    )


def test_success_feedback_has_units_and_percentiles() -> None:
    text = render_feedback(Attempt("x", _report(True), {"time": 0.4, "memory": 0.9, "integral": None}))
    assert "12.50 ms (beats 40% of human solutions)" in text
    assert "9,000 KiB (beats 90%" in text and "KiB·ms" in text and "inf" not in text


def test_failure_feedback_shows_the_failing_test() -> None:
    text = render_feedback(Attempt("x", _report(False)))
    assert "wrong_answer" in text and "#3" in text and "Expected output: 3" in text and "Your output: 2" in text


@pytest.mark.parametrize("objective", ["time", "memory", "integral"])
def test_messages_shape(objective: str) -> None:
    fresh = build_messages(PROBLEM, "cpp", objective)
    assert [m["role"] for m in fresh] == ["system", "user"]
    assert "## Original solution" not in fresh[1]["content"] and "```cpp" in fresh[1]["content"]
    improve = build_messages(PROBLEM, "cpp", objective, Attempt("int x;", _report(True)))
    assert "## Measured performance of the original" in improve[1]["content"]
    fix = build_messages(PROBLEM, "cpp", objective, Attempt("int x;", _report(False)))
    assert "fails. Fix it" in fix[1]["content"]


def test_unknown_objective_is_refused() -> None:
    with pytest.raises(ValueError, match="objective"):
        build_messages(PROBLEM, "python", "speed")


def test_response_format_round_trips_through_extraction() -> None:
    code = PROBLEM.solutions["go"][0].code
    response = format_response(code, "go", "sieve once, answer queries by prefix counts")
    assert response.startswith("<thinking>") and "</solution>" in response
    assert extract_code(response).strip() == code.strip()
