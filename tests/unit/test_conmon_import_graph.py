"""No import cycle inside conmon/: every import counts, function-level ones included (they
run, just later); only ``if TYPE_CHECKING:`` blocks are left out (they never run)."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and (
        (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
        or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")
    )


def imported(tree: ast.AST, package: str) -> set[str]:
    """Modules of `package` that this module imports, at any depth but TYPE_CHECKING."""
    found: set[str] = set()
    todo = [tree]
    while todo:
        node = todo.pop()
        if _is_type_checking(node):
            assert isinstance(node, ast.If)
            todo += node.orelse
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}  # `from pkg import mod`
        todo += ast.iter_child_nodes(node)
    return {name for name in found if name.split(".")[0] == package}


def graph(root: Path, package: str) -> dict[str, set[str]]:
    modules = {
        ".".join(path.relative_to(root).with_suffix("").parts): path
        for path in (root / package).rglob("*.py")
    }
    modules = {name.removesuffix(".__init__"): path for name, path in modules.items()}
    return {
        name: imported(ast.parse(path.read_text()), package) & (set(modules) - {name})
        for name, path in modules.items()
    }


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_conmon_has_no_import_cycle() -> None:
    edges = graph(REPO, "conmon")
    assert "conmon.monitor" in edges and "conmon.health" in edges["conmon.monitor"]
    assert cycles(edges) == []


def test_the_checker_sees_function_level_imports_and_skips_type_checking() -> None:
    source = (
        "from __future__ import annotations\n"
        "TYPE_CHECKING = False\n"
        "if TYPE_CHECKING:\n    from conmon.b import B\n"
        "def f():\n    from conmon import c\n    import conmon.d\n"
    )
    assert imported(ast.parse(source), "conmon") >= {"conmon.c", "conmon.d"}
    assert "conmon.b" not in imported(ast.parse(source), "conmon")
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
