"""Job scratch directories: made per job, removed after it -- also when the process ends on a
signal, and, for a process killed outright (SIGKILL, OOM killer, power cut), by the next process
that opens a backend.

A full test-suite run here left 16-19 `afterburner-job-*` directories in /tmp each time: every CLI
ending on a signal exits through `os._exit`, which skips the `finally` that removed its scratch. A
scratch directory holds the job's sources, binaries and test inputs; left behind, they fill the
disk of a long-running trainer a few megabytes at a time.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

PREFIX = "afterburner-job-"
_OWNED = re.compile(rf"^{PREFIX}(\d+)-")  # afterburner-job-<pid of the owner>-<random>

_live: set[Path] = set()
_live_lock = threading.RLock()  # re-entrant: the signal handler may run inside a holder


@contextlib.contextmanager
def job_scratch() -> Iterator[Path]:
    """A fresh directory for one job, named after this process (so that an orphan is recognised),
    removed when the job ends."""
    scratch = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
    with _live_lock:
        _live.add(scratch)
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        with _live_lock:
            _live.discard(scratch)


def remove_live_scratch() -> None:
    """Remove every scratch directory this process holds (it is ending without unwinding)."""
    with _live_lock:
        held = list(_live)
    for scratch in held:
        shutil.rmtree(scratch, ignore_errors=True)


def sweep_orphaned_scratch(root: Path | None = None) -> list[Path]:
    """Remove scratch directories whose owning process no longer exists; returns what was removed.

    Only directories named by this module are touched, and only when their owner's pid is not a
    running process: a live process's jobs (another evaluation beside this one) are left alone.
    """
    root = root or Path(tempfile.gettempdir())
    removed: list[Path] = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return removed
    for entry in entries:
        match = _OWNED.match(entry.name)
        if match is None or not entry.is_dir(follow_symlinks=False) or _running(int(match.group(1))):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        if not os.path.exists(entry.path):
            removed.append(Path(entry.path))
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


__all__ = ["PREFIX", "job_scratch", "remove_live_scratch", "sweep_orphaned_scratch"]
