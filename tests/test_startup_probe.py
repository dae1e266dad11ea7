"""A process-per-test language's start-up is measured beside every run and subtracted from the
sum: a solution is charged what its processes cost beyond an empty program's, *now*."""

from __future__ import annotations

import pytest

from afterburner_core.datasets import get_problem
from afterburner_core.models import ExecutionRequest, Limits, ProblemRunRequest
from afterburner_core.problems import problem_tests
from afterburner_core.sandbox.api import Sandbox
from afterburner_core.sandbox.backends.local import LocalBackend
from afterburner_core.sandbox.measurement.analysis import Baseline
from tests.helpers import require_language


@pytest.mark.parametrize("language", ["cpp", "go"])
def test_start_up_is_measured_with_each_run_not_taken_from_the_cache(
    language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cached start-up is made worthless (zero): without the probe a solution of a 21-test
    problem is charged 21 start-ups of the empty program; with it, most of them come off again."""
    require_language(language)
    problem = get_problem("run-length-encode")
    code = next(s for s in problem.solutions[language] if s.passed).code
    tests = len(problem_tests(problem))
    monkeypatch.setattr(LocalBackend, "_baseline", lambda self, info, job, limits: Baseline())
    request = ProblemRunRequest(problem=problem, code=code, language=language, limits=Limits(), repeat=3)
    with Sandbox() as sandbox:
        empty = sandbox.execute(
            ExecutionRequest(code=_empty_program(language), language=language, limits=Limits(), repeat=5)
        )
        probed = sandbox.run_problem(request)
        monkeypatch.setattr(LocalBackend, "_startup_probe", lambda self, info, job, limits, tests: None)
        unprobed = sandbox.run_problem(request)
    assert empty.passed and probed.passed and unprobed.passed
    start_ups = tests * empty.cpu_ms
    assert unprobed.cpu_ms > 0.6 * start_ups  # every test's start-up charged to the solution
    assert unprobed.cpu_ms - probed.cpu_ms > 0.5 * start_ups  # the probe takes them off again


def _empty_program(language: str) -> str:
    from afterburner_core.plugins import get_registry

    return get_registry().resolve_language(language).plugin.empty_program
