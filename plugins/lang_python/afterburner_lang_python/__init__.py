"""Python 3 for Afterburner.

compile: a syntax check (`compile(source, "exec")`) by the interpreter that will run the code.
program mode: ``python -I main.py`` (isolated: no user site, no PYTHON* variables).
tests: one interpreter runs `harness.py`, which compiles the runner once and executes it per test
with stdin/stdout swapped for in-memory streams, timing each execution with CLOCK_MONOTONIC and the
process CPU clock. LeetCode's implicit imports (`typing`, `collections`, `heapq`, ...) are
pre-loaded into each test's globals, as Venus solutions expect.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from afterburner_core.languages import LanguagePlugin
from afterburner_core.models import Limits
from afterburner_lang_python import leetcode

CHECK = "import sys; p = sys.argv[1]; compile(open(p, 'rb').read(), p, 'exec')"


class PythonLanguage(LanguagePlugin):
    key = "python"
    aliases = ("python3", "py")
    display_name = "Python"
    prompt_name = "Python 3"
    distribution = "afterburner-lang-python"
    source_name = "main.py"
    test_mode = "harness"
    compile_flags = "syntax check only; run with -I"
    toolchain_binaries = {"python3": ["--version"]}
    install_hint = "install python3 (or set AFTERBURNER_PYTHON_PYTHON3)"
    empty_program = "pass\n"
    resources = ("harness.py",)
    memory_error_markers = ("MemoryError",)
    # the traceback's last frame (file and line, the code, the caret) above "SyntaxError: ..."
    compile_error_pattern = r"^\w*(?:Error|Exception)\b"
    compile_error_context = (3, 0)

    def locate(self, name: str) -> str | None:
        # The measuring interpreter is this one (resolved, never a pyenv shim) unless overridden.
        return os.environ.get("AFTERBURNER_PYTHON_PYTHON3") or str(Path(sys.executable).resolve())

    def compile_commands(self, paths: dict[str, str], files: list[str]) -> list[list[str]]:
        return [[paths["python3"], "-I", "-c", CHECK, files[0]]]

    def program_argv(self, paths: dict[str, str], artifact: Path, limits: Limits) -> list[str]:
        return [paths["python3"], "-I", str(artifact / self.source_name)]

    def harness_argv(self, paths: dict[str, str], artifact: Path, limits: Limits) -> list[str]:
        return [paths["python3"], "-I", self.resource_arg(paths, "harness.py"), str(artifact / self.source_name)]

    def run_env(self) -> dict[str, str]:
        return {"PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}

    leetcode_runner = staticmethod(leetcode.runner)
    leetcode_starter = staticmethod(leetcode.starter)


plugin = PythonLanguage()
