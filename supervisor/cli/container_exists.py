"""scopebox container exists CONTAINER: exit 0 if it exists, 1 if not (Podman's contract)."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api

    p = new_parser("container exists", "Check if a container exists.")
    # Podman: also containers other tools (Buildah) made in its storage; scopebox's store has
    # only its own, so every container is found with or without it
    p.add_argument("--external", action="store_true",
                   help="also containers made by other tools (none in scopebox's store)")
    p.add_argument("container")
    ns = p.parse_args(argv)
    return 0 if api.exists(settings, ns.container) else 1
