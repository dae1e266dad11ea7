"""Pluggy hook specifications of the project `afterburner`.

Plugins are discovered through the entry-point group ``afterburner``: each entry point names a
module or an object whose ``@hookimpl`` functions/methods implement some of the hooks below. The
trainers, optimizer, evaluator and server never import a plugin; they ask the plugin manager
(`afterburner_core.plugins`), which calls these hooks.

Registration hooks (``afterburner_languages``, ``afterburner_backends``, ...) are called once when
the manager starts and return descriptions. Operation hooks (``afterburner_compile``,
``afterburner_run``) are ``firstresult``: every language plugin receives the call and answers only
for its own language key, returning ``None`` otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from afterburner_core.languages import CompilePlan, LanguageInfo, RunPlan, ToolchainStatus
    from afterburner_core.models import Limits
    from afterburner_core.sandbox.supervisor import SupervisorResult

PROJECT = "afterburner"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class AfterburnerSpec:
    """The hook specifications (pluggy reads the method signatures and markers)."""

    @hookspec
    def afterburner_languages(self) -> list[LanguageInfo]:
        """Implemented by language plugins. Called once at start-up by the plugin manager.

        Returns the languages this plugin provides: key, aliases, distribution, file naming and a
        toolchain probe. Keys must be unique across installed plugins.
        """

    @hookspec(firstresult=True)
    def afterburner_compile(
        self, language: str, source: str, workdir: Path, purpose: str, toolchain: ToolchainStatus | None
    ) -> CompilePlan | None:
        """Implemented by language plugins; called by the sandbox engine before any run.

        Compile `source` (the complete program: a runner with the solution substituted, or a
        whole program) into an artifact inside `workdir`. `purpose` is ``"program"`` or
        ``"tests"`` (interpreted languages may add their test harness for the latter). The core
        executes the returned commands under limits, caches the artifact by content hash and never
        counts compilation in the measured time. Return ``None`` for another plugin's language.

        `toolchain` is where the backend found the toolchain (host paths for ``local``, paths inside
        the language image for ``docker``), including the plugin's declared resource files; ``None``
        means "detect on this host". Plugins must build argv from it, never from host lookups.
        """

    @hookspec(firstresult=True)
    def afterburner_run(
        self, language: str, artifact: Path, mode: str, limits: Limits, toolchain: ToolchainStatus | None
    ) -> RunPlan | None:
        """Implemented by language plugins; called by the engine after a successful compile.

        Returns how to run the artifact: the argv, extra environment, and for ``mode="tests"``
        whether each test gets its own process (native binaries) or one harness process loops
        over the tests the supervisor feeds it (interpreters, the JVM). Return ``None``
        for another plugin's language. `toolchain` as in ``afterburner_compile``.
        """

    @hookspec
    def afterburner_measure(self, language: str, result: SupervisorResult, workdir: Path) -> dict[str, Any] | None:
        """Implemented by language plugins that report language-specific extras (e.g. JVM heap).

        Called by the engine after each measured run with the supervisor's raw result (its runs,
        and for a harness its tests, with what they printed) and the job's scratch directory; the
        returned dict is merged into the report as extra fields. Return ``None`` when nothing to
        add. (The engine itself reports ``harness_startup_ms`` for harness languages.)
        """

    @hookspec
    def afterburner_rewards(self) -> list[Any]:
        """Implemented by reward plugins. Called once at start-up.

        Returns reward objects (a ``name`` attribute and a ``score(...)`` method) that the
        evaluator and the TRL adapter can select by name.
        """

    @hookspec
    def afterburner_backends(self) -> list[Any]:
        """Implemented by sandbox backend plugins (``local`` is built in). Called once at start-up.

        Returns backend descriptions with a ``name`` and a ``create(**options)`` factory.
        """

    @hookspec
    def afterburner_datasets(self) -> list[Any]:
        """Implemented by dataset plugins (``venus-mini`` is built in). Called once at start-up.

        Returns dataset descriptions with a ``name`` and a ``load()`` returning problems.
        """

    @hookspec
    def afterburner_generators(self) -> list[Any]:
        """Implemented by generator plugins (``transformers`` and ``openai`` are built in). Called by
        `afterburner_core.generators.get_generator`.

        Returns generator descriptions with a ``name`` and a ``create(target, **options)`` factory
        returning an object with ``generate(batch_of_messages, n, temperature, max_new_tokens, seed)``
        (see `afterburner_core.generators.base.Generator`).
        """
