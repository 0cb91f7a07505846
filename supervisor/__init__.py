"""scopebox's engine and CLI. The name is also that of Supervisor's package (supervisord, on
PyPI as `supervisor`): the two cannot share one environment, see supervisor/launcher.py."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SCOPEBOX = True  # the launcher's proof that `import supervisor` found this package


def _install_classcache() -> None:
    """performance (issue 16): `dataclasses`, once imported, compiles the methods of our
    classes through `supervisor.classcache` (without importing it before a verb needs it),
    and finds `inspect` there to be loaded at its first use (`classcache.defer`)."""
    import sys

    if "dataclasses" in sys.modules:
        from supervisor.classcache import patch

        patch(sys.modules["dataclasses"])
        return

    class Loader:
        def __init__(self, loader: Any) -> None:
            self.loader = loader

        def create_module(self, spec: Any) -> Any:
            return self.loader.create_module(spec)

        def exec_module(self, module: Any) -> None:
            from supervisor.classcache import defer, patch

            defer("inspect")
            self.loader.exec_module(module)
            patch(module)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.loader, name)

    class Finder:
        @classmethod
        def find_spec(cls, name: str, path: Any = None, target: Any = None) -> Any:
            if name != "dataclasses":
                return None
            sys.meta_path.remove(cls)
            from importlib.machinery import PathFinder

            spec = PathFinder.find_spec(name, path)
            if spec is not None and spec.loader is not None:
                spec.loader = Loader(spec.loader)  # type: ignore[assignment]
            return spec

    sys.meta_path.insert(0, Finder)


_install_classcache()
