"""Where Afterburner keeps its caches (supervisor binary, compile artifacts, calibrations)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$AFTERBURNER_CACHE``, else ``$XDG_CACHE_HOME/afterburner``, else ``~/.cache/afterburner``."""
    explicit = os.environ.get("AFTERBURNER_CACHE")
    if explicit:
        root = Path(explicit)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = Path(base) / "afterburner"
    root.mkdir(parents=True, exist_ok=True)
    return root


def cache_entries(env: dict[str, str]) -> dict[str, Path]:
    """The variables of `env` that point under the cache root (a plugin's build cache, e.g. Go's
    GOCACHE), as paths relative to it: backends give them a place the program's side can use."""
    root = cache_root()
    entries: dict[str, Path] = {}
    for key, value in env.items():
        path = Path(value)
        if path.is_absolute() and path != root and path.is_relative_to(root):
            entries[key] = path.relative_to(root)
    return entries
