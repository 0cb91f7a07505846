"""scopebox rm [-f] CONTAINER..."""

from __future__ import annotations

import sys

from supervisor.cli.common import engine
from supervisor.cli.main import new_parser
from supervisor.errors import NotFoundError, ScopeboxError


def main(argv: list[str]) -> int:
    p = new_parser("rm", "Remove containers.")
    p.add_argument("-f", "--force", action="store_true", help="kill running containers first")
    p.add_argument("-a", "--all", action="store_true", help="remove all containers")
    p.add_argument("containers", nargs="*")
    ns = p.parse_args(argv)
    code = 0
    with engine() as eng:
        refs = [r.id for r in eng.store.list_containers()] if ns.all else ns.containers
        if not refs and not ns.all:
            p.error("at least one container is required")
        for ref in refs:
            try:
                eng.remove(ref, ns.force)
                print(ref)
            except NotFoundError as exc:
                if not ns.force:
                    print(f"Error: {exc}", file=sys.stderr)
                    code = exc.exit_code
            except ScopeboxError as exc:
                print(f"Error: {exc}", file=sys.stderr)
                code = exc.exit_code
    return code
