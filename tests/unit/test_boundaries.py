"""The package boundaries of docs/ARCHITECTURE.md, checked on every import statement."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OURS = {"supervisor", "conmon", "cgroupfs", "units"}
ALLOWED = {
    "cgroupfs": {"cgroupfs"},
    "units": {"units", "cgroupfs", "jeepney", "systemd"},
    "conmon": {"conmon", "cgroupfs", "units.journald", "units.notify"},
    "supervisor": OURS | {"jeepney", "systemd", "zstandard", "httpx"},
}


def imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def allowed(package: str, name: str) -> bool:
    top = name.split(".")[0]
    if top in sys.stdlib_module_names or top == "__future__":
        return True
    return any(
        name == a or name.startswith(a + ".") or top == a for a in ALLOWED[package] if "." not in a
    ) or any(name == a or name.startswith(a + ".") for a in ALLOWED[package] if "." in a)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_it_may(package: str) -> None:
    bad = [
        f"{path.relative_to(REPO)}: {name}"
        for path in sorted((REPO / package).rglob("*.py"))
        for name in imports(path)
        if not allowed(package, name)
    ]
    assert bad == []


def test_nothing_imports_supervisor() -> None:
    bad = [
        f"{path.relative_to(REPO)}: {name}"
        for package in ("cgroupfs", "units", "conmon")
        for path in (REPO / package).rglob("*.py")
        for name in imports(path)
        if name.split(".")[0] == "supervisor"
    ]
    assert bad == []
