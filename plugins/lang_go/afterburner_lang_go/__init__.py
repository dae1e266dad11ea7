"""Go for Afterburner.

compile: ``go build -trimpath -o main main.go`` with CGO_ENABLED=0 and GO111MODULE=off, the build
cache shared under Afterburner's cache root (never `go run`: the measured process is the program).
tests: one process per test, start-up of an empty Go program calibrated out. The runtime sees the
one pinned core, so GOMAXPROCS is 1.
"""

from __future__ import annotations

from pathlib import Path

from afterburner_core.languages import LanguagePlugin
from afterburner_core.models import Limits
from afterburner_core.paths import cache_root


class GoLanguage(LanguagePlugin):
    key = "go"
    aliases = ("golang",)
    display_name = "Go"
    distribution = "afterburner-lang-go"
    source_name = "main.go"
    test_mode = "process"
    compile_flags = "go build -trimpath (CGO_ENABLED=0, GO111MODULE=off)"
    toolchain_binaries = {"go": ["version"]}
    install_hint = "apt-get install golang-go"
    empty_program = "package main\n\nfunc main() {}\n"
    memory_error_markers = ("runtime: out of memory",)
    compile_error_pattern = r"^\S+\.go:\d+:\d+: "  # each diagnostic is one line
    compile_error_context = (0, 0)

    def compile_commands(self, paths: dict[str, str], files: list[str]) -> list[list[str]]:
        return [[paths["go"], "build", "-trimpath", "-o", "main", files[0]]]

    def compile_env(self, workdir: Path) -> dict[str, str]:
        return {
            "GOCACHE": str(cache_root() / "go-build"),
            "GOPATH": str(cache_root() / "gopath"),
            "GO111MODULE": "off",
            "CGO_ENABLED": "0",
            "GOFLAGS": "",
            "GOTOOLCHAIN": "local",
        }

    def program_argv(self, paths: dict[str, str], artifact: Path, limits: Limits) -> list[str]:
        return [str(artifact / "main")]


plugin = GoLanguage()
