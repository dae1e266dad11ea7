"""Content-addressed compile cache, shared by every worker thread and process on the host.

The key is the hash of the files to compile, the commands and the plugin's fingerprint (toolchain
version and flags). A per-key file lock makes concurrent requests for the same source compile
exactly once; the others wait and then read the finished artifact. Failed compiles are cached
too, with the compiler's message, so a model that emits the same broken code twice pays once.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from afterburner_core.languages import CompilePlan
from afterburner_core.paths import cache_root
from afterburner_core.sandbox.scheduling.locks import file_lock

# runs one compile command: (argv, cwd, env) -> (ok, message)
CommandRunner = Callable[[list[str], Path, dict[str, str]], tuple[bool, str]]

OK_MARKER = ".afterburner-ok"
FAILED_MARKER = ".afterburner-failed"


@dataclass
class CompileResult:
    ok: bool
    cached: bool
    ms: float
    stderr: str
    artifact: Path | None


def cache_key(plan: CompilePlan) -> str:
    payload = json.dumps(
        {"files": plan.files, "commands": plan.commands, "fingerprint": plan.fingerprint}, sort_keys=True
    )
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


class CompileStore:
    """Where finished artifacts live (`root`) and where a compile happens before it is published.

    Here the compile runs in a staging directory next to its final place and is renamed into it.
    The docker backend compiles inside a container's scratch and publishes a root-owned copy, so
    code run later can never rewrite a cached artifact.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def staging(self, key: str) -> Path:
        staging = self.root / key[:2] / f"{key}.staging"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        return staging

    def publish(self, staging: Path, final: Path) -> None:
        staging.chmod(0o755)
        shutil.rmtree(final, ignore_errors=True)
        staging.rename(final)


def compile_cached(
    plan: CompilePlan, run_command: CommandRunner, base_env: dict[str, str], store: CompileStore | None = None
) -> CompileResult:
    """Return the artifact directory for `plan`, compiling it under `run_command` if needed."""
    store = store or CompileStore(cache_root() / "compile")
    key = cache_key(plan)
    root = store.root / key[:2]
    root.mkdir(parents=True, exist_ok=True)
    final = root / key
    hit = _lookup(final)
    if hit:
        return hit
    with file_lock(root / f"{key}.lock"):
        hit = _lookup(final)
        if hit:
            return hit
        staging = store.staging(key)
        for name, text in plan.files.items():
            (staging / name).write_text(text, encoding="utf-8", errors="surrogateescape")
        env = {**base_env, **plan.env, "HOME": str(staging), "TMPDIR": str(staging)}
        started = time.perf_counter()
        ok, message = True, ""
        for argv in plan.commands:
            ok, message = run_command(argv, staging, env)
            if not ok:
                break
        elapsed = (time.perf_counter() - started) * 1000
        (staging / (OK_MARKER if ok else FAILED_MARKER)).write_text(
            json.dumps({"ms": elapsed, "stderr": message}), encoding="utf-8"
        )
        store.publish(staging, final)
    return CompileResult(ok, False, elapsed, message, final if ok else None)


def _lookup(final: Path) -> CompileResult | None:
    for marker, ok in ((OK_MARKER, True), (FAILED_MARKER, False)):
        path = final / marker
        if path.exists():
            meta = json.loads(path.read_text(encoding="utf-8"))
            return CompileResult(ok, True, meta["ms"], meta["stderr"], final if ok else None)
    return None
