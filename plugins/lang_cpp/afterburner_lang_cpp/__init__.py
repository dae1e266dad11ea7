"""C++ for Afterburner.

compile: ``clang++ -O2 -std=c++23 -pipe -o main main.cpp`` with clang 19, as LeetCode compiles C++
(C++23: `contains`, deducing `this`...; GCC 12 has no deducing `this`), fixed flags, no
-march=native so numbers travel between hosts of the same kind. tests: one process per test; each test's wall time minus
the calibrated start-up of an empty C++ program on this host.
"""

from __future__ import annotations

from pathlib import Path

from afterburner_core.languages import LanguagePlugin
from afterburner_core.models import Limits
from afterburner_lang_cpp import leetcode

FLAGS = ["-O2", "-std=c++23", "-pipe"]
CLANG_MAJOR = 19


class CppLanguage(LanguagePlugin):
    key = "cpp"
    aliases = ("c++", "cxx", "cc")
    display_name = "C++"
    distribution = "afterburner-lang-cpp"
    source_name = "main.cpp"
    test_mode = "process"
    compile_flags = " ".join(FLAGS)
    toolchain_binaries = {"clang++": ["--version"]}
    install_hint = f"apt-get install clang-{CLANG_MAJOR} (or set AFTERBURNER_CPP_CLANG__)"
    toolchain_requirement = f"clang {CLANG_MAJOR}, C++23"
    minimum_version = (CLANG_MAJOR,)
    empty_program = "int main() { return 0; }\n"
    memory_error_markers = ("std::bad_alloc",)
    # "file:line:col: error: ..." (and a fatal one), its code line and caret below it
    compile_error_pattern = r":\d+:\d+: (?:fatal )?error:"
    compile_error_context = (0, 6)

    def candidates(self, name: str) -> list[str]:
        return [f"clang++-{CLANG_MAJOR}", name]  # Debian names it by version

    def compile_commands(self, paths: dict[str, str], files: list[str]) -> list[list[str]]:
        return [[paths["clang++"], *FLAGS, "-o", "main", files[0]]]

    def program_argv(self, paths: dict[str, str], artifact: Path, limits: Limits) -> list[str]:
        return [str(artifact / "main")]

    leetcode_runner = staticmethod(leetcode.runner)
    leetcode_starter = staticmethod(leetcode.starter)


plugin = CppLanguage()
