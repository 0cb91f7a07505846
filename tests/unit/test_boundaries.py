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
    "supervisor": OURS | {"jeepney", "systemd", "zstandard", "httpx", "anyio",  # anyio: DNS
                          "yaml"},  # kube (issue 15)
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


# The CLI is a face over supervisor.api: it parses, calls and prints. It may import the API,
# the errors, the settings, the output formats, the standard library and pure request types
# and parsers (stdlib-only, no state): never the store, the engine, the runtime, cgroups,
# systemd units or any other engine internal.
CLI_MAY_IMPORT = {
    "supervisor.api",
    "supervisor.cli",
    "supervisor.errors",
    "supervisor.format",
    "supervisor.settings",
    "supervisor.notices",  # where library notices go (the face decides)
    "supervisor.records",  # NamedTuple without typing (issue 16: every verb's cold start)
    # pure request types and parsers
    "supervisor.options",  # CreateOptions
    "supervisor.health",  # HealthFlags (parsing only)
    "supervisor.resources",  # ResourceOptions
    "supervisor.timefmt",  # --since
    "supervisor.sizes",  # human sizes
    "supervisor.registry.progress",  # progress bars on a terminal (output, like format)
    "supervisor.network.request",  # NetFlags (networking: pure parsing, no state)
    "supervisor.service",  # the REST face (issue 18), which `system service` runs
}
# Every verb is behind the API: nothing may come back.
CLI_PENDING: dict[str, set[str]] = {}


def _cli_imports(path: Path) -> set[str]:
    """Our modules a CLI file imports (`from supervisor import images`: supervisor.images)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            package = REPO / node.module.replace(".", "/") / "__init__.py"
            if package.exists():  # `from supervisor.registry import auth`: the module
                names |= {f"{node.module}.{a.name}" for a in node.names}
            else:
                names.add(node.module)
    return {n for n in names if n.split(".")[0] in OURS}


def _cli_may(name: str) -> bool:
    return any(name == a or name.startswith(a + ".") for a in CLI_MAY_IMPORT)


def test_cli_only_faces_the_api() -> None:
    found = {}
    for path in sorted((REPO / "supervisor/cli").glob("*.py")):
        bad = {n for n in _cli_imports(path) if not _cli_may(n)}
        if bad:
            found[str(path.relative_to(REPO))] = bad
    assert found == CLI_PENDING


# The REST face (issue 18) is a face like the CLI: what the CLI may import (the API, the
# errors, the pure request types), never the store, engine or runtime.
SERVICE_MAY_IMPORT = CLI_MAY_IMPORT - {"supervisor.cli", "supervisor.format"}


def test_service_only_faces_the_api() -> None:
    found = {}
    for path in sorted((REPO / "supervisor/service").glob("*.py")):
        bad = {n for n in _cli_imports(path)
               if not any(n == a or n.startswith(a + ".") for a in SERVICE_MAY_IMPORT)}
        if bad:
            found[str(path.relative_to(REPO))] = bad
    assert found == {}


def test_the_api_and_settings_start_light() -> None:
    """`version` and the CLI's entry import none of the engine: the cold start stays short."""
    import subprocess

    code = (
        "import sys, supervisor.cli.main, supervisor.api, supervisor.api.system,"
        " supervisor.api.containers, supervisor.settings;"
        " print(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('sqlite3', 'units', 'cgroupfs') or m in ('supervisor.engine', 'supervisor.store')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout
    assert out.strip() == "[]"


# secrets: a secret's data is read only where it is used: the API (create, rm), the
# container's create (the per-container copy) and its start (env-type ones).
SECRET_DATA_READERS = {"supervisor/api/secrets.py", "supervisor/secrets/use.py"}


def test_only_the_api_and_containers_touch_secret_data() -> None:
    found = {
        str(path.relative_to(REPO))
        for path in sorted((REPO / "supervisor").rglob("*.py"))
        if "supervisor.secrets.data" in _cli_imports(path)
        or "supervisor.secrets.use" in _cli_imports(path)
    }
    users_of_use = {"supervisor/container/create.py", "supervisor/specgen.py"}
    assert found == SECRET_DATA_READERS | users_of_use
