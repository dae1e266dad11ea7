"""Leftover-process scan: what of an attack still runs after its report came back."""

from __future__ import annotations

import os
import time
from pathlib import Path

from afterburner_core.paths import cache_root


def _artifact_mentions(path: str, marker: str, seen: dict[str, bool]) -> bool:
    """Whether `path` lies in a compile-cache artifact whose source contains `marker` (compiled
    programs carry their artifact path in argv, not their source)."""
    compile_root = str(cache_root() / "compile") + "/"
    if not path.startswith(compile_root):
        return False
    parts = path[len(compile_root) :].split("/")
    if len(parts) < 2:
        return False
    artifact = Path(compile_root, parts[0], parts[1])
    key = str(artifact)
    if key not in seen:
        found = False
        try:
            for entry in artifact.iterdir():
                small_source = entry.is_file() and entry.stat().st_size < 1 << 20 and entry.suffix not in ("", ".class")
                if small_source and marker.encode() in entry.read_bytes():
                    found = True
                    break
        except OSError:
            pass
        seen[key] = found
    return seen[key]


def marked_processes(marker: str, nmark: str = "") -> list[str]:
    """Processes whose argv or name carries `marker` (or the numeric `nmark`), or that run an
    artifact built from a source containing `marker`; described as 'pid: cmdline'."""
    seen: dict[str, bool] = {}
    found = []
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            raw = Path(f"/proc/{entry}/cmdline").read_bytes()
            comm = Path(f"/proc/{entry}/comm").read_text().strip()
            state = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if state == "Z":
            continue  # a zombie holds no resources; its parent (not ours) reaps it
        args = [a.decode(errors="replace") for a in raw.split(b"\0") if a]
        if (
            any(marker in a or (nmark and nmark in a) for a in args)
            or marker[:15] in comm
            or any(_artifact_mentions(a, marker, seen) for a in args[:8])
        ):
            found.append(f"{entry}: {' '.join(args)[:200]}")
    return found


def assert_no_leftovers(marker: str, nmark: str = "", grace_s: float = 2.0) -> None:
    """Nothing of the attack may survive its report (a short grace for the kernel to finish
    reaping what the sweep killed)."""
    deadline = time.monotonic() + grace_s
    while True:
        left = marked_processes(marker, nmark)
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not left, f"processes outlived the run: {left}"
