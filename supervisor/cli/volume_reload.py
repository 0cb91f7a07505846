"""scopebox volume reload (verbs): Podman's re-reading of volume plugins. scopebox's volumes
are its local driver's only (no plugins), so nothing is added or removed: nothing printed."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("volume reload", "Reload volumes from volume plugins (scopebox has none).")
    p.parse_args(argv)
    return 0
