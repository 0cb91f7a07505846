"""scopebox container inspect: `inspect --type container`."""

from __future__ import annotations

from supervisor.cli import inspect
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    return inspect.main(["--type", "container", *argv], settings)
