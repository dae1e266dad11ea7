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
