"""Rust for Afterburner.

compile: ``rustc -O --edition 2021 --cap-lints allow -o main main.rs`` (no cargo: the measured
process is the binary itself, never a build driver). tests: one process per test, start-up of an
empty Rust program calibrated out.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from afterburner_core.languages import LanguagePlugin
from afterburner_core.models import Limits
from afterburner_lang_rust import leetcode

FLAGS = ["-O", "--edition", "2021", "--cap-lints", "allow"]


class RustLanguage(LanguagePlugin):
    key = "rust"
    aliases = ("rs",)
    display_name = "Rust"
    distribution = "afterburner-lang-rust"
    source_name = "main.rs"
    test_mode = "process"
    compile_flags = " ".join(FLAGS)
    toolchain_binaries = {"rustc": ["--version"], "cc": ["--version"]}
    install_hint = "apt-get install rustc (or rustup), plus a C linker (gcc)"
    empty_program = "fn main() {}\n"
    memory_error_markers = ("memory allocation of",)
    # "error[E0308]: ..." and its snippet, up to the blank line that ends it
    compile_error_pattern = r"^error(?:\[E\d+\])?:"
    compile_error_context = (0, 20)

    def locate(self, name: str) -> str | None:
        found = super().locate(name)
        if name != "rustc" or not found:
            return found
        # rustup's `rustc` is a proxy that needs the user's HOME; the sandbox gives compilers a
        # private HOME, so use the real compiler of the active toolchain.
        try:
            sysroot = subprocess.run(
                [found, "--print", "sysroot"], capture_output=True, text=True, timeout=30, check=True
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return found
        real = Path(sysroot) / "bin" / "rustc"
        return str(real) if real.exists() else found

    def compile_commands(self, paths: dict[str, str], files: list[str]) -> list[list[str]]:
        return [[paths["rustc"], *FLAGS, "-C", f"linker={paths['cc']}", "-o", "main", files[0]]]

    def program_argv(self, paths: dict[str, str], artifact: Path, limits: Limits) -> list[str]:
        return [str(artifact / "main")]

    leetcode_runner = staticmethod(leetcode.runner)
    leetcode_starter = staticmethod(leetcode.starter)


plugin = RustLanguage()
