"""Regenerate afterburner_core/data/demo_samples.jsonl: example "model outputs" for `afterburner demo`.

They stand in for a model: for each demo problem and language, one output in chat/markdown form
(a fenced block, as models answer), one plain code sample, and one wrong answer, drawn from
venus-mini's labelled solutions. Run: python scripts/make_demo_samples.py
"""

from __future__ import annotations

import json
from pathlib import Path

from afterburner_core.datasets import DATA_DIR, get_problem

DEMO_PROBLEMS = ["count-pairs-with-sum", "daily-temperatures", "run-length-encode"]
FENCE = {"python": "python", "cpp": "cpp", "rust": "rust", "go": "go", "java": "java", "javascript": "javascript"}


def main() -> None:
    rows = []
    for title in DEMO_PROBLEMS:
        problem = get_problem(title)
        for language, solutions in sorted(problem.solutions.items()):
            correct = [s for s in solutions if s.passed]
            wrong = [s for s in solutions if not s.passed]
            first, last = correct[0], correct[-1]
            rows.append(
                {
                    "problem_id": title,
                    "language": language,
                    "tag": "model-a",
                    "completion": f"Here is an efficient solution.\n\n```{FENCE[language]}\n{first.code.strip()}\n```\n",
                }
            )
            rows.append({"problem_id": title, "language": language, "tag": "model-b", "code": last.code})
            rows.append({"problem_id": title, "language": language, "tag": "model-c", "code": wrong[0].code})
    path = Path(DATA_DIR) / "demo_samples.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(f"wrote {len(rows)} samples to {path}")


if __name__ == "__main__":
    main()
