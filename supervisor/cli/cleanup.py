"""scopebox container cleanup [--root DIR ...] ID...: the monitor's exit command (not for
users). It runs under `python3 -I -S` (no environment to inherit settings from), so the
settings the container was started with come as global flags before the ids."""

from __future__ import annotations

from supervisor.settings import Settings


def main(argv: list[str], settings: Settings | None = None) -> int:
    from supervisor.api import containers as api
    from supervisor.cli.main import _split_globals

    given, ids = _split_globals(argv)
    api.cleanup(settings or given, ids)
    return 0
