"""The house plan holds: imports run one way (areas → core), no area reaches into another
area's views, and no two modules import each other."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "commentsvc"
AREAS = ("accounts", "comments", "moderation", "consent")


def module_imports() -> dict[str, set[str]]:
    """Each module's top-level imports of other commentsvc modules (imports made inside
    functions and under TYPE_CHECKING run later, or never, and are left out)."""
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in names.items():
        found = set()
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("commentsvc"):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    found.add(full if full in names else str(node.module))
        graph[name] = {dep for dep in found if dep in names and dep != name}
    return graph


def test_core_imports_no_area():
    for module, deps in module_imports().items():
        if module.startswith("commentsvc.core"):
            assert not [d for d in deps if d.split(".")[1] in AREAS], module


def test_no_area_imports_another_areas_views():
    for module, deps in module_imports().items():
        area = module.split(".")[1] if module.count(".") else ""
        for dep in deps:
            parts = dep.split(".")
            if len(parts) > 2 and parts[1] in AREAS and parts[2] == "views":
                assert parts[1] == area, f"{module} imports {dep}"


def test_no_import_cycles():
    graph = module_imports()
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for dep in sorted(graph[module]):
            if state.get(dep) == 1:
                cycle = [*path[path.index(dep) :], dep]
                raise AssertionError(" -> ".join(cycle))
            if dep not in state:
                visit(dep, [*path, dep])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
