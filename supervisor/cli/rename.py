"""scopebox rename CONTAINER NEW_NAME"""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api

    p = new_parser("rename", "Rename a container.")
    p.add_argument("container")
    p.add_argument("new_name")
    ns = p.parse_args(argv)
    api.rename(settings, ns.container, ns.new_name)
    return 0
