"""scopebox rm [-f] [-i] [--cidfile FILE] CONTAINER..."""

from __future__ import annotations

import contextlib
import os
import sys

from supervisor.cli.common import engine, read_cidfiles
from supervisor.cli.main import new_parser
from supervisor.errors import NotFoundError, ScopeboxError


def main(argv: list[str]) -> int:
    p = new_parser("rm", "Remove containers.")
    p.add_argument("-f", "--force", action="store_true", help="kill running containers first")
    p.add_argument("-a", "--all", action="store_true", help="remove all containers")
    p.add_argument("-i", "--ignore", action="store_true", help="no such container is no error")
    p.add_argument("--cidfile", action="append", default=[], help="read the id from this file")
    p.add_argument("containers", nargs="*")
    ns = p.parse_args(argv)
    code = 0
    with engine() as eng:
        try:
            from_files = read_cidfiles(ns.cidfile, ns.ignore)
        except ScopeboxError as exc:
            print(f"Error: {exc}", file=sys.stderr)
            return exc.exit_code
        refs = [r.id for r in eng.store.list_containers()] if ns.all else ns.containers
        if not refs and not from_files and not ns.all and not ns.cidfile:
            p.error("at least one container is required")
        for ref in [*refs, *from_files]:
            try:
                eng.remove(ref, ns.force)
                print(ref)
            except NotFoundError as exc:
                if not ns.ignore:
                    print(f"Error: {exc}", file=sys.stderr)
                    code = exc.exit_code
            except ScopeboxError as exc:
                print(f"Error: {exc}", file=sys.stderr)
                code = exc.exit_code
        if code == 0:
            for path in ns.cidfile:  # Podman removes the id file with the container
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
    return code
