"""scopebox secret exists SECRET: exit 0 if it exists, 1 if not (Podman 4.5's verb)."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("secret exists", "Exit 0 if the secret exists, 1 if not.")
    p.add_argument("secret")
    ns = p.parse_args(argv)
    from supervisor.api import secrets as api

    return 0 if api.exists(settings, ns.secret) else 1
