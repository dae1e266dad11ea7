"""C++ for Afterburner.

compile: ``g++ -O2 -std=c++17 -pipe -o main main.cpp`` (fixed flags; no -march=native so numbers
travel between hosts of the same kind). tests: one process per test; each test's wall time minus
the calibrated start-up of an empty C++ program on this host.
"""

from __future__ import annotations

from pathlib import Path

from afterburner_core.languages import LanguagePlugin
from afterburner_core.models import Limits

FLAGS = ["-O2", "-std=c++17", "-pipe"]


class CppLanguage(LanguagePlugin):
    key = "cpp"
    aliases = ("c++", "cxx", "cc")
    display_name = "C++"
    distribution = "afterburner-lang-cpp"
    source_name = "main.cpp"
    test_mode = "process"
    compile_flags = " ".join(FLAGS)
    toolchain_binaries = {"g++": ["--version"]}
    install_hint = "apt-get install g++"
    empty_program = "int main() { return 0; }\n"
    memory_error_markers = ("std::bad_alloc",)
    # "file:line:col: error: ..." (and a fatal one), its code line and caret below it
    compile_error_pattern = r":\d+:\d+: (?:fatal )?error:"
    compile_error_context = (0, 6)

    def compile_commands(self, paths: dict[str, str], files: list[str]) -> list[list[str]]:
        return [[paths["g++"], *FLAGS, "-o", "main", files[0]]]

    def program_argv(self, paths: dict[str, str], artifact: Path, limits: Limits) -> list[str]:
        return [str(artifact / "main")]


plugin = CppLanguage()
