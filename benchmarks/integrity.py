"""Measurement-integrity benchmark (issue 13): do reward hacks still pay, and what did it cost?

    python -m benchmarks.integrity [--backend local] [--before REF] [--rounds 5] > integrity.json

1. `attacks`: every hack of `tests/adversarial/hacks.py`, each run next to the honest solution that
   does the same work (interleaved, `--rounds` times): their verdicts and median figures side by
   side, and whether the hack was held (forgeries `tampered`, moved work counted, no state carried
   over, hidden memory and orphaned CPU reported, answers out of reach).
2. `gaps`: what the harness honestly spends between two tests (CPU of the gap, from the
   supervisor's exact counter) for the human solutions of count-pairs-with-sum in Python,
   JavaScript and Java -- the data behind `analysis.GAP_ALLOWANCE_NS`.
3. `overhead`: the harness's own cost per test (a program that prints a constant, 40 tests), now
   and at `--before` (a checkout of the code before the supervisor fed the tests: the in-process
   timing loop), measured alternately in one run: the per-test overhead of each and their ratio,
   for small inputs and for 256 KiB inputs (the input is now read inside the test's window).

Prints the JSON and writes `benchmarks/results/integrity.json` (`integrity_<backend>.json` for other
backends).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from afterburner_core.datasets import get_problem
from afterburner_core.models import ExecutionRequest, Limits, ProblemRunRequest, RunReport
from afterburner_core.problems import problem_tests
from afterburner_core.sandbox.api import Sandbox
from afterburner_core.sandbox.backends import local as engine_module
from afterburner_core.sandbox.measurement import analysis
from tests.adversarial import hacks

RESULTS = Path(__file__).with_name("results")
REPO = Path(__file__).resolve().parents[1]
PROBLEM = "count-pairs-with-sum"
LIMITS = Limits(timeout_s=10, memory_mb=512, compile_timeout_s=60)
# The last commit whose harnesses timed their tests in-process (the code this issue replaced).
BEFORE = "f0ab009"
HARNESS_LANGUAGES = ("python", "javascript", "java")
CONSTANT_PROGRAM = {
    "python": 'print("x")\n',
    "javascript": "console.log('x');\n",
    "java": 'public class Main { public static void main(String[] a) { System.out.println("x"); } }\n',
}


def _fill(template: str, language: str, mark: str, **values: str) -> str:
    source = template.replace("@MARK@", mark).replace("@SPIN@", str(hacks.SPIN.get(language, 0)))
    for key, value in values.items():
        source = source.replace(f"@{key}@", value)
    return source


def _summary(report: RunReport) -> dict[str, Any]:
    return {
        "verdict": report.verdict.value,
        "time_ms": report.time_ms,
        "cpu_ms": report.cpu_ms,
        "memory_kb": report.memory_kb,
        "outside_ms": (report.model_extra or {}).get("outside_ms", 0.0),
    }


def _median(rows: list[dict[str, Any]], key: str) -> float | None:
    values = [row[key] for row in rows if row.get(key) is not None]
    return round(statistics.median(values), 3) if values else None


# ----------------------------------------------------------------------------------------- attacks
def _attack_cases() -> list[dict[str, Any]]:
    """(name, language, attacked template, honest template or None, kind, expectation)."""
    cases = []
    for language, source in hacks.FROZEN_CLOCKS.items():
        cases.append(
            dict(
                name="frozen_clocks",
                language=language,
                attacked=source,
                honest=hacks.HONEST[language],
                kind="solve",
                expect="measured",
            )
        )
    for language, source in hacks.GAP_WORK.items():
        cases.append(
            dict(
                name="work_between_tests",
                language=language,
                attacked=source,
                honest=hacks.HONEST_BUSY[language],
                kind="solve",
                expect="measured",
                share=5 / 6,
            )
        )
    cases.append(
        dict(
            name="destructor",
            language="python",
            attacked=hacks.DESTRUCTOR,
            honest=hacks.HONEST_BUSY["python"],
            kind="solve",
            expect="measured",
        )
    )
    for name, table in (("forged_done", hacks.FORGED_DONE), ("exit_hook_forgery", hacks.EXIT_FORGERY)):
        for language, source in table.items():
            cases.append(
                dict(
                    name=name,
                    language=language,
                    attacked=source,
                    honest=hacks.HONEST[language],
                    kind="solve",
                    expect="tampered",
                )
            )
    for language, source in hacks.EXIT_STATUS.items():
        cases.append(
            dict(
                name="failing_exit",
                language=language,
                attacked=source,
                honest=hacks.HONEST[language],
                kind="solve",
                expect="runtime_error",
            )
        )
    cases.append(
        dict(
            name="files_between_repeats",
            language="python",
            attacked=hacks.LEFT_BEHIND_PYTHON,
            honest=hacks.HONEST["python"],
            kind="solve",
            expect="accepted",
            repeat=3,
        )
    )
    for language, source in hacks.SYSV_LEFT_BEHIND.items():
        cases.append(
            dict(
                name="sysv_between_repeats",
                language=language,
                attacked=source,
                honest=None,
                kind="execute",
                expect="accepted",
                repeat=3,
            )
        )
    for language, source in hacks.HIDDEN_MEMORY.items():
        cases.append(
            dict(
                name="memory_outside_rss",
                language=language,
                attacked=source,
                honest=None,
                kind="execute",
                expect="memory_over_150mib",
            )
        )
    cases.append(
        dict(
            name="orphan_cpu",
            language="cpp",
            attacked=hacks.ORPHAN_CPU,
            honest=None,
            kind="execute",
            expect="cpu_over_250ms",
        )
    )
    return cases


def _run_case(sandbox: Sandbox, case: dict[str, Any], template: str, mark: str) -> RunReport:
    language = case["language"]
    key = str(0x5AB00000 + int(hashlib.sha256(mark.encode()).hexdigest()[:5], 16))
    code = _fill(template, language, mark, KEY=key)
    if case["kind"] == "execute":
        return sandbox.execute(
            ExecutionRequest(code=code, language=language, limits=LIMITS, repeat=case.get("repeat", 1))
        )
    problem = get_problem(PROBLEM)
    return sandbox.run_problem(
        ProblemRunRequest(
            problem=problem,
            code=code,
            language=language,
            tests=problem_tests(problem)[:6],
            limits=LIMITS,
            repeat=case.get("repeat", 1),
        )
    )


def _held(case: dict[str, Any], attacked: list[dict[str, Any]], honest: list[dict[str, Any]]) -> bool:
    verdicts = {row["verdict"] for row in attacked}
    expect = case["expect"]
    if expect in ("tampered", "runtime_error", "accepted"):
        return verdicts == {expect}
    if expect == "measured":
        share = case.get("share", 1.0)
        cpu_a, cpu_h = _median(attacked, "cpu_ms"), _median(honest, "cpu_ms")
        return verdicts == {"accepted"} and cpu_a is not None and cpu_h is not None and cpu_a >= 0.6 * share * cpu_h
    if expect == "memory_over_150mib":
        return verdicts == {"accepted"} and (_median(attacked, "memory_kb") or 0) >= 150 * 1024
    if expect == "cpu_over_250ms":
        return verdicts == {"accepted"} and (_median(attacked, "cpu_ms") or 0) >= 250
    raise ValueError(expect)


def attacks(sandbox: Sandbox, rounds: int) -> list[dict[str, Any]]:
    rows = []
    for number, case in enumerate(_attack_cases()):
        attacked: list[dict[str, Any]] = []
        honest: list[dict[str, Any]] = []
        for round_number in range(rounds):
            mark = f"abint{number:03d}{round_number:02d}{os.getpid() % 1000:03d}"
            attacked.append(_summary(_run_case(sandbox, case, case["attacked"], mark)))
            if case["honest"] is not None:
                honest.append(_summary(_run_case(sandbox, case, case["honest"], mark + "h")))
        row: dict[str, Any] = {
            "attack": case["name"],
            "language": case["language"],
            "expect": case["expect"],
            "attacked": {
                "verdicts": sorted({r["verdict"] for r in attacked}),
                **{k: _median(attacked, k) for k in ("time_ms", "cpu_ms", "memory_kb", "outside_ms")},
            },
        }
        if honest:
            row["honest"] = {
                "verdicts": sorted({r["verdict"] for r in honest}),
                **{k: _median(honest, k) for k in ("time_ms", "cpu_ms", "memory_kb")},
            }
        row["held"] = _held(case, attacked, honest)
        rows.append(row)
        print(f"integrity: {case['name']} [{case['language']}] held={row['held']}", file=sys.stderr)
    return rows


# ----------------------------------------------------------------------------------------- gaps
def gaps(sandbox: Sandbox) -> dict[str, Any]:
    captured = []
    original = engine_module.analysis.harness_tests_outcome

    def spy(result, *args, **kwargs):  # type: ignore[no-untyped-def]
        captured.append(result)
        return original(result, *args, **kwargs)

    engine_module.analysis.harness_tests_outcome = spy
    problem = get_problem(PROBLEM)
    out: dict[str, Any] = {}
    try:
        for language in HARNESS_LANGUAGES:
            values: list[float] = []
            exact = True
            for solution in problem.solutions[language]:
                if not solution.passed:
                    continue
                report = sandbox.run_problem(
                    ProblemRunRequest(problem=problem, code=solution.code, language=language, limits=LIMITS)
                )
                if report.verdict.value != "accepted":
                    continue
                result = captured[-1]
                exact = exact and result.runs[0].cpu_exact
                values += [t.gap_cpu_ns / 1e3 for t in result.tests]
            values.sort()
            out[language] = {
                "gaps": len(values),
                "cpu_exact": exact,
                "median_us": round(statistics.median(values), 1) if values else None,
                "p99_us": round(values[int(0.99 * (len(values) - 1))], 1) if values else None,
                "max_us": round(values[-1], 1) if values else None,
                "over_allowance": sum(v * 1e3 > analysis.GAP_ALLOWANCE_NS for v in values),
            }
    finally:
        engine_module.analysis.harness_tests_outcome = original
    return out


# ----------------------------------------------------------------------------------------- overhead
OVERHEAD_SCRIPT = r"""
import json, sys
from afterburner_core.models import Limits, Problem, ProblemRunRequest, TestCase
from afterburner_core.sandbox.api import Sandbox
language, size, count, code = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
tests = [TestCase(input=("%d " % i) + "7" * size + "\n", output="x") for i in range(count)]
problem = Problem(problem_id="overhead", title="overhead", kind="stdio", test_cases=tests)
report = Sandbox().run_problem(ProblemRunRequest(problem=problem, code=code, language=language,
                                                 limits=Limits(timeout_s=10)))
print(json.dumps({"verdict": report.verdict.value, "time_ms": report.time_ms, "cpu_ms": report.cpu_ms}))
"""


# Not under /tmp: the jail gives each job a private /tmp, so a checkout or cache there is invisible
# to the programs it runs (the old code does not map them in as the current one does).
SCRATCH = Path.home() / ".cache"


def _scratch_dir(prefix: str) -> Path:
    """A fresh directory the jailed (unprivileged) uid can traverse, as the real cache root is."""
    SCRATCH.mkdir(parents=True, exist_ok=True)
    made = Path(tempfile.mkdtemp(prefix=prefix, dir=SCRATCH))
    made.chmod(0o755)
    return made


def _checkout(ref: str) -> Path:
    target = _scratch_dir("afterburner-before-")
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", str(target), ref], check=True, capture_output=True
    )
    return target


def _measure(root: Path, cache: Path, language: str, size: int, count: int) -> dict[str, Any]:
    plugins = [str(path) for path in sorted((root / "plugins").glob("lang_*"))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), *plugins]), "AFTERBURNER_CACHE": str(cache)}
    proc = subprocess.run(
        [sys.executable, "-c", OVERHEAD_SCRIPT, language, str(size), str(count), CONSTANT_PROGRAM[language]],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"overhead measurement failed at {root}: {proc.stderr[-800:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def overhead(before: str, rounds: int, count: int = 40) -> dict[str, Any]:
    """Per-test cost of the harness now and before, measured alternately (same host, same minute)."""
    old = _checkout(before)
    caches = {"now": _scratch_dir("afterburner-now-cache-"), "before": _scratch_dir("afterburner-before-cache-")}
    roots = {"now": REPO, "before": old}
    out: dict[str, Any] = {"before": before, "tests": count}
    try:
        for language in HARNESS_LANGUAGES:
            for size in (8, 256 * 1024):
                times: dict[str, list[float]] = {"now": [], "before": []}
                for _ in range(rounds):
                    for which in ("before", "now"):
                        row = _measure(roots[which], caches[which], language, size, count)
                        if row["verdict"] == "accepted":
                            times[which].append(row["time_ms"] / count)
                now, then = statistics.median(times["now"]), statistics.median(times["before"])
                out[f"{language}_{size}B"] = {
                    "now_ms_per_test": round(now, 4),
                    "before_ms_per_test": round(then, 4),
                    "ratio": round(now / then, 2) if then else None,
                }
                print(f"integrity: overhead {language} {size} B: {now:.4f} vs {then:.4f} ms/test", file=sys.stderr)
    finally:
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)], capture_output=True, check=False
        )
        for cache in caches.values():
            shutil.rmtree(cache, ignore_errors=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="local")
    parser.add_argument("--before", default=BEFORE, help="git ref of the code to compare the overhead with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-overhead", action="store_true")
    args = parser.parse_args()
    with Sandbox(args.backend) as sandbox:
        result: dict[str, Any] = {
            "backend": args.backend,
            "attacks": attacks(sandbox, args.rounds),
            "gaps": gaps(sandbox),
        }
    if not args.skip_overhead and args.backend == "local":
        result["overhead"] = overhead(args.before, args.rounds)
    result["held"] = all(row["held"] for row in result["attacks"])
    text = json.dumps(result, indent=2)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    name = "integrity.json" if args.backend == "local" else f"integrity_{args.backend}.json"
    (RESULTS / name).write_text(text + "\n")


if __name__ == "__main__":
    main()
