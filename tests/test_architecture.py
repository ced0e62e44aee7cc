"""The layers' one direction of arrows, checked on the source with `ast` (docs/architecture.md).

bot -> handlers -> conversations -> engine, storage: nothing inner imports `bot` (the
composition root), the engine and storage know nothing of chats, storage imports no engine,
and no two files import each other, however indirectly. Imports under `if TYPE_CHECKING:`
and imports inside functions count too: a cycle that only type checking sees is still two
modules that cannot be understood one without the other.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "conversations", "engine", "storage")
INNER = ("handlers", "conversations", "engine", "storage")
FORBIDDEN = {
    "handlers": {"bot"},
    "conversations": {"bot", "handlers"},
    "engine": {"bot", "handlers", "conversations"},
    "storage": {"bot", "handlers", "conversations", "engine"},
}
"""Which top-level packages each inner package may not import."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                modules[module_name(path)] = path
    return modules


def imported_names(module: str, path: Path, tree: ast.AST) -> Iterator[str]:
    """Every module name an import statement anywhere in `tree` names (submodules included)."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join([*base, *([node.module] if node.module else [])])
            else:
                prefix = node.module or ""
            yield prefix
            yield from (f"{prefix}.{alias.name}" for alias in node.names)


def resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module `name` is, or lives in (None for third-party modules)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        targets = {resolve(name, modules) for name in imported_names(module, path, tree)}
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def is_package(module: str) -> bool:
    return (ROOT / module.replace(".", "/") / "__init__.py").is_file()


def file_edges(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph without "a module imports its own package" edges: `from pkg import sub` names
    the package only to reach the file `sub`, which is a separate node already."""
    return {
        module: {t for t in targets if not (is_package(t) and module.startswith(t + "."))}
        for module, targets in graph.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
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


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_the_walk_sees_every_package(graph: dict[str, set[str]]) -> None:
    tops = {module.split(".")[0] for module in graph}
    assert tops == set(PACKAGES)
    assert "conversations.dialogue" in graph["handlers.telegram.bot"]


@pytest.mark.parametrize("package", INNER)
def test_inner_packages_point_inwards(graph: dict[str, set[str]], package: str) -> None:
    wrong = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if module.split(".")[0] == package
        for target in targets
        if target.split(".")[0] in FORBIDDEN[package]
    )
    assert wrong == [], f"{package} must not import {sorted(FORBIDDEN[package])}"


def test_no_import_cycles_between_files(graph: dict[str, set[str]]) -> None:
    assert cycles(file_edges(graph)) == []


def test_the_checks_catch_what_they_should() -> None:
    """The graph walk and the cycle finder on a made-up graph (so a silent walker cannot pass)."""
    source = "from __future__ import annotations\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
    tree = ast.parse(source + "    from bot.settings import Settings\n")
    names = set(imported_names("storage.x", ROOT / "storage" / "x.py", tree))
    assert "bot.settings" in names
    relative = ast.parse("from .sessions import ensure_user\nfrom . import messages\n")
    names = set(imported_names("conversations.shared.x", ROOT / "conversations/shared/x.py", relative))
    assert {"conversations.shared.sessions", "conversations.shared.messages"} <= names
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
