"""scopebox container diff [--format json] CONTAINER: `diff` of containers only (a miss is
Podman's "container not known", where `diff` says "layer not known")."""

from __future__ import annotations

from supervisor.cli import diff
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    return diff.main(argv, settings, verb="container diff")
