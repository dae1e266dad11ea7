"""The part of a compiler's output a user (or a model, in the IOF feedback) needs: the first error.

Compilers print cascades: a missing header becomes forty errors, a type error in Rust a screen of
notes. What explains a failure is the *first* diagnostic with its own context (the code line and
the caret, Rust's snippet, Python's traceback frame), so that is what reports carry -- preceded by
the command and its flags (a `contains` that does not compile under ``-std=c++17`` is explained by
the flag, not by the error) and cut at line boundaries, never mid-word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

EXCERPT_CHARS = 2000


def command_line(argv: Sequence[str]) -> str:
    """The command as a user would type it: the compiler by name, then its arguments."""
    return " ".join([Path(argv[0]).name, *argv[1:]]) if argv else ""


def first_error(output: str, pattern: str, before: int = 0, after: int = 12) -> str:
    """The first line matching `pattern`, with `before` lines of context above it and the lines
    that continue it below (up to `after`; a blank line or the next match ends it). Without a
    match, the start of the output."""
    lines = output.splitlines()
    matcher = re.compile(pattern)
    anchor = next((i for i, line in enumerate(lines) if matcher.search(line)), None)
    if anchor is None:
        return "\n".join(lines[: before + after + 1])
    end = anchor + 1
    while end < len(lines) and end - anchor <= after and lines[end].strip() and not matcher.search(lines[end]):
        end += 1
    start = max(0, anchor - before)
    while start < anchor and not lines[start].strip():
        start += 1
    return "\n".join(lines[start:end])


def compile_failure(
    argv: Sequence[str], output: str, pattern: str, context: tuple[int, int], limit: int = EXCERPT_CHARS
) -> str:
    """What a failed compile reports: ``$ command`` and the first error, at most `limit` characters
    (whole lines; a single overlong line is cut with an ellipsis)."""
    excerpt = first_error(output, pattern, *context) or output.strip()
    text = f"$ {command_line(argv)}\n{excerpt}".rstrip()
    if len(text) <= limit:
        return text
    kept: list[str] = []
    size = 0
    for line in text.splitlines():
        if size + len(line) + 1 > limit:
            if not kept:
                kept.append(line[: limit - 1] + "…")
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)
