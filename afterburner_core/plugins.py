"""The plugin manager: discovery through entry points, listing, and language resolution."""

from __future__ import annotations

import functools
import importlib.metadata as metadata
from dataclasses import dataclass
from typing import Any

import pluggy

from afterburner_core import hookspecs
from afterburner_core.errors import AfterburnerError, ToolchainMissingError, UnknownLanguageError
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
        for infos in self.pm.hook.afterburner_languages():
            for info in infos:
                self.languages[info.key] = info
                for alias in (info.key, *info.aliases):
                    self._aliases[alias.lower()] = info.key

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
            self.pm.register(plugin, name=ep.name)
            version = ep.dist.version if ep.dist else "?"
            self._records[ep.name] = PluginRecord(ep.name, _kinds_of(plugin), dist, version)

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


__all__ = ["AfterburnerError", "PluginManager", "PluginRecord", "get_manager"]
