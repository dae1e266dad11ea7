"""The import structure the architecture issue set up, kept: no import cycle even counting the
imports placed inside functions, a plugin manager that imports only the hook specs and the
contracts, and every function-local first-party import a commented optional or heavy dependency."""

from __future__ import annotations

from benchmarks.import_graph import REPO, collect, cycles

CORE = REPO / "afterburner_core"


def test_no_import_cycle_even_through_function_local_imports() -> None:
    top, local, _ = collect(CORE)
    assert cycles(top) == []
    assert cycles({name: top[name] | local[name] for name in top}) == []


def test_the_plugin_manager_is_a_leaf() -> None:
    top, local, _ = collect(CORE)
    allowed = {
        "afterburner_core",
        "afterburner_core.hookspecs",
        "afterburner_core.errors",
        "afterburner_core.languages",
        "afterburner_core.registry",
    }
    assert top["afterburner_core.plugins"] <= allowed, top["afterburner_core.plugins"] - allowed
    assert not local["afterburner_core.plugins"]
    assert top["afterburner_core.registry"] <= allowed | {"afterburner_core.contracts"}


def test_every_function_local_first_party_import_says_why() -> None:
    _, _, places = collect(CORE)
    for place in places:
        path, line = place.rsplit(":", 1)
        text = (REPO / path).read_text(encoding="utf-8").splitlines()[int(line) - 1]
        assert "#" in text, f"{place}: a function-local import needs its reason on the line: {text.strip()}"
