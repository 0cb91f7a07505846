"""No import cycle in the product: each package can be read, tested and replaced bottom-up.

The graph is built from the source with `ast`: imports at module level and inside functions
and imports under `if TYPE_CHECKING:` all count: a lazy import still ties the two modules
together, and a type-only one ties their meaning (neither can be read or replaced alone). An
operation module names the engine through `supervisor.container.context.Context`, the
monitor's helpers name it through a Protocol of their own.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
PACKAGES = ("supervisor", "units", "cgroupfs", "conmon")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(tree: ast.AST, here: str, is_package: bool, modules: set[str]) -> set[str]:
    """The product modules `here` imports (a `from pkg import name` counts as pkg.name when
    that is a module, else as pkg)."""
    out: set[str] = set()
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = here.split(".") if is_package else here.split(".")[:-1]
                parent = parent[: len(parent) - node.level + 1]
                base = ".".join([*parent, *([base] if base else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.add(sub if sub in modules else base)
        todo.extend(ast.iter_child_nodes(node))
    return {m for m in out if m in modules and m != here}


def import_graph(packages: tuple[str, ...] = PACKAGES) -> dict[str, set[str]]:
    files = {module_name(p): p for pkg in packages for p in (REPO / pkg).rglob("*.py")}
    modules = set(files)
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(), str(path))
        graph[name] = _imports(tree, name, path.name == "__init__.py", modules)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle (as a path a -> b -> ... -> a), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_finder_sees_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_graph_sees_lazy_and_type_checking_imports() -> None:
    graph = import_graph()
    assert "supervisor.store" in graph["supervisor.engine"]
    assert "units.systemd" in graph["supervisor.engine"]  # imported inside a method
    assert "supervisor.container.launch" in graph["supervisor.engine"]  # under TYPE_CHECKING


def test_no_import_cycle_in_the_product() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])
