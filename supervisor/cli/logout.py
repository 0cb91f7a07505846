"""scopebox logout [-a] [--authfile F] [REGISTRY]"""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("logout", "Remove stored registry credentials.")
    p.add_argument("-a", "--all", action="store_true", help="remove all credentials")
    p.add_argument("--authfile", help="credentials file (default: $XDG_RUNTIME_DIR/...)")
    p.add_argument("registry", nargs="?")
    ns = p.parse_args(argv)
    from supervisor.api import registry

    if ns.all:
        registry.logout(None, ns.authfile)
        print("Removed login credentials for all registries")
        return 0
    if not ns.registry:
        raise UsageError("logout: give a registry, or -a for all")
    key = registry.logout(ns.registry, ns.authfile)
    print(f"Removed login credentials for {key}")
    return 0
