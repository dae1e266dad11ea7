"""Writing an evaluation: report.json, report.md and PNG plots (matplotlib, optional)."""

from __future__ import annotations

import json
from pathlib import Path

from rich.table import Table

from afterburner_core.litmus.evaluate import SCORES, Aggregate, Evaluation


def litmus_table(evaluation: Evaluation, title: str = "Litmus", by: str = "language") -> Table:
    """The scores per language (or per tag: ``by="tag"``) and overall."""
    table = Table(title=title)
    table.add_column(by)
    table.add_column("samples", justify="right")
    for name in SCORES:
        table.add_column(name, justify="right")
    table.add_column("time: beyond/equal/below/failed", justify="right")
    groups = evaluation.by_tag if by == "tag" else evaluation.by_language
    rows = [*((name or "(untagged)", agg) for name, agg in groups.items()), ("overall", evaluation.overall)]
    for name, agg in rows:
        shares = agg.shares["time"]
        table.add_row(
            name,
            str(agg.samples),
            *(f"{agg.scores[s] * 100:5.1f} [{agg.ci[s][0] * 100:.0f}–{agg.ci[s][1] * 100:.0f}]" for s in SCORES),
            " / ".join(f"{shares[k] * 100:.0f}" for k in ("beyond", "equal", "below", "failed")),
        )
    return table


def comparison_lines(evaluation: Evaluation) -> list[str]:
    """One line per pair of tags: B − A per score, with the paired interval, and what it supports."""
    lines = []
    for c in evaluation.comparisons:
        cells = []
        for s in SCORES:
            lo, hi = c.ci[s]
            verdict = "" if lo <= 0 <= hi else (" (B higher)" if lo > 0 else " (A higher)")
            cells.append(f"{s} {c.difference[s] * 100:+.1f} [{lo * 100:+.1f}, {hi * 100:+.1f}]{verdict}")
        lines.append(
            f"{c.b or '(untagged)'} − {c.a or '(untagged)'} on {c.problems} shared problems: " + "; ".join(cells)
        )
    return lines


def _markdown(evaluation: Evaluation) -> str:
    lines = ["# Litmus report", ""]
    for key, value in evaluation.meta.items():
        lines.append(f"- **{key}**: {value}")
    lines += [
        "",
        "Scores in % with percentile-bootstrap 95 % intervals over problems.",
        "",
        "| language | samples | " + " | ".join(SCORES) + " | time beyond / equal / below / failed |",
        "|---|---:|" + "---:|" * len(SCORES) + "---|",
    ]

    def row(name: str, agg: Aggregate) -> str:
        cells = [f"{agg.scores[s] * 100:.1f} [{agg.ci[s][0] * 100:.1f}, {agg.ci[s][1] * 100:.1f}]" for s in SCORES]
        shares = agg.shares["time"]
        split = " / ".join(f"{shares[k] * 100:.0f}%" for k in ("beyond", "equal", "below", "failed"))
        return f"| {name} | {agg.samples} | " + " | ".join(cells) + f" | {split} |"

    for name, agg in evaluation.by_language.items():
        lines.append(row(name, agg))
    lines.append(row("**overall**", evaluation.overall))
    if evaluation.by_tag:
        lines += [
            "",
            "## By model (tag)",
            "",
            "| tag | samples | " + " | ".join(SCORES) + " | time beyond / equal / below / failed |",
            "|---|---:|" + "---:|" * len(SCORES) + "---|",
        ]
        lines += [row(name or "(untagged)", agg) for name, agg in evaluation.by_tag.items()]
    if evaluation.comparisons:
        lines += ["", "## Paired comparisons (B − A, points, 95 % paired bootstrap interval over shared problems)", ""]
        lines += [f"- {line}" for line in comparison_lines(evaluation)]
    lines += [
        "",
        "## Samples",
        "",
        "| problem | language | tag | verdict | time ms | time beyond | memory beyond | integral beyond |",
        "|---|---|---|---|---:|---:|---:|---:|",
    ]
    for r in evaluation.records:

        def pct(metric: str, record=r) -> str:
            value = record.beyond[metric]
            return "—" if value is None else f"{value * 100:.0f}%"

        time_ms = "—" if r.values["time"] is None else f"{r.values['time']:.2f}"
        lines.append(
            f"| {r.problem_id} | {r.language} | {r.tag} | {r.verdict} | {time_ms} | {pct('time')} | "
            f"{pct('memory')} | {pct('integral')} |"
        )
    return "\n".join(lines) + "\n"


def _plots(evaluation: Evaluation, out: Path) -> list[Path]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    written = []
    languages = list(evaluation.by_language)
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(languages) + 2), 4))
    width = 0.2
    for i, name in enumerate(SCORES):
        values = [evaluation.by_language[lang].scores[name] * 100 for lang in languages]
        low = [v - evaluation.by_language[lang].ci[name][0] * 100 for v, lang in zip(values, languages, strict=True)]
        high = [evaluation.by_language[lang].ci[name][1] * 100 - v for v, lang in zip(values, languages, strict=True)]
        positions = [j + (i - 1.5) * width for j in range(len(languages))]
        ax.bar(positions, values, width, yerr=[low, high], capsize=2, label=name)
    ax.set_xticks(range(len(languages)), languages)
    ax.set_ylabel("%")
    ax.set_ylim(0, 100)
    ax.set_title("Litmus by language (95 % bootstrap CI over problems)")
    ax.legend(ncol=4, fontsize=8)
    fig.tight_layout()
    path = out / "languages.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    written.append(path)

    if evaluation.by_tag:
        tags = list(evaluation.by_tag)
        fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(tags) + 2), 4))
        for i, name in enumerate(SCORES):
            values = [evaluation.by_tag[tag].scores[name] * 100 for tag in tags]
            low = [v - evaluation.by_tag[tag].ci[name][0] * 100 for v, tag in zip(values, tags, strict=True)]
            high = [evaluation.by_tag[tag].ci[name][1] * 100 - v for v, tag in zip(values, tags, strict=True)]
            ax.bar(
                [j + (i - 1.5) * width for j in range(len(tags))],
                values,
                width,
                yerr=[low, high],
                capsize=2,
                label=name,
            )
        ax.set_xticks(range(len(tags)), [tag or "(untagged)" for tag in tags])
        ax.set_ylabel("%")
        ax.set_ylim(0, 100)
        ax.set_title("Litmus by model (95 % bootstrap CI over problems)")
        ax.legend(ncol=4, fontsize=8)
        fig.tight_layout()
        path = out / "models.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        written.append(path)

    problems = sorted({r.problem_id for r in evaluation.records})
    fig, ax = plt.subplots(figsize=(8, max(3, 0.35 * len(problems) + 1)))
    for lang in languages:
        xs, ys = [], []
        for index, pid in enumerate(problems):
            for r in evaluation.records:
                if r.problem_id == pid and r.language == lang and r.beyond["time"] is not None:
                    xs.append(r.beyond["time"] * 100)
                    ys.append(index)
        ax.scatter(xs, ys, label=lang, alpha=0.7)
    ax.set_yticks(range(len(problems)), problems)
    ax.set_xlim(-2, 102)
    ax.set_xlabel("time: % of human solutions beaten (failed = 0)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = out / "problems_time.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    written.append(path)
    return written


def write_report(evaluation: Evaluation, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(evaluation.to_json(), indent=1))
    (out / "report.md").write_text(_markdown(evaluation))
    return [out / "report.json", out / "report.md", *_plots(evaluation, out)]
