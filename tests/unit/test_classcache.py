"""performance (issue 16): dataclasses made through supervisor.classcache are the classes
`dataclasses` makes; the cache is written and read back (supervisor/classcache.py)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import types
from pathlib import Path

import pytest

from supervisor import classcache

SOURCE = '''
from dataclasses import dataclass, field

@dataclass(frozen=True)
class Point:
    x: int
    y: int = 2
    tags: list[str] = field(default_factory=list)
'''


def _make(name: str) -> type:
    module = types.ModuleType(name)
    sys.modules[name] = module  # dataclasses looks the class's module up
    try:
        exec(compile(SOURCE, f"<{name}>", "exec"), module.__dict__)
    finally:
        del sys.modules[name]
    cls = module.Point
    assert isinstance(cls, type)
    return cls


def test_cached_classes_are_dataclasses_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:  # fmt: skip
    import supervisor.model  # noqa: F401  (dataclasses is patched once ours are made)

    assert dataclasses.exec is classcache._exec  # type: ignore[attr-defined]
    monkeypatch.setattr(classcache, "DIR", str(tmp_path))
    monkeypatch.setattr(classcache, "_tables", {})
    monkeypatch.setattr(classcache, "_changed", set())
    first = _make("supervisor.cc_probe")  # compiled, then kept
    assert classcache._changed == {"supervisor.cc_probe"}
    classcache.save(force=True)
    assert Path(classcache.path_of("supervisor.cc_probe")).exists()
    monkeypatch.setattr(classcache, "_tables", {})
    second = _make("supervisor.cc_probe")  # read back from the file
    assert not classcache._changed
    plain = _make("elsewhere")  # not ours: dataclasses' own exec
    assert "elsewhere" not in classcache._tables
    for cls in (first, second, plain):
        p = cls(1, tags=["a"])
        assert (repr(p), p == cls(1, 2, ["a"]), p.y) == ("Point(x=1, y=2, tags=['a'])", True, 2)
        with pytest.raises(dataclasses.FrozenInstanceError):
            p.x = 3
        assert [f.name for f in dataclasses.fields(cls)] == ["x", "y", "tags"]
    for method in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__"):
        a, b = getattr(first, method).__code__, getattr(second, method).__code__
        assert a.co_code == b.co_code and a.co_consts == b.co_consts, method
    # the generated methods' annotations are evaluated as dataclasses' own are (the cache's
    # compile once inherited classcache.py's `from __future__ import annotations`)
    for cls in (first, second):
        assert cls.__init__.__annotations__ == plain.__init__.__annotations__
        assert cls.__init__.__annotations__["return"] is None


def test_a_broken_cache_file_is_an_empty_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(classcache, "DIR", str(tmp_path))
    monkeypatch.setattr(classcache, "_tables", {})
    Path(classcache.path_of("supervisor.cc_broken")).write_bytes(b"\x00garbage")
    assert classcache._load("supervisor.cc_broken") == {}


def test_the_cli_installs_it_only_with_dataclasses() -> None:
    """`version` loads neither dataclasses nor the cache; a verb that does, compiles through it."""
    code = ("import sys; from supervisor.cli.main import main; main(['version']);"
            " print('dataclasses' in sys.modules, 'supervisor.classcache' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == "False False"
    code = ("import supervisor.model, dataclasses, supervisor.classcache as c;"
            " print(dataclasses.exec is c._exec)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_the_config_classes_have_their_own_docstrings() -> None:
    """A dataclass without one gets `Name(signature)` made with inspect.signature at every
    import (issue 16), and that loads `inspect` (deferred till then, see the test above):
    each class that exec, a container's config, run and the read verbs load has its own."""
    code = """if True:
        import dataclasses, sys
        import supervisor.execute, supervisor.model, supervisor.api.containers
        import supervisor.container.reconcile, supervisor.container.create
        import supervisor.container.launch, supervisor.logs, supervisor.pods.ops
        import supervisor.views_podman, supervisor.users, supervisor.passwd, supervisor.images
        import supervisor.volumes.db, supervisor.secrets.db, supervisor.network.definition
        print([f"{n}.{k}" for n, m in list(sys.modules.items()) if n.startswith("supervisor.")
               for k, v in vars(m).items() if isinstance(v, type)
               and dataclasses.is_dataclass(v) and v.__module__ == n
               and (v.__dict__.get("__doc__") or "").startswith(f"{v.__name__}(")])
    """
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_dataclasses_defers_inspect() -> None:
    """`dataclasses` gets `inspect` unexecuted (its `ast`, `dis`, `tokenize`: ~35 M
    instructions of `inspect CONTAINER`); the first use of it, by dataclasses for a class
    without a docstring or by anyone, runs it, and it is the standard library's module."""
    code = """if True:
        import sys
        import supervisor.model
        heavy = ("ast", "dis", "tokenize", "linecache")
        print([m for m in heavy if m in sys.modules])
        import dataclasses, inspect

        @dataclasses.dataclass
        class Bare:
            a: int

        print(Bare.__doc__, [m for m in heavy if m in sys.modules] == list(heavy))
        print(type(inspect).__name__, inspect is sys.modules["inspect"], inspect.isclass(Bare))
        print(str(inspect.signature(Bare)), inspect.__file__ == inspect.getfile(inspect))
    """
    env = {"PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-I", "-S", "-c", f"import sys; sys.path.insert(0, "
                          f"{str(Path(__file__).resolve().parents[2])!r}); sys.path += "
                          f"{[p for p in sys.path if p.endswith('site-packages')]!r}\n{code}"],
                         capture_output=True, text=True, check=True, env=env)  # fmt: skip
    assert out.stdout.splitlines() == [
        "[]",
        "Bare(a: int) True",
        "module True True",
        "(a: int) -> None True",
    ]
