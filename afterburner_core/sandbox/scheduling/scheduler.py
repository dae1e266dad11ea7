"""Exclusive CPU cores for measured jobs, shared across threads *and* processes on the host.

One measured job per core at a time: a job holds an fcntl lock on its core's lock file (in a
host-wide directory, whatever the cache root) for its whole duration, so two Afterburner processes
(an evaluator and a trainer, say) never measure on the same core at once. The lowest allowed core is kept for housekeeping (supervisors, samplers,
the Python side) when the machine has at least two; `parallel` therefore defaults to cores - 1.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from afterburner_core.sandbox.scheduling.locks import host_lock_dir, release, try_lock


@dataclass(frozen=True)
class CoreLayout:
    measured: tuple[int, ...]
    housekeeping: int

    @property
    def shared(self) -> bool:
        """True on a one-core machine, where the sampler has to share the measured core."""
        return self.housekeeping in self.measured


def core_layout() -> CoreLayout:
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) >= 2:
        return CoreLayout(tuple(allowed[1:]), allowed[0])
    return CoreLayout(tuple(allowed), allowed[0])


def default_parallel() -> int:
    return max(1, len(core_layout().measured))


class CorePool:
    """Hands out exclusive cores; `acquire()` blocks until one is free (in any process).

    `parallel` bounds how many jobs *this* pool runs at once; the cores themselves are any free
    measuring core of the host, so several processes with ``parallel=1`` (Ray actors, trainer
    ranks) spread over the machine instead of queueing on its first core.
    """

    def __init__(self, parallel: int | None = None, lock_dir: Path | None = None) -> None:
        layout = core_layout()
        self.layout = layout
        count = parallel or len(layout.measured)
        if count < 1:
            raise ValueError("parallel must be at least 1")
        self.cores = layout.measured
        self.parallel = count
        self._slots = threading.BoundedSemaphore(count)
        # host-wide, not under the cache root: two engines with different caches must not put
        # jobs on one core (and so under one jail uid) at once
        self._lock_dir = lock_dir or host_lock_dir("cores")

    @contextlib.contextmanager
    def acquire(self) -> Iterator[int]:
        """Yield a core id held exclusively for the block."""
        with self._slots:
            delay = 0.0005
            start = (os.getpid() + threading.get_ident()) % len(self.cores)
            order = self.cores[start:] + self.cores[:start]
            while True:
                for core in order:
                    fd = try_lock(self._lock_dir / f"core-{core}.lock")
                    if fd is not None:
                        try:
                            yield core
                        finally:
                            release(fd)
                        return
                time.sleep(delay)
                delay = min(delay * 2, 0.02)
