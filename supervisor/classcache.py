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

`dataclasses` also imports `inspect` (with `ast`, `dis`, `tokenize`, `linecache`: ~35 M of the
~270 M instructions of `inspect CONTAINER`, measured with callgrind) and calls it only to write
a docstring for a class that has none: `defer` registers it as a module executed at its
first attribute access (by `dataclasses` or anyone else), as `importlib.util.LazyLoader`
does, except that the import system's own look at `__spec__` (every `import inspect`) does
not load it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from _thread import RLock
from types import ModuleType

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import CodeType
    from typing import Any

DIR = os.path.join(os.path.dirname(__file__), "__pycache__", "dataclass-methods")
OWN = ("supervisor.", "conmon.")
# The interpreter's and this file's format: 2 since the code is compiled without our future
# flags (a file of an older scopebox is an empty cache, written again).
_VERSION = f"{sys.version} 2"
_tables: dict[str, dict[str, CodeType]] = {}  # module -> generated text -> its code
_changed: set[str] = set()
_deferred_lock = RLock()  # one thread runs a deferred module's code; others wait for it


def path_of(module: str) -> str:
    return os.path.join(DIR, f"{module}.{sys.implementation.cache_tag}.marshal")


def _load(module: str) -> dict[str, CodeType]:
    import marshal

    try:
        with open(path_of(module), "rb") as f:
            version, table = marshal.load(f)
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    return table if version == _VERSION and isinstance(table, dict) else {}


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
                marshal.dump((_VERSION, _tables[module]), f)
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
        if isinstance(source, str):  # as dataclasses' own exec compiles it (see below)
            source = compile(source, "<string>", "exec", dont_inherit=True)
        exec(source, globals, locals)
        return
    table = _tables.get(module)
    if table is None:
        table = _tables[module] = _load(module)
    code = table.get(source)
    if code is None:
        # dont_inherit: not this file's `from __future__ import annotations` (the methods'
        # annotations are evaluated, as `dataclasses` makes them: `X(a: int)`, not '_type_a')
        code = table[source] = compile(source, "<string>", "exec", dont_inherit=True)
        if not _changed:
            import atexit

            atexit.register(save)
        _changed.add(module)
    exec(code, globals, locals)


class _Deferred(ModuleType):
    """A module whose code runs at the first attribute it is asked for that it lacks."""

    def __getattr__(self, name: str) -> Any:
        with _deferred_lock:
            if type(self) is _Deferred and not self.__dict__.get("_scopebox_running"):
                self.__dict__["_scopebox_running"] = True  # its own code asking: not again
                try:
                    self.__dict__["__loader__"].exec_module(self)
                finally:
                    del self.__dict__["_scopebox_running"]
                self.__class__ = ModuleType  # type: ignore[assignment]  # a plain module now
        if type(self) is _Deferred:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        return getattr(self, name)


def defer(name: str) -> None:
    """The standard library's module `name` (not yet imported) in sys.modules, deferred."""
    if name in sys.modules:
        return
    from importlib.machinery import PathFinder

    spec = PathFinder.find_spec(name)
    if spec is None or spec.loader is None:
        return
    module = _Deferred(name)
    for key, value in (("__spec__", spec), ("__loader__", spec.loader),
                       ("__file__", spec.origin), ("__cached__", spec.cached)):  # fmt: skip
        module.__dict__[key] = value
    sys.modules[name] = module


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
