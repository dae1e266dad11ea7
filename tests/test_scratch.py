"""Job scratch directories never outlive their process: removed after each job, on a signal, and
-- for a process killed outright -- by the next process's sweep, which leaves live owners alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from afterburner_core.sandbox.supervision.scratch import (
    PREFIX,
    job_scratch,
    remove_live_scratch,
    sweep_orphaned_scratch,
)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_job_scratch_is_named_after_its_process_and_removed_after_the_job() -> None:
    with job_scratch() as scratch:
        assert scratch.name.startswith(f"{PREFIX}{os.getpid()}-") and scratch.is_dir()
        (scratch / "sub").mkdir()
        (scratch / "sub" / "file").write_text("x")
    assert not scratch.exists()


def test_a_process_ending_on_a_signal_removes_the_scratch_it_holds() -> None:
    with job_scratch() as scratch:
        (scratch / "binary").write_bytes(b"\0" * 1024)
        remove_live_scratch()
        assert not scratch.exists()


def test_the_sweep_removes_orphans_and_only_orphans(tmp_path: Path) -> None:
    orphan = tmp_path / f"{PREFIX}{_dead_pid()}-abc"
    (orphan / "tests").mkdir(parents=True)
    (orphan / "tests" / "input").write_text("data")
    mine = tmp_path / f"{PREFIX}{os.getpid()}-def"
    mine.mkdir()
    parent = tmp_path / f"{PREFIX}{os.getppid()}-ghi"  # a live process (this one's parent)
    parent.mkdir()
    unnamed = tmp_path / f"{PREFIX}zzz"  # not of the owner-named form: never touched
    unnamed.mkdir()
    stranger = tmp_path / "someone-else-123-x"
    stranger.mkdir()
    assert sweep_orphaned_scratch(tmp_path) == [orphan]
    assert not orphan.exists()
    assert mine.is_dir() and parent.is_dir() and unnamed.is_dir() and stranger.is_dir()
