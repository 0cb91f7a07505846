"""performance (issue 16): the methods `dataclasses` writes for each class, compiled once.

For every dataclass, `dataclasses` writes the source of `__init__`, `__repr__`, `__eq__`,
`__hash__`, `__setattr__`/`__delattr__` (frozen) and compiles it with `exec`, at every import:
`supervisor.model` and what it loads make 29 classes and 171 functions, about a third of its
import time, paid by every verb that reads a container (`exec`, `attach`, `inspect`, `run`).
This keeps, beside the package's bytecode (a file per module), each generated text with the
code object `compile` made of it (marshal, as a .pyc holds code): a hit runs the code compiled
from the very same text, so the classes are the same; only the compiling is skipped. Only the
classes of scopebox's own modules go through it; any other `exec` of `dataclasses` is passed
on as is.

`supervisor/__init__.py` installs it when `dataclasses` is first imported. The cache is written
as .pyc files are: where the package's `__pycache__` is writable and Python may write bytecode
(not under PYTHONDONTWRITEBYTECODE); `python -m supervisor.classcache` fills it at install time
(packaging/install.sh, tests/install-deps.sh). A missing, unreadable or foreign file is an
empty cache.
"""

from __future__ import annotations

import contextlib
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import CodeType, ModuleType
    from typing import Any

DIR = os.path.join(os.path.dirname(__file__), "__pycache__", "dataclass-methods")
OWN = ("supervisor.", "conmon.")
_tables: dict[str, dict[str, CodeType]] = {}  # module -> generated text -> its code
_changed: set[str] = set()


def path_of(module: str) -> str:
    return os.path.join(DIR, f"{module}.{sys.implementation.cache_tag}.marshal")


def _load(module: str) -> dict[str, CodeType]:
    import marshal

    try:
        with open(path_of(module), "rb") as f:
            version, table = marshal.load(f)
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    return table if version == sys.version and isinstance(table, dict) else {}


def save(force: bool = False) -> None:
    """Write the tables that gained entries, each atomically (a concurrent reader sees the
    old file or the new one)."""
    import marshal

    if sys.dont_write_bytecode and not force:
        return
    for module in sorted(_changed):
        path = path_of(module)
        tmp = f"{path}.{os.getpid()}.tmp"
        try:
            os.makedirs(DIR, exist_ok=True)
            with open(tmp, "wb") as f:
                marshal.dump((sys.version, _tables[module]), f)
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    _changed.clear()


def _exec(source: Any, globals: dict[str, Any] | None = None,
          locals: dict[str, Any] | None = None) -> None:  # fmt: skip
    """`exec` as `dataclasses` calls it, with the compiled text cached for our modules."""
    module = str(globals.get("__name__", "")) if globals is not None else ""
    if not isinstance(source, str) or not module.startswith(OWN):
        exec(source, globals, locals)
        return
    table = _tables.get(module)
    if table is None:
        table = _tables[module] = _load(module)
    code = table.get(source)
    if code is None:
        code = table[source] = compile(source, "<string>", "exec")
        if not _changed:
            import atexit

            atexit.register(save)
        _changed.add(module)
    exec(code, globals, locals)


def patch(module: ModuleType) -> None:
    """Make `module` (`dataclasses`) compile through the cache: its functions look `exec` up
    in their module's globals before the builtins."""
    module.exec = _exec  # type: ignore[attr-defined]


def fill() -> int:
    """Import every module of the package (each makes its classes), write the cache; the
    number of texts in it."""
    import importlib
    import pkgutil

    for info in pkgutil.walk_packages([os.path.dirname(__file__)], "supervisor."):
        if info.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(info.name)
        except Exception:  # an optional dependency missing: its classes are made when used
            continue
    count = sum(len(t) for t in _tables.values())
    save(force=True)
    return count


if __name__ == "__main__":  # this file as __main__ is not the module the patch calls
    from supervisor import classcache

    print(f"{classcache.fill()} dataclass methods cached in {classcache.DIR}")
