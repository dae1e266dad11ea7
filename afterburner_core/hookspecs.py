"""Pluggy hook specifications of the project `afterburner`.

Plugins are discovered through the entry-point group ``afterburner``: each entry point names a
module or an object whose ``@hookimpl`` functions/methods implement some of the hooks below. The
trainers, optimizer, evaluator and server never import a plugin; they ask the plugin manager
(`afterburner_core.plugins`), which calls these hooks.

Registration hooks (``afterburner_languages``, ``afterburner_backends``, ...) return descriptions.
``afterburner_languages`` is read when a manager is built (`PluginManager.__init__`;
`get_manager()` builds one per process) and by ``afterburner plugins``; the others are called
again on every lookup (each ``Sandbox(...)``, ``get_reward(...)``, dataset or generator lookup),
so they must be cheap and return the same answer each time. Operation hooks
(``afterburner_compile``, ``afterburner_run``) are ``firstresult``: language plugins are called,
the last registered first, until one returns something other than ``None``; each answers only for
its own language key.

pluggy calls implementations in reverse registration order (built-ins are registered first, then
the entry points), and nothing checks that keys or names are unique: what a clash does differs per
hook and is said in each hook's docstring (docs/plugins.md has the table).
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
        """Implemented by language plugins. Called by `PluginManager.__init__` (once per manager:
        `get_manager()` builds one per process, lazily) and again by ``afterburner plugins``, which
        calls each plugin's method directly.

        Returns the languages this plugin provides: key, aliases, distribution, file naming and a
        toolchain probe (`LanguageInfo.toolchain()`). The manager keeps what this call returned; a plugin
        registered later through `PluginManager.register` is asked at once (one registered straight on
        the pluggy manager, `manager.pm.register`, is never resolvable by name).

        Keys and aliases must be unique across installed plugins (case-insensitive): a name two
        plugins claim makes the manager raise `PluginConflictError`, naming both distributions.
        """

    @hookspec(firstresult=True)
    def afterburner_compile(
        self, language: str, source: str, workdir: Path, purpose: str, toolchain: ToolchainStatus | None
    ) -> CompilePlan | None:
        """Implemented by language plugins; called by the sandbox engine (`Engine._compile`) for every
        request, cache hit or not (the plan is the cache key), and when the start-up of the
        plugin's `empty_program` is calibrated.

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
        """Implemented by language plugins; called by the engine after a successful compile.

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
    def afterburner_rewards(self) -> list[Any]:
        """Implemented by reward plugins. Called by `afterburner_core.rewards.installed_rewards` on
        every `get_reward(...)`: each TRL reward function (``afterburner train grpo``), each
        verl/OpenRLHF reward runtime and each new configuration of the server's ``/get_reward``.

        Returns reward objects (a ``name`` attribute and ``score(items) -> list[RewardOutput]``,
        see `afterburner_core.rewards.base.Reward`) selectable by name. A name clash is not an
        error: the first one seen wins, which is the plugin registered *last* (so a third-party
        reward may shadow a built-in of the same name).
        """

    @hookspec
    def afterburner_backends(self) -> list[Any]:
        """Implemented by sandbox backend plugins (``local``, ``docker`` and ``ray`` are built in).
        Called on every ``Sandbox(backend, **options)`` (and by the ray backend to check its inner
        backend's name).

        Returns backend descriptions with a ``name`` and a ``create(**options)`` factory; what it
        creates needs ``execute(ExecutionRequest)``, ``run_problem(ProblemRunRequest)`` (both
        returning a `RunReport`) and ``pool.parallel``; optionally ``close()``, and a ``name`` (read
        when it is the ray backend's inner one). A name clash is not an error: the plugin
        registered *first* wins (a built-in is never replaced).
        """

    @hookspec
    def afterburner_datasets(self) -> list[Any]:
        """Implemented by dataset plugins (``venus-mini`` is built in). Called by
        `afterburner_core.datasets.registered_datasets`: on each `load_problems(name)` cache miss and
        on every dataset check of the server's ``/run``.

        Returns dataset descriptions with a ``name`` and a ``path`` (no ``load()``: the core reads
        the path itself, see `load_problems`): a directory of per-problem ``.json`` files, or a
        ``.json`` / ``.jsonl`` / ``.parquet`` file of Venus-shaped rows. A name clash is not an
        error: the plugin registered *first* wins (``venus-mini`` is never replaced).
        """

    @hookspec
    def afterburner_generators(self) -> list[Any]:
        """Implemented by generator plugins (``transformers`` and ``openai`` are built in). Called by
        `afterburner_core.generators.available_generators`, on every `get_generator` call
        (``afterburner optimize --model KIND:TARGET``).

        Returns generator descriptions with a ``name`` and a ``create(target, **options)`` factory
        returning an object with ``generate(batch_of_messages, n, temperature, max_new_tokens, seed)``
        (see `afterburner_core.generators.base.Generator`). A name clash is not an error: the plugin
        registered *first* wins (a built-in is never replaced).
        """
