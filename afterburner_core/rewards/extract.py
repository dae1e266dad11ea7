"""Getting the code out of a model's completion.

A completion is a plain string or TRL's conversational form (a list of ``{role, content}``
messages, whose last assistant message is the answer). The code is, in order of preference:

1. the last fenced block inside the last ``<solution>…</solution>``;
2. else the last fenced block anywhere (```` ```python ````, ```` ```cpp ````, plain ```` ``` ````);
3. else the body of the last ``<solution>``;
4. else None (unparsable).

Truncated generations are common in RL: an unclosed fence runs to the end of its text, and an
unclosed ``<solution>`` runs to the end of the completion.
"""

from __future__ import annotations

import re
from typing import Any

# An opening fence (``` or ~~~, optional info word such as python / c++ / cpp), then a body up to
# a closing fence of the same characters on its own line, or the end of the text (unclosed).
FENCE = re.compile(
    r"(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[\w+#.\-]*)[ \t]*\r?\n"
    r"(?P<body>.*?)"
    r"(?:^[ \t]*(?P=fence)[ \t]*$|(?P<eof>\Z))",
    re.S | re.M,
)
SOLUTION_OPEN, SOLUTION_CLOSE = "<solution>", "</solution>"


def completion_text(completion: Any) -> str:
    """The text of a completion: a string, a message dict, or a list of messages (last assistant)."""
    if completion is None:
        return ""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        return _content_text(completion.get("content"))
    if isinstance(completion, (list, tuple)):
        messages = [m for m in completion if isinstance(m, dict)]
        if not messages:
            return "".join(str(part) for part in completion)
        assistant = [m for m in messages if m.get("role", "assistant") == "assistant"]
        return _content_text((assistant or messages)[-1].get("content"))
    return str(completion)


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # multimodal parts: [{"type": "text", "text": ...}, ...]
        return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    return str(content)


def fenced_blocks(text: str) -> list[str]:
    """The bodies of the fenced code blocks in `text`, in order (an unclosed last one included)."""
    return [match.group("body") for match in FENCE.finditer(text)]


def solution_body(text: str) -> str | None:
    """The body of the last ``<solution>`` (to its ``</solution>``, or to the end when unclosed)."""
    start = text.rfind(SOLUTION_OPEN)
    if start < 0:
        return None
    body = text[start + len(SOLUTION_OPEN) :]
    end = body.find(SOLUTION_CLOSE)
    return body if end < 0 else body[:end]


def _clean(code: str | None) -> str | None:
    if code is None:
        return None
    code = code.strip("\r\n")
    return code + "\n" if code.strip() else None


def extract_code(completion: Any) -> str | None:
    """The code of a completion (see the module docstring), or None when there is none."""
    text = completion_text(completion)
    body = solution_body(text)
    if body is not None:
        blocks = [b for b in fenced_blocks(body) if b.strip()]
        if blocks:
            return _clean(blocks[-1])
    blocks = [b for b in fenced_blocks(text) if b.strip()]
    if blocks:
        return _clean(blocks[-1])
    if body is not None:
        return _clean(body)
    return None
