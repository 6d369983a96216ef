"""The house as ARCHITECTURE.md draws it, read from the source: no import circle, layers that
point inward, core free of SDKs and HTTP, sandbox independent, packages that say what they
own, modules of at most 400 lines."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("core", "bots", "scheduler", "sandbox", "bench")
SDKS = ("aiogram", "vk_api", "viberbot", "aiohttp")
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found = {}
    for top in LAYERS:
        for path in (ROOT / top).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imported(name: str, path: Path) -> set[str]:
    """Every name `name` imports, at the top or inside a function, made absolute."""
    names: set[str] = set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                prefix = package[: len(package) - node.level + 1]
                base = ".".join([*prefix, base] if base else prefix)
            submodules = {f"{base}.{a.name}" for a in node.names} & MODULES.keys()
            names.update(submodules)
            if len(submodules) < len(node.names):
                names.add(base)
    return names


IMPORTS = {name: _imported(name, path) for name, path in MODULES.items()}


def _graph(depth: int | None) -> dict[str, set[str]]:
    """Edges between project modules (depth None) or packages cut to `depth` parts."""
    graph: dict[str, set[str]] = defaultdict(set)
    for name, targets in IMPORTS.items():
        for target in targets & MODULES.keys():
            a, b = (name, target) if depth is None else (
                ".".join(name.split(".")[:depth]), ".".join(target.split(".")[:depth]))
            if a != b:
                graph[a].add(b)
    return graph


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, ()))
    return seen


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of nodes that reach each other (each group one circle or more)."""
    reach = {node: _reachable(graph, node) for node in graph}
    groups = {
        tuple(sorted(n for n in reach[node] if node in reach.get(n, ())))
        for node in graph
        if node in reach[node]
    }
    return sorted(list(group) for group in groups)


def test_cycle_finder_finds_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("depth", [None, 2, 3], ids=["modules", "packages", "subpackages"])
def test_no_import_circle(depth: int | None) -> None:
    assert _cycles(_graph(depth)) == []


def _violations(prefix: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{name} imports {target}"
        for name, targets in IMPORTS.items()
        if name == prefix or name.startswith(prefix + ".")
        for target in targets
        if target.split(".")[0] in forbidden
    )


def test_layers_point_inward() -> None:
    assert _violations("core", (*SDKS, "bots", "scheduler", "sandbox", "bench")) == []
    assert _violations("scheduler", (*SDKS, "bots", "sandbox", "bench")) == []
    assert _violations("sandbox", ("core", "bots", "scheduler", "bench")) == []


def test_core_top_level_is_packages_and_a_handful_of_modules() -> None:
    modules = sorted(p.name for p in (ROOT / "core").glob("*.py") if p.name != "__init__.py")
    assert modules == ["config.py", "ports.py"]


def test_every_package_says_what_it_owns() -> None:
    silent = [
        str(path.relative_to(ROOT))
        for top in ("core", "bots", "scheduler")
        for path in (ROOT / top).rglob("__init__.py")
        if not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert silent == []


def test_modules_stay_short() -> None:
    long = [
        f"{path.relative_to(ROOT)}: {lines} lines"
        for top in (*LAYERS, "tests")
        for path in (ROOT / top).rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert long == []
