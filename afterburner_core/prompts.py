"""The one prompt template shared by training data, GRPO and test-time optimisation (IOF).

The original used different prompts for training and inference (system prompt or not, tags or not,
fenced or not, numbers without units, `inf` in prompts). Here every path builds its messages with
`build_messages` and every training response with `format_response`, so a model sees at test time
exactly the shape it was trained on. Feedback on the previous attempt carries the verdict, the first
failing test and a stderr excerpt on failure, and metrics *with units* and human percentiles on
success.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from afterburner_core.errors import AfterburnerError
from afterburner_core.models import Problem, RunReport
from afterburner_core.objectives import OBJECTIVES
from afterburner_core.plugins import get_registry

OBJECTIVE_PHRASE = {
    "time": "time-efficient (fast)",
    "memory": "memory-efficient (low peak memory)",
    "integral": "time-and-memory-efficient (low memory held over time)",
}

SYSTEM_PROMPT = (
    "You are an expert programmer who makes code fast and lean without breaking it. Reason briefly "
    "inside <thinking></thinking>, then give the complete solution inside <solution></solution> as "
    "exactly one fenced code block."
)
EXCERPT = 600


@dataclass
class Attempt:
    """A previous solution and what measuring it showed (percentiles: metric -> fraction beaten)."""

    code: str
    report: RunReport | None = None
    percentiles: dict[str, float | None] = field(default_factory=dict)


def _cut(text: str | None, limit: int = EXCERPT) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[:limit] + " …[truncated]"


def render_feedback(attempt: Attempt) -> str:
    """The measured outcome of an attempt, in words a model can act on."""
    report = attempt.report
    if report is None:
        return "Not measured."
    lines = [f"Verdict: {report.verdict.value} ({report.tests_passed}/{report.tests_total} tests passed)."]
    if report.passed:

        def metric(name: str, value: float | None, unit: str, digits: int) -> str:
            if value is None:
                return f"{name}: not measured"
            share = attempt.percentiles.get(name)
            beaten = "" if share is None else f" (beats {share * 100:.0f}% of human solutions)"
            return f"{name}: {value:,.{digits}f} {unit}{beaten}"

        lines.append(metric("time", report.time_ms, "ms", 2) + ";")
        lines.append(metric("memory", report.memory_kb, "KiB", 0) + ";")
        lines.append(metric("integral", report.integral_kb_ms, "KiB·ms", 0) + ".")
        return "\n".join(lines)
    failing = report.failing_test
    if failing is not None:
        lines.append(f"First failing test #{failing.index}: {failing.reason}.")
        lines.append(f"Input: {_cut(failing.input, 300)}")
        if failing.expected is not None:
            lines.append(f"Expected output: {_cut(failing.expected, 200)}")
        if failing.actual is not None:
            lines.append(f"Your output: {_cut(failing.actual, 200)}")
    if report.verdict.value == "compile_error":
        lines.append(f"Compiler message: {_cut(report.compile.stderr)}")
    elif report.stderr.strip():
        lines.append(f"Stderr: {_cut(report.stderr)}")
    return "\n".join(lines)


def _names(language: str) -> tuple[str, str]:
    """The language's code-fence word and prompt name, as its plugin declares them (the key itself
    for a language no installed plugin knows: a prompt can still be built for it)."""
    try:
        info = get_registry().resolve_language(language)
    except AfterburnerError:
        return language, language
    return info.fence, info.prompt_name


def build_messages(
    problem: Problem, language: str, objective: str, original: Attempt | None = None
) -> list[dict[str, str]]:
    """Chat messages (system + user) asking for a solution optimised for `objective`."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, not {objective!r}")
    fence, name = _names(language)
    if original is None:
        task = f"Write a correct and {OBJECTIVE_PHRASE[objective]} solution in {name}."
    elif original.report is not None and not original.report.passed:
        task = f"The original solution fails. Fix it, and make it {OBJECTIVE_PHRASE[objective]}, in {name}."
    else:
        task = f"Make the original solution more {OBJECTIVE_PHRASE[objective]} in {name}, keeping it correct."
    parts = [f"## Task\n{task}", f"## Problem\n{problem.question_content.strip()}"]
    starter = problem.code_prompt.get(language, "")
    if starter.strip():
        parts.append(f"## Starter code\n```{fence}\n{starter.rstrip()}\n```")
    if original is not None:
        parts.append(f"## Original solution\n```{fence}\n{original.code.rstrip()}\n```")
        parts.append(f"## Measured performance of the original\n{render_feedback(original)}")
    parts.append(
        "## Output format\n<thinking>your reasoning</thinking>\n<solution>\n"
        f"```{fence}\nthe complete solution, keeping the starter code's signature\n```\n</solution>"
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": "\n\n".join(parts)}]


def format_response(code: str, language: str, thinking: str = "") -> str:
    """A response in exactly the format the prompt asks for (used for SFT/DPO targets)."""
    fence, _ = _names(language)
    return f"<thinking>{thinking.strip()}</thinking>\n<solution>\n```{fence}\n{code.strip()}\n```\n</solution>"
