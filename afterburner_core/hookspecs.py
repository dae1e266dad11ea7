# mypy: disable-error-code="empty-body"
"""Pluggy hook specifications of the project `afterburner`.

Plugins are discovered through the entry-point group ``afterburner`` (and, in-process, the
modules named in ``AFTERBURNER_LOAD_PLUGINS``): each names a module or an object whose
``@hookimpl`` functions/methods implement some of the hooks below. The trainers, optimizer,
evaluator and server never import a plugin; they are handed the registry
(`afterburner_core.registry.Registry`) that the plugin manager (`afterburner_core.plugins`) builds.

Registration hooks (``afterburner_languages``, ``afterburner_backends``, ``afterburner_rewards``,
``afterburner_datasets``, ``afterburner_generators``) return descriptions (the types are in
`afterburner_core.contracts`). Each is called once per manager, when it builds its registry
(`get_manager()` builds one per process), and again only when a plugin is registered later
(`PluginManager.register`). A key, alias or name that two plugins claim is an error
(`PluginConflictError`, naming both distributions), whatever the kind.

``afterburner_compile`` and ``afterburner_run`` are the language plugin's own operations: the
backend calls them on the plugin object that the registry returns for the language
(`LanguageInfo.plugin`), never as a broadcast. ``afterburner_measure`` is the one broadcast
operation hook: every implementation sees every run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from afterburner_core.contracts import BackendInfo, DatasetInfo, GeneratorInfo, Reward
    from afterburner_core.languages import CompilePlan, LanguageInfo, RunPlan, ToolchainStatus
    from afterburner_core.models import Limits
    from afterburner_core.sandbox.supervision.supervisor import SupervisorResult

PROJECT = "afterburner"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class AfterburnerSpec:
    """The hook specifications (pluggy reads the method signatures and markers)."""

    @hookspec
    def afterburner_languages(self) -> list[LanguageInfo]:
        """Implemented by language plugins (`languages.LanguagePlugin` implements it). Called once
        per manager, when it builds its registry.

        Returns the languages this plugin provides: key, aliases, distribution, file naming, the
        plugin object the backends call, and a toolchain probe (`LanguageInfo.toolchain()`). Keys and
        aliases are unique across installed plugins (case-insensitive): a name two plugins claim
        makes the manager raise `PluginConflictError`, naming both distributions.
        """

    @hookspec(firstresult=True)
    def afterburner_compile(
        self, language: str, source: str, workdir: Path, purpose: str, toolchain: ToolchainStatus | None
    ) -> CompilePlan | None:
        """Implemented by language plugins; called on the plugin of the request's language (never as a
        broadcast; ``firstresult`` only for callers going through pluggy's relay) by the local
        backend's engine (`LocalBackend._compile`) for every request, cache hit or not (the plan is
        the cache key), and when the start-up of the plugin's `empty_program` is calibrated.

        Returns a `CompilePlan` for `source` (the complete program: a runner with the solution
        substituted, or a whole program); the plugin runs nothing itself. The core writes
        ``plan.files`` into a fresh staging directory, runs ``plan.commands`` in order there (cwd,
        HOME and TMPDIR; environment: a minimal base plus ``plan.env``) under the compile limits,
        and that directory becomes the artifact passed to ``afterburner_run``; it is cached by the
        hash of files, commands and ``plan.fingerprint``, and compilation is never counted in the
        measured time. `workdir` is the job's scratch directory (the base class only hands it to
        `compile_env`); the compile does not happen there. `purpose` is ``"program"`` or
        ``"tests"`` (a harness language may add its test harness for the latter). Return ``None``
        for another plugin's language.

        `toolchain` is where the backend found the toolchain (host paths for ``local``, paths inside
        the language image for ``docker``), including the plugin's declared resource files; ``None``
        means "detect on this host". Plugins must build argv from it, never from host lookups.
        """

    @hookspec(firstresult=True)
    def afterburner_run(
        self, language: str, artifact: Path, mode: str, limits: Limits, toolchain: ToolchainStatus | None
    ) -> RunPlan | None:
        """Implemented by language plugins; called on the plugin of the request's language by the
        engine after a successful compile.

        Returns how to run the artifact: the argv, extra environment, and for ``mode="tests"``
        whether each test gets its own process (native binaries) or one harness process loops
        over the tests the supervisor feeds it (interpreters, the JVM). Return ``None``
        for another plugin's language. `toolchain` as in ``afterburner_compile``.
        """

    @hookspec
    def afterburner_measure(self, language: str, result: SupervisorResult, workdir: Path) -> dict[str, Any] | None:
        """Implemented by language plugins that report language-specific extras (e.g. JVM heap; no
        first-party plugin implements it).

        Called by the engine after each run of a request's repeat loop (not after compile errors
        or calibration runs) with the supervisor's raw result (its runs, and for a harness its
        tests, with what they printed) and the job's ``io`` directory (the supervisor's files, not
        the program's cwd). Not ``firstresult``: every implementation is called for every
        language, so check `language` and return ``None`` for others or when there is nothing to
        add. The returned dicts are merged into that run's extras, and the report carries the
        extras of its first run (or of the failing repeat) as extra fields: use keys that are not
        `RunReport` fields. (The engine itself reports ``harness_startup_ms`` for harness
        languages.)
        """

    @hookspec
    def afterburner_rewards(self) -> list[Reward]:
        """Implemented by reward plugins. Called once per manager, when it builds its registry.

        Returns reward objects (`contracts.Reward`: a ``name`` and ``score(items) -> list[RewardOutput]``)
        selectable by name (`rewards.get_reward`). A name another plugin already gives is a
        `PluginConflictError`: prefix third-party names.
        """

    @hookspec
    def afterburner_backends(self) -> list[BackendInfo]:
        """Implemented by sandbox backend plugins (``local``, ``docker`` and ``ray`` are built in).
        Called once per manager, when it builds its registry.

        Returns `contracts.BackendInfo` descriptions: a ``name`` and a factory that
        ``Sandbox(name, **options)`` calls as ``factory(registry=registry, **options)``; what it builds
        satisfies `contracts.Backend` (``execute``, ``run_problem``, ``parallel``, ``cores``, ``close``).
        A name another plugin already gives is a `PluginConflictError`.
        """

    @hookspec
    def afterburner_datasets(self) -> list[DatasetInfo]:
        """Implemented by dataset plugins (``venus-mini`` is built in). Called once per manager,
        when it builds its registry.

        Returns `contracts.DatasetInfo` descriptions: a ``name`` and a ``path`` the core reads itself
        (`datasets.load_problems`): a directory of per-problem ``.json`` files, or a ``.json`` /
        ``.jsonl`` / ``.parquet`` file of Venus-shaped rows. A name another plugin already gives is a
        `PluginConflictError`.
        """

    @hookspec
    def afterburner_generators(self) -> list[GeneratorInfo]:
        """Implemented by generator plugins (``transformers`` and ``openai`` are built in). Called
        once per manager, when it builds its registry.

        Returns `contracts.GeneratorInfo` descriptions: a ``name`` and a ``create(target, **options)``
        factory returning a `contracts.Generator` (``generate(batch_of_messages, n, temperature,
        max_new_tokens, seed)``), picked by ``get_generator("NAME:TARGET")``. A name another plugin
        already gives is a `PluginConflictError`.
        """
