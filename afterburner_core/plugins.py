"""The plugin manager: discovery through entry points, listing, and language resolution."""

from __future__ import annotations

import functools
import importlib.metadata as metadata
from dataclasses import dataclass
from typing import Any

import pluggy

from afterburner_core import hookspecs
from afterburner_core.errors import AfterburnerError, PluginConflictError, ToolchainMissingError, UnknownLanguageError
from afterburner_core.languages import LanguageInfo

ENTRY_POINT_GROUP = "afterburner"

# The distributions of the six first-party languages, for the "install this" message when absent.
KNOWN_LANGUAGE_DISTRIBUTIONS = {
    "python": "afterburner-lang-python",
    "cpp": "afterburner-lang-cpp",
    "rust": "afterburner-lang-rust",
    "go": "afterburner-lang-go",
    "java": "afterburner-lang-java",
    "javascript": "afterburner-lang-js",
}
# spellings of the known languages, for names whose plugin is not installed (installed plugins
# declare their own aliases)
KNOWN_ALIASES = {
    "python3": "python", "py": "python", "c++": "cpp", "cxx": "cpp", "golang": "go",
    "js": "javascript", "node": "javascript", "rs": "rust",
}


@dataclass(frozen=True)
class PluginRecord:
    """One loaded plugin, for `afterburner plugins`."""

    name: str
    kinds: tuple[str, ...]
    distribution: str
    version: str


class PluginManager:
    """Wraps pluggy's manager: loads the entry-point group plus built-ins, resolves languages."""

    def __init__(self, entry_points: bool = True) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs.AfterburnerSpec)
        self._records: dict[str, PluginRecord] = {}
        self.load_errors: list[str] = []
        self._register_builtins()
        if entry_points:
            self._load_entry_points()
        self.languages: dict[str, LanguageInfo] = {}
        self._aliases: dict[str, str] = {}
        self._collect_languages()

    def _collect_languages(self) -> None:
        """Every plugin's languages, by key and alias; a name two plugins claim is an error.

        Silently keeping one of them would be worse than failing: name lookup and the compile/run
        hooks (first result, last registered first) would each pick a different plugin.
        """
        owner: dict[str, str] = {}  # key or alias -> plugin name
        self.languages, self._aliases = {}, {}
        for impl in self.pm.hook.afterburner_languages.get_hookimpls():
            for info in impl.function() or []:
                for alias in dict.fromkeys(name.lower() for name in (info.key, *info.aliases)):
                    if owner.get(alias, impl.plugin_name) != impl.plugin_name:
                        raise PluginConflictError(
                            f"language {alias!r} is provided by both {self._describe(owner[alias])} and "
                            f"{self._describe(impl.plugin_name)}: uninstall one of them")
                    owner[alias] = impl.plugin_name
                    self._aliases[alias] = info.key
                self.languages[info.key] = info

    def _describe(self, plugin_name: str) -> str:
        record = self._records.get(plugin_name)
        return f"plugin {plugin_name!r} ({record.distribution} {record.version})" if record else f"plugin {plugin_name!r}"

    def _register_builtins(self) -> None:
        from afterburner_core import builtin_plugins

        for name, plugin in builtin_plugins.all_plugins():
            self.pm.register(plugin, name=name)
            self._records[name] = PluginRecord(name, _kinds_of(plugin), "afterburner", _version("afterburner"))

    def _load_entry_points(self) -> None:
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            if self.pm.has_plugin(ep.name):
                continue
            dist = ep.dist.name if ep.dist else "?"
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken third-party plugin must not take the core down
                self.load_errors.append(f"plugin {ep.name!r} from {dist} failed to load: {exc}")
                continue
            try:
                self.pm.register(plugin, name=ep.name)
            except Exception as exc:  # pluggy refuses a hook with an unknown argument, or one object twice
                self.load_errors.append(f"plugin {ep.name!r} from {dist} could not be registered: {exc}")
                continue
            version = ep.dist.version if ep.dist else "?"
            self._records[ep.name] = PluginRecord(ep.name, _kinds_of(plugin), dist, version)

    def register(self, plugin: object, name: str) -> None:
        """Register a plugin object now, without an entry point (tests, notebooks): its languages
        are resolvable at once. A language name it shares with an installed plugin is refused
        (`PluginConflictError`) and the plugin is left unregistered."""
        self.pm.register(plugin, name=name)
        self._records[name] = PluginRecord(name, _kinds_of(plugin), "in-process", "-")
        try:
            self._collect_languages()
        except PluginConflictError:
            self.pm.unregister(name=name)
            del self._records[name]
            self._collect_languages()
            raise

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def records(self) -> list[PluginRecord]:
        return sorted(self._records.values(), key=lambda r: (r.kinds, r.name))

    def resolve_language(self, name: str) -> LanguageInfo:
        """Map a key or alias (`python3`, `golang`, `js`, `c++`) to an installed language."""
        wanted = name.strip().lower()
        key = self._aliases.get(wanted)
        if key is not None:
            return self.languages[key]
        canonical = KNOWN_ALIASES.get(wanted, wanted)
        if canonical in KNOWN_LANGUAGE_DISTRIBUTIONS:
            raise UnknownLanguageError(
                f"language {name!r} is not installed: pip install {KNOWN_LANGUAGE_DISTRIBUTIONS[canonical]}"
            )
        known = ", ".join(sorted(self.languages)) or "none"
        raise UnknownLanguageError(f"unknown language {name!r} (installed: {known})")

    def require_toolchain(self, name: str) -> LanguageInfo:
        """Resolve a language and check its toolchain is present on this host."""
        info = self.resolve_language(name)
        status = info.toolchain()
        if not status.available:
            raise ToolchainMissingError(status.message)
        return info


def _kinds_of(plugin: Any) -> tuple[str, ...]:
    kinds = []
    for hook, kind in (
        ("afterburner_languages", "language"),
        ("afterburner_rewards", "reward"),
        ("afterburner_backends", "backend"),
        ("afterburner_datasets", "dataset"),
        ("afterburner_generators", "generator"),
    ):
        if hasattr(plugin, hook):
            kinds.append(kind)
    return tuple(kinds) or ("other",)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        from afterburner_core import __version__

        return __version__


@functools.lru_cache(maxsize=1)
def get_manager() -> PluginManager:
    """The process-wide manager (discovery reads installed metadata once)."""
    return PluginManager()


def canonical_language(name: str) -> str:
    """The key of a language spelled any way a dataset spells it (``python3``, ``golang``, ``C++``):
    its installed plugin's key, else the key a known language would have (its plugin may be
    installed later), else the name in lower case."""
    try:
        return get_manager().resolve_language(name).key
    except UnknownLanguageError:
        wanted = name.strip().lower()
        return KNOWN_ALIASES.get(wanted, wanted)


__all__ = ["AfterburnerError", "PluginManager", "PluginRecord", "canonical_language", "get_manager"]
