"""No import cycle between our modules: every import of every module, at any depth (AST scan)."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from intake.config import REPO_ROOT

SKIP_DIRS = {"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}

# (the folder module names are relative to, the folder scanned): intake and worker are packages
# of the repository; Pelican imports each plugin as a top-level package named after its folder.
SOURCES = (
    (REPO_ROOT, REPO_ROOT / "intake"),
    (REPO_ROOT, REPO_ROOT / "worker"),
    (REPO_ROOT / "pelican" / "plugins", REPO_ROOT / "pelican" / "plugins"),
)

# Cycles that may stay: none. Add one here only with a reason; the test fails when a listed
# cycle is gone, so the list can only shrink.
KNOWN_CYCLES: frozenset[frozenset[str]] = frozenset()


@dataclass(frozen=True)
class Edge:
    """One import statement of ours: the importing module, the imported one, and where."""

    source: str
    target: str
    where: str


def modules_under(base: Path, folder: Path) -> dict[str, Path]:
    """Map the dotted name of every module under folder (named relative to base) to its file."""
    found = {}
    for path in sorted(folder.rglob("*.py")):
        if SKIP_DIRS.intersection(path.relative_to(base).parts):
            continue
        parts = list(path.relative_to(base).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _known(name: str, modules: Mapping[str, Path]) -> str | None:
    """Return name or its longest prefix that is one of our modules (None: not ours)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def imports_of(name: str, path: Path, modules: Mapping[str, Path]) -> list[Edge]:
    """Every import of ours in one module, inside functions and `if` blocks too.

    `from pkg import name` counts as importing pkg.name when that is a module, else pkg.
    The implicit import of a module's parent packages is not an edge: a package whose
    `__init__` imports its own submodules would otherwise always be a cycle.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            for alias in node.names:
                full = f"{base}.{alias.name}"
                targets.append((full if full in modules else base, node.lineno))
    edges = []
    where = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
    for target, line in targets:
        known = _known(target, modules)
        if known is not None and known != name:
            edges.append(Edge(name, known, f"{where}:{line}"))
    return edges


def import_graph(sources: Iterable[tuple[Path, Path]]) -> list[Edge]:
    """Return every import edge between the modules of sources."""
    modules: dict[str, Path] = {}
    for base, folder in sources:
        modules.update(modules_under(base, folder))
    return [edge for name, path in modules.items() for edge in imports_of(name, path, modules)]


def strongly_connected(edges: Iterable[Edge]) -> list[frozenset[str]]:
    """Tarjan's algorithm: every set of two or more modules that import each other in a ring."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
        graph.setdefault(edge.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def describe(cycle: frozenset[str], edges: Iterable[Edge]) -> str:
    """One cycle as its modules and the imports that hold it together."""
    held = sorted(
        {
            f"    {e.source} -> {e.target} ({e.where})"
            for e in edges
            if e.source in cycle and e.target in cycle
        }
    )
    return "{" + ", ".join(sorted(cycle)) + "}\n" + "\n".join(held)


def test_no_import_cycles() -> None:
    edges = import_graph(SOURCES)
    assert edges, "no imports found"
    cycles = set(strongly_connected(edges))
    new = sorted(cycles - KNOWN_CYCLES, key=sorted)
    assert not new, "import cycles:\n" + "\n".join(describe(c, edges) for c in new)
    gone = sorted(KNOWN_CYCLES - cycles, key=sorted)
    assert not gone, "these known cycles are gone; delete them from KNOWN_CYCLES: " + "; ".join(
        ", ".join(sorted(c)) for c in gone
    )


def test_a_cycle_through_a_function_level_import_is_found(tmp_path: Path) -> None:
    """A synthetic package: a.f() imports b, b imports a at the top; c only imports a name."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("VALUE = 1\n")
    (package / "a.py").write_text("def f():\n    if True:\n        from pkg import b\n")
    (package / "b.py").write_text("from . import a\nfrom pkg.sub import c\n")
    (package / "sub").mkdir()
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "c.py").write_text("from .. import VALUE\nimport pkg.sub\n")
    edges = import_graph([(tmp_path, package)])
    assert {(e.source, e.target) for e in edges} == {
        ("pkg.a", "pkg.b"),
        ("pkg.b", "pkg.a"),
        ("pkg.b", "pkg.sub.c"),
        ("pkg.sub.c", "pkg"),
        ("pkg.sub.c", "pkg.sub"),
    }
    assert strongly_connected(edges) == [frozenset({"pkg.a", "pkg.b"})]
    assert "pkg.a -> pkg.b" in describe(frozenset({"pkg.a", "pkg.b"}), edges)


def test_plugins_resolve_relative_imports_within_the_plugin(tmp_path: Path) -> None:
    """A plugin folder is a top-level package: `from .plan import x` inside it is `plugin.plan`."""
    plugins = tmp_path / "plugins"
    (plugins / "listing").mkdir(parents=True)
    (plugins / "listing" / "__init__.py").write_text("from .plan import build\n")
    (plugins / "listing" / "plan.py").write_text("def build():\n    from . import output\n")
    (plugins / "listing" / "output.py").write_text("from .plan import build\n")
    edges = import_graph([(plugins, plugins)])
    assert strongly_connected(edges) == [frozenset({"listing.plan", "listing.output"})]
