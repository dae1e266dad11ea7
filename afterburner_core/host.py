"""A fingerprint of this host, so that measurements are only compared with their own kind."""

from __future__ import annotations

import functools
import hashlib
import os
import platform
from pathlib import Path


@functools.lru_cache(maxsize=1)
def host_info() -> dict[str, str | int]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "cpu_model": model or platform.processor() or platform.machine(),
        "cpus": len(os.sched_getaffinity(0)),
        "machine": platform.machine(),
        "kernel": platform.release().split("-")[0],
        "memory_gb": round(mem_kb / 1024 / 1024),
    }


@functools.lru_cache(maxsize=1)
def host_fingerprint() -> str:
    """Stable across reboots of the same kind of machine: CPU model, core count, arch, memory."""
    info = host_info()
    text = f"{info['cpu_model']}|{info['cpus']}|{info['machine']}|{info['memory_gb']}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]
