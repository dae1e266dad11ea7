"""Java for Afterburner.

compile: ``javac -encoding UTF-8 -nowarn -d . <Class>.java`` (plus the harness for tests).
program mode: ``java -Xss64m -Xmx<limit>m -XX:+UseSerialGC -cp <artifact> <Class>``; the heap may
grow to the whole memory limit so that an allocation bomb meets the sandbox's limit
(`memory_limit`) rather than a smaller -Xmx. tests: one JVM runs `AfterburnerHarness`, which calls
`Main.main` once per test — from a fresh class loader, so static fields start anew as in a new
process — with System.in/System.out swapped; the supervisor feeds the tests and times each call
(see RunPlan), so JVM start-up is not measured; `System.exit` inside a test is trapped.
"""

from __future__ import annotations

import re
from pathlib import Path

from afterburner_core.languages import LanguagePlugin
from afterburner_core.models import Limits
from afterburner_lang_java import leetcode

PUBLIC_CLASS = re.compile(r"^\s*public\s+(?:final\s+|abstract\s+)*class\s+([A-Za-z_$][\w$]*)", re.MULTILINE)
HARNESS = "AfterburnerHarness.java"


class JavaLanguage(LanguagePlugin):
    key = "java"
    aliases = ("java17", "jdk")
    display_name = "Java"
    distribution = "afterburner-lang-java"
    source_name = "Main.java"
    test_mode = "harness"
    compile_flags = "javac -encoding UTF-8 -nowarn; java -Xss64m -XX:+UseSerialGC"
    toolchain_binaries = {"javac": ["-version"], "java": ["-version"]}
    install_hint = "apt-get install default-jdk-headless"
    empty_program = "public class Main { public static void main(String[] args) {} }\n"
    memory_error_markers = ("java.lang.OutOfMemoryError",)
    compile_error_pattern = r"\.java:\d+: error: "  # then the code line and the caret
    compile_error_context = (0, 2)

    def source_file_name(self, source: str) -> str:
        match = PUBLIC_CLASS.search(source)
        return f"{match.group(1)}.java" if match else self.source_name

    def extra_files(self, purpose: str) -> dict[str, str]:
        if purpose != "tests":
            return {}
        return {HARNESS: self.resource_path(HARNESS).read_text(encoding="utf-8")}

    def compile_commands(self, paths: dict[str, str], files: list[str]) -> list[list[str]]:
        return [[paths["javac"], "-encoding", "UTF-8", "-nowarn", "-d", ".", *files]]

    def _jvm(self, paths: dict[str, str], artifact: Path, limits: Limits) -> list[str]:
        return [
            paths["java"],
            "-Xss64m",
            f"-Xmx{limits.memory_mb}m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=4",
            "-Dfile.encoding=UTF-8",
            "-cp",
            str(artifact),
        ]

    def program_argv(self, paths: dict[str, str], artifact: Path, limits: Limits) -> list[str]:
        classes = sorted(p.stem for p in artifact.glob("*.java"))
        main = next((c for c in classes if c != HARNESS[:-5]), "Main")
        return [*self._jvm(paths, artifact, limits), main]

    def harness_argv(self, paths: dict[str, str], artifact: Path, limits: Limits) -> list[str]:
        return [
            *self._jvm(paths, artifact, limits),
            "-Djava.security.manager=allow",
            f"-Dafterburner.classes={artifact}",
            HARNESS[:-5],
        ]

    leetcode_runner = staticmethod(leetcode.runner)
    leetcode_starter = staticmethod(leetcode.starter)


plugin = JavaLanguage()
