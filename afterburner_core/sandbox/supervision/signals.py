"""Ending a command-line process on a signal: every running job, and every job cgroup and scratch
directory it holds, goes with it."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator

from afterburner_core.sandbox.supervision.isolation import remove_live_job_cgroups
from afterburner_core.sandbox.supervision.scratch import remove_live_scratch
from afterburner_core.sandbox.supervision.supervisor import terminate_all


@contextlib.contextmanager
def terminating_on_signals() -> Iterator[None]:
    """For command-line entry points: SIGTERM, SIGHUP and SIGINT (Ctrl-C) end every running job
    (each supervisor kills its own), then the process exits 128 + signal. SIGINT takes the same
    path rather than raising KeyboardInterrupt: unwinding every frame of a busy process first left
    the jobs running for over a second under load. (A KeyboardInterrupt raised otherwise still runs
    `terminate_all` on its way out.)"""

    def handler(signum: int, frame: object) -> None:
        terminate_all()
        remove_live_job_cgroups()  # os._exit skips the jobs' own clean-up
        remove_live_scratch()
        if signum == signal.SIGINT:
            os.write(2, b"afterburner: interrupted\n")
        os._exit(128 + signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    try:
        yield
    except KeyboardInterrupt:
        terminate_all()
        raise
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
