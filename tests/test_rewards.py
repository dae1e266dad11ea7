"""Rewards: the ordering every reward must keep (faster passing > slower passing > failing >
unparsable) on a real venus-mini problem, code extraction, the TRL adapter (sync and async) and a
third-party reward plugin installed as a throw-away distribution."""

from __future__ import annotations

import asyncio
import inspect
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from afterburner_core.datasets import get_problem
from afterburner_core.errors import AfterburnerError
from afterburner_core.litmus.humans import METRICS
from afterburner_core.models import ProblemRunRequest, RunReport
from afterburner_core.objectives import REPORT_FIELD
from afterburner_core.rewards import RewardInput, extract_code, get_reward, installed_rewards
from afterburner_core.rewards.builtin import format_ok
from afterburner_core.rewards.trl import atrl_reward, trl_reward
from afterburner_core.sandbox.api import Sandbox
from tests.helpers import REPO, install_throwaway_distribution, private_calibration, require_language, run_cli

PROBLEM = "count-pairs-with-sum"
REWARDS = ("afterburner", "percentile", "speedup")


def _solution(label_part: str) -> str:
    problem = get_problem(PROBLEM)
    return next(s.code for s in problem.solutions["python"] if label_part in s.label)


FAST = "Counter of values"  # O(n), one pass over distinct keys
SLOW = "treap"  # hand-written treap, ~10x slower
MIDDLE = "sorted copy + bisect"  # the baseline: in between
WRONG = "WRONG"


def tagged(code: str) -> str:
    return f"<thinking>\nplan\n</thinking>\n<solution>\n```python\n{code}```\n</solution>"


UNPARSABLE = "I am not sure how to solve this one."


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    require_language("python")
    return Sandbox()


@pytest.fixture(scope="module", autouse=True)
def isolated_calibration(tmp_path_factory: pytest.TempPathFactory):
    """Human distributions measured by these tests go to a private calibration file."""
    with private_calibration(tmp_path_factory) as root:
        yield root


@pytest.fixture(scope="module")
def measured(sandbox: Sandbox) -> dict[str, RunReport]:
    """Every python solution of the problem (the correct ones are the humans), one batch."""
    problem = get_problem(PROBLEM)
    solutions = problem.solutions["python"]
    reports = sandbox.run_many([ProblemRunRequest(problem=problem, code=s.code, language="python") for s in solutions])
    return {s.label: r for s, r in zip(solutions, reports, strict=True)}


def _report(measured: dict[str, RunReport], label_part: str) -> RunReport:
    return next(r for label, r in measured.items() if label_part in label)


def _items(measured: dict[str, RunReport], objective: str, baseline: RunReport | None) -> list[RewardInput]:
    problem = get_problem(PROBLEM)
    humans = {m: [getattr(r, REPORT_FIELD[m]) for label, r in measured.items() if r.passed] for m in METRICS}
    items = []
    for part in (FAST, SLOW, WRONG):
        code = _solution(part)
        items.append(
            RewardInput(
                problem=problem,
                language="python",
                objective=objective,
                completion=tagged(code),
                code=code,
                report=_report(measured, part),
                baseline=baseline,
                humans=humans,
            )
        )
    items.append(
        RewardInput(
            problem=problem,
            language="python",
            objective=objective,
            completion=UNPARSABLE,
            code=None,
            report=None,
            baseline=baseline,
            humans=humans,
        )
    )
    return items


def test_measured_solutions_are_what_the_ordering_tests_assume(measured: dict[str, RunReport]) -> None:
    assert _report(measured, FAST).passed and _report(measured, SLOW).passed and _report(measured, MIDDLE).passed
    assert not _report(measured, WRONG).passed
    assert _report(measured, FAST).time_ms < _report(measured, MIDDLE).time_ms < _report(measured, SLOW).time_ms


@pytest.mark.parametrize("name", REWARDS)
@pytest.mark.parametrize("baseline_part", [MIDDLE, None, WRONG])
def test_every_reward_orders_fast_slow_failing_unparsable(measured, name: str, baseline_part: str | None) -> None:
    baseline = _report(measured, baseline_part) if baseline_part else None
    reward = get_reward(name)
    totals = [out.total for out in reward.score(_items(measured, "time", baseline))]
    fast, slow, failing, unparsable = totals
    assert fast > slow > failing > unparsable, (name, baseline_part, totals)
    assert all(math.isfinite(t) for t in totals)


@pytest.mark.parametrize("objective", ["memory", "integral"])
def test_ordering_holds_for_other_objectives_where_they_differ(measured, objective: str) -> None:
    # integral tracks time here (same memory, 10x the duration); memory barely differs between
    # these solutions, so only passing > failing > unparsable is asserted for it.
    for name in REWARDS:
        totals = [o.total for o in get_reward(name).score(_items(measured, objective, _report(measured, MIDDLE)))]
        if objective == "integral":
            assert totals[0] > totals[1], (name, totals)
        assert min(totals[:2]) > totals[2] > totals[3], (name, objective, totals)


def test_afterburner_reward_components_follow_the_paper_with_units_fixed(measured) -> None:
    items = _items(measured, "time", _report(measured, MIDDLE))
    fast, _, failing, unparsable = get_reward("afterburner").score(items)
    b, x = _report(measured, MIDDLE).time_ms, _report(measured, FAST).time_ms
    assert fast.components["pass"] == 0.5 and fast.components["format"] == 1.0
    assert fast.components["gain"] == pytest.approx((b - x) / b)  # milliseconds on both sides, no clip at 90
    assert fast.total == pytest.approx(0.5 * (0.5 + 0.5 * math.tanh((b - x) / b)) + 0.2)
    assert failing.components["pass"] == -1.0 and failing.components["efficiency"] == 0.0
    assert unparsable.components["unparsable"] == 1.0 and unparsable.components["format"] == 0.0
    # no baseline counts as failed: fail -> pass is +1, the efficiency compares with the human median
    fixed = get_reward("afterburner").score(_items(measured, "time", None))[0]
    assert fixed.components["pass"] == 1.0 and "gain" in fixed.components
    # ... and with no humans either there is no efficiency term at all
    bare = _items(measured, "time", None)[0]
    bare.humans = {}
    assert "gain" not in get_reward("afterburner").score([bare])[0].components
    # weights are options
    heavy = get_reward("afterburner", w_format=1.0).score(items)[0]
    assert heavy.total == pytest.approx(fast.total + 0.8)


def test_format_term() -> None:
    assert format_ok(tagged("x = 1\n"))
    assert not format_ok("preamble " + tagged("x = 1\n"))
    assert not format_ok(tagged("x = 1\n") + "<solution>again</solution>")
    assert not format_ok("```python\nx = 1\n```")
    assert format_ok("text\n```python\nx = 1\n```\n", require_tags=False)
    assert not format_ok("```python\nx = 1\n```\n```python\ny = 2\n```\n", require_tags=False)
    loose = get_reward("afterburner", require_tags=False)
    problem = get_problem(PROBLEM)
    item = RewardInput(
        problem=problem,
        language="python",
        objective="time",
        completion="```python\nx=1\n```",
        code="x=1\n",
        report=None,
    )
    assert loose.score([item])[0].components["format"] == 1.0


def test_percentile_is_neutral_without_humans_and_rewards_are_resolved_by_name(measured) -> None:
    item = _items(measured, "time", None)[0]
    item.humans = {}
    assert get_reward("percentile").score([item])[0].total == 0.5
    assert {"afterburner", "percentile", "speedup"} <= set(installed_rewards())
    with pytest.raises(AfterburnerError, match=r"unknown reward 'nope' \(installed: afterburner, percentile, speedup"):
        get_reward("nope")
    with pytest.raises(AfterburnerError, match="has no option 'bogus'"):
        get_reward("speedup", bogus=1)
    with pytest.raises(AfterburnerError, match="unknown objective"):
        RewardInput(problem=item.problem, language="python", objective="speed", completion="", code=None, report=None)


# -- extraction ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        ("Here:\n```python\na = 1\n```\nand better:\n```python\nb = 2\n```\n", "b = 2\n"),
        ("```cpp\nint x;\n```", "int x;\n"),
        ("plain fence\n```\nc = 3\n```", "c = 3\n"),
        (
            "<thinking>try ```python\nwrong = 1\n```</thinking>\n<solution>\n```python\nright = 1\n```\n</solution>\n"
            "```python\nafter = 1\n```",
            "right = 1\n",
        ),
        ("<solution>old</solution> then <solution>\n```python\nlast = 1\n```\n</solution>", "last = 1\n"),
        ("<thinking>x</thinking><solution>\nbody = 1\n</solution>", "body = 1\n"),
        ("<solution>\nunclosed = 1\n", "unclosed = 1\n"),
        ("truncated\n```python\ndef f():\n    return 1", "def f():\n    return 1\n"),
        ("inline ```x``` only, no block", None),
        ("no code at all", None),
        ("", None),
        ("```python\n\n```", None),
        (
            [
                {"role": "user", "content": "```python\nprompt = 1\n```"},
                {"role": "assistant", "content": "```python\nanswer = 1\n```"},
            ],
            "answer = 1\n",
        ),
        ([{"role": "assistant", "content": [{"type": "text", "text": "```python\nparts = 1\n```"}]}], "parts = 1\n"),
        ({"role": "assistant", "content": "```python\nd = 1\n```"}, "d = 1\n"),
        (None, None),
    ],
)
def test_extract_code(completion, expected) -> None:
    assert extract_code(completion) == expected


# -- the TRL adapter -------------------------------------------------------------------------------


class CountingSandbox:
    """The real sandbox, counting run_many calls and their requests."""

    def __init__(self, inner: Sandbox) -> None:
        self.inner = inner
        self.calls: list[list[ProblemRunRequest]] = []
        self.parallel = inner.parallel

    def run_many(self, requests):
        self.calls.append(list(requests))
        return self.inner.run_many(requests)

    def run_problem(self, request):
        return self.inner.run_problem(request)


def _trl_batch() -> tuple[list, dict]:
    fast, slow, middle, wrong = (_solution(p) for p in (FAST, SLOW, MIDDLE, WRONG))
    completions = [
        [{"role": "assistant", "content": tagged(fast)}],
        [{"role": "assistant", "content": tagged(slow)}],
        [{"role": "assistant", "content": tagged(wrong)}],
        [{"role": "assistant", "content": UNPARSABLE}],
    ]
    columns = {
        "problem_id": [PROBLEM] * 4,
        "language": ["python3", "python", "py", "python"],
        "baseline": [middle, middle, middle, None],  # one distinct baseline
        "completion_ids": [[1, 2]] * 4,  # what TRL also passes; ignored
        "trainer_state": object(),
    }
    return completions, columns


def test_trl_reward_end_to_end_with_baselines_in_the_same_batch(sandbox: Sandbox) -> None:
    counting = CountingSandbox(sandbox)
    fn = trl_reward("afterburner", sandbox=counting)
    assert fn.__name__ == "afterburner_afterburner"
    assert list(inspect.signature(fn).parameters)[:2] == ["prompts", "completions"]
    assert not inspect.iscoroutinefunction(fn)
    completions, columns = _trl_batch()
    rewards = fn(prompts=["p"] * 4, completions=completions, **columns)
    assert len(rewards) == 4 and all(isinstance(r, float) for r in rewards)
    assert len(counting.calls) == 1  # candidates and baseline in one batch
    codes = [request.code for request in counting.calls[0]]
    assert len(codes) == 3 + 1 and codes.count(_solution(MIDDLE)) == 1
    fast, slow, failing, unparsable = rewards
    assert fast > slow > failing > unparsable  # fast/slow vs the same-batch baseline
    assert len(fn.last_components) == 4 and fn.last_components[0]["pass"] == 0.5
    assert fn.last_components[2]["pass"] == -1.0  # baseline passed, candidate failed
    assert fn.last_components[3]["unparsable"] == 1.0 and fn.last_components[3]["pass"] == -0.5  # no baseline
    # distinct baselines are measured once each; a failing baseline makes fixing it worth +1
    counting.calls.clear()
    wrong = _solution(WRONG)
    columns["baseline"] = [_solution(MIDDLE), wrong, wrong, _solution(MIDDLE)]
    columns["objective"] = ["integral", None, "time", "time"]
    fn(["p"] * 4, [completions[0], completions[0], completions[3], completions[3]], **columns)
    assert len(counting.calls) == 1 and len(counting.calls[0]) == 2 + 2
    assert [c["pass"] for c in fn.last_components] == [0.5, 1.0, -0.5, -1.0]
    with pytest.raises(AfterburnerError, match="column 'problem_id'"):
        fn(["p"], completions[:1], language=["python"])


def test_atrl_reward_is_a_coroutine_function_and_looks_humans_up(sandbox: Sandbox, isolated_calibration) -> None:
    counting = CountingSandbox(sandbox)
    fn = atrl_reward("percentile", sandbox=counting, human_repeat=1)
    assert inspect.iscoroutinefunction(fn) and fn.__name__ == "afterburner_percentile"
    completions, columns = _trl_batch()
    del columns["baseline"]
    completions, columns = (
        completions[::2] + completions[3:],
        {k: v[:3] if isinstance(v, list) else v for k, v in columns.items()},
    )
    rewards = asyncio.run(fn(prompts=["p"] * 3, completions=completions, **columns))
    assert len(counting.calls) == 1 and len(counting.calls[0]) == 2  # fast and wrong; the humans run apart
    fast, failing, unparsable = rewards
    assert fast > failing == 0.0 > unparsable == -0.1
    assert fn.last_components[0]["humans"] == 6.0  # the problem's six correct python solutions
    calibration = json.loads(next(isolated_calibration.glob("humans-*.json")).read_text())
    assert len(calibration["problems"][str(get_problem(PROBLEM).problem_id)]["python"]["entries"]) == 6
    # a second batch reuses the humans: only the candidates run
    asyncio.run(
        fn(prompts=["p"], completions=completions[:1], **{k: v[:1] for k, v in columns.items() if isinstance(v, list)})
    )
    assert [len(c) for c in counting.calls] == [2, 1]


# -- a third-party reward plugin ---------------------------------------------------------------------

TOY_REWARD = '''
"""A third-party reward: shorter code is better; nothing in the core changes."""
from afterburner_core.hookspecs import hookimpl
from afterburner_core.rewards import RewardOutput


class ShortCode:
    name = "toy-short"

    def score(self, items):
        return [RewardOutput(-1.0 if it.code is None else 1.0 / len(it.code), {"chars": float(len(it.code or ""))})
                for it in items]


class Plugin:
    @hookimpl
    def afterburner_rewards(self):
        return [ShortCode()]


plugin = Plugin()
'''

USE_TOY = """
from afterburner_core.rewards import get_reward, installed_rewards
from afterburner_core.rewards.trl import trl_reward
fn = trl_reward("toy-short")
print(sorted(installed_rewards()))
print(fn.__name__, fn(["p"], ["no code"], problem_id=["count-pairs-with-sum"], language=["python"]))
"""


def test_third_party_reward_plugin_is_discovered_and_used_by_name(tmp_path: Path) -> None:
    install_throwaway_distribution(tmp_path, "afterburner-reward-toy", "toy_reward", TOY_REWARD, "toy-reward")
    env = {"PYTHONPATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", USE_TOY],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        env={**os.environ, **env},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    names, call = result.stdout.splitlines()
    assert "toy-short" in names and "afterburner" in names
    assert call == "afterburner_toy-short [-1.0]"  # no code: the sandbox is never needed
    listing = json.loads(run_cli("plugins", "--json", env=env).stdout)
    plugin = next(p for p in listing["plugins"] if p["name"] == "toy-reward")
    assert plugin["kind"] == "reward" and plugin["distribution"] == "afterburner-reward-toy"
