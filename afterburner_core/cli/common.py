"""Options shared by the CLI verbs that run code."""

from __future__ import annotations

import sys
from pathlib import Path

from afterburner_core.errors import AfterburnerError
from afterburner_core.models import Limits


def read_source(path: Path) -> str:
    if not path.exists():
        raise AfterburnerError(f"no such file: {path}")
    if path.is_dir():
        raise AfterburnerError(f"{path} is a directory, not a source file")
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        raise AfterburnerError(f"{path} looks binary, not source code")
    return data.decode("utf-8", errors="surrogateescape")


def read_stdin(source: str | None) -> bytes:
    """The program's input: nothing, a file, or with ``-`` this command's own standard input (a
    pipe, a redirect, a terminal until end of file)."""
    if source is None:
        return b""
    if source == "-":
        return sys.stdin.buffer.read()
    path = Path(source)
    if not path.exists():
        raise AfterburnerError(f"no such stdin file: {path} (use --stdin - to read this command's own input)")
    if not path.is_file():
        raise AfterburnerError(f"--stdin takes a regular file or '-', not {path}")
    return path.read_bytes()


def parse_repeat(text: str) -> int | str:
    if text == "auto":
        return "auto"
    try:
        value = int(text)
    except ValueError:
        raise AfterburnerError(f"--repeat must be a positive integer or 'auto', not {text!r}") from None
    if value < 1:
        raise AfterburnerError("--repeat must be at least 1")
    return value


def build_limits(timeout: float | None, memory_mb: int | None) -> Limits:
    values: dict[str, float | int] = {}
    if timeout is not None:
        if timeout <= 0:
            raise AfterburnerError("--timeout must be positive (seconds)")
        values["timeout_s"] = timeout
    if memory_mb is not None:
        if memory_mb <= 0:
            raise AfterburnerError("--memory-mb must be positive")
        values["memory_mb"] = memory_mb
    return Limits(**values)
