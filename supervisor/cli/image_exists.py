"""scopebox image exists IMAGE: exit 0 if it exists, 1 if not (Podman's contract)."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import images as api

    p = new_parser("image exists", "Check if a image exists.")
    p.add_argument("image")
    ns = p.parse_args(argv)
    return 0 if api.exists(settings, ns.image) else 1
