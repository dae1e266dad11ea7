"""The core's import graph (architecture issue): module-level edges, import cycles, and the
first-party imports placed inside functions -- the usual way a cycle is papered over.

    python -m benchmarks.import_graph [--package afterburner_core] > import_graph.json

Prints one JSON object. Cycles are reported twice: among module-level imports only (what Python
executes at import time) and with the function-local imports counted as edges (the dependency
structure the code really has). Imports under ``if TYPE_CHECKING:`` are not dependencies.
"""

from __future__ import annotations

import argparse
import ast
import json
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _inside(tree: ast.AST, kinds: tuple[type, ...], test: str | None = None) -> set[int]:
    """The ids of every node below a node of `kinds` (whose test mentions `test`, for ifs)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, kinds) and (test is None or test in ast.unparse(getattr(node, "test", node))):
            found |= {id(sub) for sub in ast.walk(node) if sub is not node}
    return found


def collect(root: Path) -> tuple[dict[str, set[str]], dict[str, set[str]], list[str]]:
    """Module-level edges, function-local edges, and where each function-local import is."""
    package = root.name
    modules = {_module_name(path, root): path for path in root.rglob("*.py")}

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    top: dict[str, set[str]] = {name: set() for name in modules}
    local: dict[str, set[str]] = {name: set() for name in modules}
    places: list[str] = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = _inside(tree, (ast.If,), "TYPE_CHECKING")
        in_function = _inside(tree, (ast.FunctionDef, ast.AsyncFunctionDef))
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                wanted = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                wanted = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            else:
                continue
            targets = {t for t in map(resolve, (w for w in wanted if w.split(".")[0] == package)) if t and t != name}
            if not targets:
                continue
            if id(node) in in_function:
                local[name] |= targets
                places.append(f"{path.relative_to(REPO)}:{node.lineno}")
            else:
                top[name] |= targets
    return top, local, places


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--package", default="afterburner_core", help="the package directory, from the repository root")
    args = parser.parse_args()
    root = REPO / args.package
    top, local, places = collect(root)
    combined = {name: top[name] | local[name] for name in top}
    print(
        json.dumps(
            {
                "package": args.package,
                "modules": len(top),
                "module_level_edges": sum(map(len, top.values())),
                "cycles_module_level": cycles(top),
                "cycles_counting_function_local_imports": cycles(combined),
                "function_local_first_party_imports": len(places),
                "function_local_places": places,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
