"""The registries: everything the installed plugins provide, collected once, typed, by name.

The plugin manager (`afterburner_core.plugins`) asks each registration hook once and builds one
`Registry`; the sandbox, the rewards, the evaluator and the trainers are handed it (or take the
process's own, `plugins.get_registry()`, when called from the top). A name two plugins claim is an
error naming both distributions, never a silent winner: which one a lookup found would otherwise
depend on installation order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from afterburner_core.contracts import BackendInfo, DatasetInfo, GeneratorInfo, Reward
from afterburner_core.errors import AfterburnerError, PluginConflictError, ToolchainMissingError, UnknownLanguageError
from afterburner_core.languages import LanguageInfo

T = TypeVar("T")

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
    "python3": "python",
    "py": "python",
    "c++": "cpp",
    "cxx": "cpp",
    "golang": "go",
    "js": "javascript",
    "node": "javascript",
    "rs": "rust",
}

# (plugin name, what its registration hook returned), in the order pluggy calls them
Provided = Iterable[tuple[str, Iterable[Any]]]


class Catalog(Generic[T]):
    """The things of one kind (backends, rewards, ...) by name, each with the plugin it came from."""

    def __init__(self, kind: str, describe: Callable[[str], str]) -> None:
        self.kind = kind
        self._describe = describe
        self._items: dict[str, T] = {}
        self._owners: dict[str, str] = {}

    def add(self, name: str, item: T, plugin: str) -> None:
        """Add one; a name already given (by another plugin, or twice by this one) is a
        `PluginConflictError` naming both."""
        owner = self._owners.get(name)
        if owner == plugin:
            raise PluginConflictError(f"{self.kind} {name!r} is given twice by {self._describe(plugin)}")
        if owner is not None:
            raise PluginConflictError(
                f"{self.kind} {name!r} is provided by both {self._describe(owner)} and {self._describe(plugin)}: "
                "uninstall one of them"
            )
        self._items[name], self._owners[name] = item, plugin

    def require(self, name: str) -> T:
        """The one called `name`, or an error listing what is installed."""
        if name not in self._items:
            raise AfterburnerError(f"unknown {self.kind} {name!r} (installed: {', '.join(self.names()) or 'none'})")
        return self._items[name]

    def get(self, name: str) -> T | None:
        return self._items.get(name)

    def names(self) -> list[str]:
        return sorted(self._items)

    def owner(self, name: str) -> str:
        return self._owners[name]

    def as_dict(self) -> dict[str, T]:
        return dict(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


@dataclass(eq=False)  # compared and hashed by identity: cached lookups key on it
class Registry:
    """What the installed plugins provide. Languages resolve by key or alias (case-insensitive)."""

    describe: Callable[[str], str]
    hook: Any = None  # pluggy's hook relay: the broadcast hooks (``afterburner_measure``) go through it
    languages: dict[str, LanguageInfo] = field(default_factory=dict)
    aliases: Catalog[str] = field(init=False)  # every key and alias, lower case -> the language's key
    backends: Catalog[BackendInfo] = field(init=False)
    rewards: Catalog[Reward] = field(init=False)
    datasets: Catalog[DatasetInfo] = field(init=False)
    generators: Catalog[GeneratorInfo] = field(init=False)

    def __post_init__(self) -> None:
        self.aliases = Catalog("language", self.describe)
        self.backends = Catalog("backend", self.describe)
        self.rewards = Catalog("reward", self.describe)
        self.datasets = Catalog("dataset", self.describe)
        self.generators = Catalog("generator", self.describe)

    # ------------------------------------------------------------------ building
    def add_languages(self, plugin: str, infos: Iterable[LanguageInfo]) -> None:
        """Add a plugin's languages by key and every alias; a name two plugins claim is an error.

        Silently keeping one would be worse than failing: a lookup by alias and one by key could
        then reach different plugins.
        """
        for info in infos:
            for alias in dict.fromkeys(name.lower() for name in (info.key, *info.aliases)):
                if alias not in self.aliases or self.aliases.owner(alias) != plugin:  # a plugin may repeat itself
                    self.aliases.add(alias, info.key, plugin)
            self.languages[info.key] = info

    @classmethod
    def build(
        cls,
        describe: Callable[[str], str],
        hook: Any,
        languages: Provided,
        backends: Provided,
        rewards: Provided,
        datasets: Provided,
        generators: Provided,
    ) -> Registry:
        """One registry from what each plugin's registration hooks returned."""
        registry = cls(describe=describe, hook=hook)
        for plugin, infos in languages:
            registry.add_languages(plugin, infos)
        for catalog, provided in (
            (registry.backends, backends),
            (registry.rewards, rewards),
            (registry.datasets, datasets),
            (registry.generators, generators),
        ):
            for plugin, items in provided:
                for item in items:
                    catalog.add(str(item.name), item, plugin)
        return registry

    # ------------------------------------------------------------------ languages
    def language_owner(self, key: str) -> str:
        """The name of the plugin that provides the language `key`."""
        return self.aliases.owner(key.lower())

    def resolve_language(self, name: str) -> LanguageInfo:
        """Map a key or alias (`python3`, `golang`, `js`, `c++`) to an installed language."""
        wanted = name.strip().lower()
        key = self.aliases.get(wanted)
        if key is not None:
            return self.languages[key]
        canonical = _known_spelling(wanted)
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

    def names_a_language(self, name: str) -> bool:
        """Whether `name` is a spelling of an installed language or of a first-party one (whose
        plugin may be installed later): a Venus config such as ``python3`` or ``golang``."""
        return self.canonical_language(name) in self.languages.keys() | KNOWN_LANGUAGE_DISTRIBUTIONS.keys()

    def canonical_language(self, name: str) -> str:
        """The key of a language spelled any way a dataset spells it (``python3``, ``golang``,
        ``C++``): its installed plugin's key, else the key a known language would have (its plugin
        may be installed later), else the name in lower case."""
        try:
            return self.resolve_language(name).key
        except UnknownLanguageError:
            return _known_spelling(name.strip().lower())


def _known_spelling(name: str) -> str:
    """A first-party language's key for one of its usual spellings (lower case), else `name`."""
    return KNOWN_ALIASES.get(name, name)


__all__ = ["KNOWN_ALIASES", "KNOWN_LANGUAGE_DISTRIBUTIONS", "Catalog", "Registry"]
