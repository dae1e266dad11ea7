"""The worked plugins of docs/plugins.md (section 4), taken from the page and checked for real.

Each package is written under a temporary directory from the page's labelled code and data blocks,
registered through ``AFTERBURNER_LOAD_PLUGINS`` on a `PluginManager` of the test's own (nothing is
installed, the process's manager is left alone) and used through that manager's registry: the
reward scores real reports, the backend runs real requests, the dataset loads and its solutions
pass, the generator answers. A block missing or renamed on the page fails the test.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import tomllib

from afterburner_core.contracts import Generator, RewardInput
from afterburner_core.datasets import load_problems, registered_datasets
from afterburner_core.errors import AfterburnerError
from afterburner_core.generators import get_generator
from afterburner_core.models import ExecutionRequest, Problem, ProblemRunRequest, RunReport, Verdict
from afterburner_core.plugins import LOAD_PLUGINS_ENV, PluginManager
from afterburner_core.registry import Registry
from afterburner_core.rewards import get_reward
from afterburner_core.sandbox.api import Sandbox

DOC = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"

# section -> (kind, name provided, package, files of the package the page must show besides pyproject.toml)
EXPECTED = {
    "4.1": ("language", "perl", "afterburner_lang_perl", ("__init__.py", "Dockerfile")),
    "4.2": ("reward", "tests-passed", "afterburner_reward_tests", ("__init__.py",)),
    "4.3": ("backend", "audit", "afterburner_backend_audit", ("__init__.py",)),
    "4.4": ("dataset", "katas", "afterburner_dataset_katas", ("__init__.py", "katas.jsonl")),
    "4.5": ("generator", "canned", "afterburner_generator_canned", ("__init__.py",)),
}
FENCE_LANGUAGE = {".py": "python", ".toml": "toml", ".jsonl": "json", "Dockerfile": "dockerfile"}
HEADING = re.compile(r"^### (4\.\d+) A (\w+): `([^`]+)`$", re.M)
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)
LABEL = re.compile(r"^`([\w./-]+)`")
PERL = shutil.which("perl")


@dataclass
class WorkedPlugin:
    section: str
    kind: str
    name: str
    package: str
    pyproject: dict
    files: dict[str, str]  # path relative to the package -> text


def worked_plugins(page: str) -> dict[str, WorkedPlugin]:
    """Section 4's plugins: each labelled block (a paragraph starting with `path` right above it)."""
    start, end = page.find("\n## 4. Worked plugins"), page.find("\n## 5. ")
    assert start >= 0 and end > start, f"{DOC}: no section '## 4. Worked plugins' followed by '## 5.'"
    section_text = page[start:end]
    headings = list(HEADING.finditer(section_text))
    found = {m.group(1): (m.group(2), m.group(3)) for m in headings}
    wanted = {section: (kind, name) for section, (kind, name, _, _) in EXPECTED.items()}
    assert found == wanted, f"{DOC}: section 4's headings changed: {found} (expected {wanted})"
    plugins = {}
    for index, heading in enumerate(headings):
        section = heading.group(1)
        kind, name, package, package_files = EXPECTED[section]
        body_end = headings[index + 1].start() if index + 1 < len(headings) else len(section_text)
        blocks = _labelled_blocks(section, section_text[heading.end() : body_end])
        where = f"{DOC.name} section {section} ({kind} {name!r})"
        assert "pyproject.toml" in blocks, f"{where}: no code block labelled `pyproject.toml`"
        files = {}
        for file in package_files:
            path = f"{package}/{file}"
            assert path in blocks, f"{where}: no code block labelled `{path}`"
            fence = FENCE_LANGUAGE.get(Path(file).suffix) or FENCE_LANGUAGE[file]
            texts = [text for language, text in blocks[path] if language == fence]
            assert len(texts) == len(blocks[path]), f"{where}: `{path}` must be in ```{fence} blocks"
            if file.endswith(".jsonl"):  # rows shown indented, one block each: one line each in the file
                files[file] = "".join(json.dumps(json.loads(text)) + "\n" for text in texts)
            else:
                assert len(texts) == 1, f"{where}: `{path}` is shown in {len(texts)} blocks"
                files[file] = texts[0]
        unexpected = sorted(set(blocks) - {"pyproject.toml"} - {f"{package}/{file}" for file in package_files})
        assert not unexpected, f"{where}: blocks for files this test does not know: {unexpected}"
        (language, pyproject_text), *more = blocks["pyproject.toml"]
        assert language == "toml" and not more, f"{where}: `pyproject.toml` must be one ```toml block"
        plugins[section] = WorkedPlugin(section, kind, name, package, tomllib.loads(pyproject_text), files)
    return plugins


def _labelled_blocks(section: str, text: str) -> dict[str, list[tuple[str, str]]]:
    blocks: dict[str, list[tuple[str, str]]] = {}
    previous_end = 0
    for fence in FENCE.finditer(text):
        paragraph = text[previous_end : fence.start()].strip().split("\n\n")[-1]
        previous_end = fence.end()
        label = LABEL.match(paragraph)
        if label:
            blocks.setdefault(label.group(1), []).append((fence.group(1), fence.group(2)))
    assert blocks, f"{DOC.name} section {section}: no labelled code blocks"
    return blocks


@dataclass
class Loaded:
    root: Path
    plugins: dict[str, WorkedPlugin]
    manager: PluginManager

    @property
    def registry(self) -> Registry:
        return self.manager.registry

    def problem(self, title: str) -> Problem:
        problems = load_problems(str(registered_datasets(self.registry)["katas"]))
        return next(problem for problem in problems if problem.title == title)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    plugins = worked_plugins(DOC.read_text(encoding="utf-8"))
    root = tmp_path_factory.mktemp("docs-plugins")
    for plugin in plugins.values():
        for file, text in plugin.files.items():
            (root / plugin.package).mkdir(exist_ok=True)
            (root / plugin.package / file).write_text(text, encoding="utf-8")
    modules = [plugin.package for plugin in plugins.values()]
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.syspath_prepend(str(root))
        monkeypatch.setenv(LOAD_PLUGINS_ENV, ",".join(modules))
        manager = PluginManager()
        try:
            assert manager.load_errors == [], f"the worked plugins of {DOC.name} failed to load: {manager.load_errors}"
            yield Loaded(root, plugins, manager)
        finally:
            for module in modules:
                sys.modules.pop(module, None)


def test_each_pyproject_names_its_package_and_ships_its_data() -> None:
    for plugin in worked_plugins(DOC.read_text(encoding="utf-8")).values():
        where = f"section {plugin.section} pyproject.toml"
        entry_points = plugin.pyproject["project"]["entry-points"]["afterburner"]
        assert len(entry_points) == 1, f"{where}: one entry point expected, got {entry_points}"
        (target,) = entry_points.values()
        module, _, attribute = target.partition(":")
        assert module == plugin.package, f"{where}: the entry point {target!r} is not the package {plugin.package}"
        assert attribute in ("", "plugin"), f"{where}: {target!r}: AFTERBURNER_LOAD_PLUGINS reads `plugin` only"
        setuptools = plugin.pyproject["tool"]["setuptools"]
        assert setuptools["packages"] == [plugin.package], f"{where}: packages {setuptools['packages']}"
        data = sorted(file for file in plugin.files if not file.endswith(".py"))
        shipped = sorted(setuptools.get("package-data", {}).get(plugin.package, []))
        assert shipped == data, f"{where}: package-data {shipped}, but the package ships {data}"


def test_the_worked_plugins_register_in_process_each_under_its_name(loaded: Loaded) -> None:
    manager, registry = loaded.manager, loaded.registry
    assert manager.load_errors == []
    records = {record.name: record for record in manager.records()}
    for plugin in loaded.plugins.values():
        record = records[plugin.package]
        assert (record.distribution, record.kinds) == ("in-process", (plugin.kind,)), record
        if plugin.kind == "language":
            assert plugin.name in registry.languages
            assert registry.language_owner(plugin.name) == plugin.package
        else:
            catalog = getattr(registry, f"{plugin.kind}s")
            assert plugin.name in catalog, f"{plugin.kind} {plugin.name!r} not in {catalog.names()}"
            assert catalog.owner(plugin.name) == plugin.package
    for alias in ("pl", "PERL5", "perl"):
        assert registry.resolve_language(alias).key == "perl"
    perl = registry.languages["perl"].plugin
    assert perl.resource_path("Dockerfile") == loaded.root / "afterburner_lang_perl" / "Dockerfile"
    assert perl.resource_path("Dockerfile").is_file()


def test_the_katas_load_from_the_registered_path(loaded: Loaded) -> None:
    path = registered_datasets(loaded.registry)["katas"]
    assert path == loaded.root / "afterburner_dataset_katas" / "katas.jsonl"
    problems = load_problems(str(path))
    assert [(p.problem_id, p.title, p.kind) for p in problems] == [
        (70001, "sum-of-pairs", "stdio"),
        (70002, "longest-word", "stdio"),
    ]
    for problem in problems:
        assert problem.test_cases and set(problem.solutions) == {"python", "perl"}, problem.title


def test_the_audit_backend_runs_on_its_inner_backend_and_logs_each_request(loaded: Loaded, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    with pytest.raises(AfterburnerError, match="cannot wrap itself"):
        Sandbox("audit", registry=loaded.registry, inner="audit", log=str(log))
    with Sandbox("audit", registry=loaded.registry, log=str(log), parallel=1) as sandbox:
        audit: Any = sandbox.backend
        assert type(audit).__name__ == "AuditBackend" and audit.name == "audit"
        assert audit.inner.registry is loaded.registry and audit.inner.backend.name == "local"
        assert sandbox.parallel == audit.parallel == audit.inner.parallel == 1
        assert audit.cores == audit.inner.backend.cores and len(audit.cores) == 1
        report = sandbox.execute(ExecutionRequest(code="print(1)", language="python"))
    assert (report.verdict, report.stdout, report.backend) == (Verdict.accepted, "1\n", "local"), report
    (line,) = log.read_text(encoding="utf-8").splitlines()
    entry = json.loads(line)
    assert {k: entry[k] for k in ("kind", "language", "backend", "verdict")} == {
        "kind": "execute",
        "language": "python",
        "backend": "local",
        "verdict": "accepted",
    }


def test_the_tests_passed_reward_scores_real_reports(loaded: Loaded, tmp_path: Path) -> None:
    problem = loaded.problem("sum-of-pairs")
    right = problem.solutions["python"][0].code
    first_line_only = "a, b = map(int, input().split())\nprint(a + b)\n"  # passes 1 of the 3 tests
    log = tmp_path / "audit.jsonl"
    with Sandbox("audit", registry=loaded.registry, log=str(log), parallel=1) as sandbox:
        reports = sandbox.run_many(
            [ProblemRunRequest(problem=problem, code=c, language="python") for c in (right, first_line_only)]
        )
    assert [(r.verdict, r.tests_passed, r.tests_total) for r in reports] == [
        (Verdict.accepted, 3, 3),
        (Verdict.wrong_answer, 1, 3),
    ], reports
    logged = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [(e["kind"], e["problem"], e["verdict"]) for e in logged] == [
        ("run_problem", "70001", "accepted"),
        ("run_problem", "70001", "wrong_answer"),
    ]

    def item(code: str | None, report: RunReport | None) -> RewardInput:
        return RewardInput(problem, "python", "time", f"```python\n{code}```", code, report)

    reward: Any = get_reward("tests-passed", registry=loaded.registry, unparsable=-1.0)
    items = [item(right, reports[0]), item(first_line_only, reports[1]), item(None, None)]
    outputs = reward.score(items)
    assert [o.total for o in outputs] == pytest.approx([1.0, 1 / 3, -1.0])
    assert outputs[0].components == {"passed": 1.0, "unparsable": 0.0, "fraction": 1.0}
    assert set(reward.component_names) == set(outputs[1].components) == set(outputs[2].components)
    with pytest.raises(AfterburnerError, match="has no option 'clip'"):
        get_reward("tests-passed", registry=loaded.registry, clip=1.0)


def test_every_kata_solution_passes_and_perl_runs_in_the_sandbox(loaded: Loaded, tmp_path: Path) -> None:
    languages = ["python", "perl"] if PERL else ["python"]
    problems = [loaded.problem("sum-of-pairs"), loaded.problem("longest-word")]
    requests = [
        ProblemRunRequest(problem=problem, code=solution.code, language=language)
        for problem in problems
        for language in languages
        for solution in problem.solutions[language]
    ]
    with Sandbox("audit", registry=loaded.registry, log=str(tmp_path / "audit.jsonl"), parallel=1) as sandbox:
        reports = sandbox.run_many(requests)
        for request, report in zip(requests, reports, strict=True):
            assert report.verdict == Verdict.accepted, (request.problem.title, request.language, report)
            assert report.tests_passed == report.tests_total == len(request.problem.test_cases)
        if PERL is None:
            pytest.skip("perl is not installed: the Perl plugin was checked for registration only")
        hello = sandbox.execute(ExecutionRequest(code='print "hello\\n";\n', language="pl"))
        broken = sandbox.execute(ExecutionRequest(code="my $x = ;\n", language="perl5"))
    assert (hello.verdict, hello.stdout, hello.language) == (Verdict.accepted, "hello\n", "perl"), hello
    assert broken.verdict == Verdict.compile_error and "main.pl line 1" in broken.compile.stderr, broken


def test_the_canned_generator_answers_every_conversation_with_the_file(loaded: Loaded, tmp_path: Path) -> None:
    answer = tmp_path / "answer.md"
    answer.write_text("```python\nprint(1)\n```\n", encoding="utf-8")
    generator = get_generator(f"canned:{answer}", registry=loaded.registry)
    assert isinstance(generator, Generator)
    conversations = [[{"role": "user", "content": "make it faster"}], [{"role": "user", "content": "again"}]]
    assert generator.generate(conversations, n=3) == [[answer.read_text(encoding="utf-8")] * 3] * 2
    with pytest.raises(AfterburnerError, match="takes no options"):
        get_generator(f"canned:{answer}", registry=loaded.registry, base_url="http://127.0.0.1:8000/v1")
    with pytest.raises(AfterburnerError, match="no such file"):
        get_generator(f"canned:{tmp_path / 'missing.md'}", registry=loaded.registry)
