"""The plugin manager: loads the built-in plugins (by dotted module name) and the entry-point group,
and builds the registries (`registry.Registry`) once.

A leaf of the import graph: it imports the hook specifications and the contract types only. The
built-in plugins are modules named in `BUILTIN_PLUGINS`, imported when a manager is built, so the
sandbox and the rewards they provide may import this module without a cycle.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata as metadata
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pluggy

from afterburner_core import __version__, hookspecs
from afterburner_core.errors import AfterburnerError, PluginConflictError
from afterburner_core.languages import LanguageInfo
from afterburner_core.registry import KNOWN_ALIASES, KNOWN_LANGUAGE_DISTRIBUTIONS, Registry

ENTRY_POINT_GROUP = "afterburner"
# plugin name -> module: registered first, exactly like third-party plugins
BUILTIN_PLUGINS = {
    "builtin-backends": "afterburner_core.builtins.backends",
    "bundled-datasets": "afterburner_core.builtins.datasets",
    "builtin-rewards": "afterburner_core.builtins.rewards",
    "builtin-generators": "afterburner_core.builtins.generators",
}
# Extra plugin modules to register in-process, comma-separated dotted names: a plugin under
# development (or a test's) without building and installing a distribution for it.
LOAD_PLUGINS_ENV = "AFTERBURNER_LOAD_PLUGINS"
# Entry points to leave out, comma-separated names: as after `pip uninstall` of their distribution.
BLOCK_PLUGINS_ENV = "AFTERBURNER_BLOCK_PLUGINS"

_REGISTRATION_HOOKS = {
    "afterburner_languages": "language",
    "afterburner_rewards": "reward",
    "afterburner_backends": "backend",
    "afterburner_datasets": "dataset",
    "afterburner_generators": "generator",
}


@dataclass(frozen=True)
class PluginRecord:
    """One loaded plugin, for `afterburner plugins`."""

    name: str
    kinds: tuple[str, ...]
    distribution: str
    version: str


class PluginManager:
    """Wraps pluggy's manager: loads the built-ins, the entry-point group and `AFTERBURNER_LOAD_PLUGINS`,
    and holds the `Registry` built from them."""

    def __init__(self, entry_points: bool = True) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs.AfterburnerSpec)
        self._records: dict[str, PluginRecord] = {}
        self.load_errors: list[str] = []
        for name, module in BUILTIN_PLUGINS.items():
            self._add(importlib.import_module(module), name, "afterburner", _version("afterburner"))
        if entry_points:
            self._load_entry_points()
        self._load_named_modules(_names(os.environ.get(LOAD_PLUGINS_ENV, "")))
        self.registry = self._build()

    # ------------------------------------------------------------------ loading
    def _add(self, plugin: object, name: str, distribution: str, version: str) -> None:
        self.pm.register(plugin, name=name)
        self._records[name] = PluginRecord(name, _kinds_of(plugin), distribution, version)

    def _load_entry_points(self) -> None:
        blocked = set(_names(os.environ.get(BLOCK_PLUGINS_ENV, "")))
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            if self.pm.has_plugin(ep.name) or ep.name in blocked:
                continue
            dist = ep.dist.name if ep.dist else "?"
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken third-party plugin must not take the core down
                self.load_errors.append(f"plugin {ep.name!r} from {dist} failed to load: {exc}")
                continue
            self._try_add(plugin, ep.name, dist, ep.dist.version if ep.dist else "?")

    def _load_named_modules(self, modules: Iterable[str]) -> None:
        for module_name in modules:
            try:
                module = importlib.import_module(module_name)
            except Exception as exc:  # the same rule as a broken entry point
                self.load_errors.append(f"plugin module {module_name!r} ({LOAD_PLUGINS_ENV}) failed to load: {exc}")
                continue
            plugin = getattr(module, "plugin", module)  # a module exposing `plugin`, or a module of hookimpls
            self._try_add(plugin, module_name, "in-process", "-")

    def _try_add(self, plugin: object, name: str, distribution: str, version: str) -> None:
        try:
            self._add(plugin, name, distribution, version)
        except Exception as exc:  # pluggy refuses a hook with an unknown argument, or one object twice
            self.load_errors.append(f"plugin {name!r} from {distribution} could not be registered: {exc}")

    def _build(self) -> Registry:
        """Ask every registration hook once; a name two plugins claim raises `PluginConflictError`."""
        provided: dict[str, list[tuple[str, list[Any]]]] = {}
        for hook in _REGISTRATION_HOOKS:
            caller = getattr(self.pm.hook, hook)
            # oldest registration first: built-ins, then entry points, then in-process plugins
            provided[hook] = [(impl.plugin_name, self._answer(impl, hook)) for impl in caller.get_hookimpls()]
        return Registry.build(
            self.describe,
            self.pm.hook,
            languages=provided["afterburner_languages"],
            backends=provided["afterburner_backends"],
            rewards=provided["afterburner_rewards"],
            datasets=provided["afterburner_datasets"],
            generators=provided["afterburner_generators"],
        )

    def _answer(self, impl: Any, hook: str) -> list[Any]:
        """What one plugin's registration hook returned; a hook that raises is a load error (the
        plugin provides nothing of that kind), not the end of every command."""
        try:
            return list(impl.function() or [])
        except Exception as exc:
            error = f"{self.describe(impl.plugin_name)} failed in {hook}: {exc}"
            if error not in self.load_errors:  # `register` rebuilds: say it once
                self.load_errors.append(error)
            return []

    def describe(self, plugin_name: str) -> str:
        """A plugin as error messages name it: with its distribution and version."""
        record = self._records.get(plugin_name)
        return (
            f"plugin {plugin_name!r} ({record.distribution} {record.version})" if record else f"plugin {plugin_name!r}"
        )

    def register(self, plugin: object, name: str) -> None:
        """Register a plugin object now, without an entry point (tests, notebooks): what it provides
        is in the registry at once. A name it shares with an installed plugin is refused
        (`PluginConflictError`) and the plugin is left unregistered."""
        self._add(plugin, name, "in-process", "-")
        try:
            self.registry = self._build()
        except PluginConflictError:
            self.pm.unregister(name=name)
            del self._records[name]
            self.registry = self._build()
            raise

    # ------------------------------------------------------------------ reading
    # resolve_language, require_toolchain and languages: the registry's, kept on the manager (public API)
    @property
    def languages(self) -> dict[str, LanguageInfo]:
        return self.registry.languages

    def records(self) -> list[PluginRecord]:
        return sorted(self._records.values(), key=lambda r: (r.kinds, r.name))

    def resolve_language(self, name: str) -> LanguageInfo:
        return self.registry.resolve_language(name)

    def require_toolchain(self, name: str) -> LanguageInfo:
        return self.registry.require_toolchain(name)


def _kinds_of(plugin: Any) -> tuple[str, ...]:
    kinds = [kind for hook, kind in _REGISTRATION_HOOKS.items() if hasattr(plugin, hook)]
    return tuple(kinds) or ("other",)


def _names(listing: str) -> list[str]:
    return [name.strip() for name in listing.split(",") if name.strip()]


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return __version__


@functools.lru_cache(maxsize=1)
def get_manager() -> PluginManager:
    """The process-wide manager (discovery reads installed metadata once). Called by the top-level
    entry points only (the CLI, the server factory, `Sandbox()` and the library functions without
    a `registry` argument); everything below them is handed the registry."""
    return PluginManager()


def get_registry() -> Registry:
    """The process-wide registry: `get_manager().registry`."""
    return get_manager().registry


def canonical_language(name: str) -> str:
    """The key of a language spelled any way a dataset spells it (``python3``, ``golang``, ``C++``)."""
    return get_registry().canonical_language(name)


__all__ = [
    "BLOCK_PLUGINS_ENV",
    "BUILTIN_PLUGINS",
    "ENTRY_POINT_GROUP",
    "KNOWN_ALIASES",
    "KNOWN_LANGUAGE_DISTRIBUTIONS",
    "LOAD_PLUGINS_ENV",
    "AfterburnerError",
    "PluginManager",
    "PluginRecord",
    "Registry",
    "canonical_language",
    "get_manager",
    "get_registry",
]
