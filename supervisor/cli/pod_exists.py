"""scopebox pod exists POD: exit 0 if it exists, 1 if not."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("pod exists", "Exit 0 if the pod exists, 1 if not.")
    p.add_argument("pod")
    ns = p.parse_args(argv)
    from supervisor.api import pods as api

    return 0 if api.exists(settings, ns.pod) else 1
