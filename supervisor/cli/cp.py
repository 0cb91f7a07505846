"""scopebox cp [-a=BOOL] [--overwrite] [CONTAINER:]SRC [CONTAINER:]DEST"""

from __future__ import annotations

import sys

from supervisor.cli.argparser import GO_FALSE, GO_TRUE
from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings


def _archive(argv: list[str]) -> tuple[bool, list[str]]:
    """`-a/--archive` is true by default: `--archive=false` turns it off (Go's flag syntax)."""
    archive, rest = True, list[str]()
    for i, arg in enumerate(argv):
        if arg == "--":
            return archive, rest + argv[i:]
        head, eq, value = arg.partition("=")
        if head not in ("-a", "--archive"):
            rest.append(arg)
        elif not eq or value in GO_TRUE:
            archive = True
        elif value in GO_FALSE:
            archive = False
        else:
            raise UsageError(f'invalid argument "{value}" for "{head}" flag: strconv.ParseBool:'
                             f' parsing "{value}": invalid syntax')
    return archive, rest


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import copy as api

    p = new_parser("cp", "Copy files/folders between a container and the local filesystem.")
    p.add_argument("-a", "--archive", action="store_true",
                   help="chown copied files to the receiving side's user (default true;"
                        " --archive=false keeps the archive's owners)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace directories with non-directories and the reverse")
    from supervisor.cli.common import add_default_true

    # Podman pauses the container for the copy (default true); scopebox freezes it only while
    # writing into it, either way: the flag is taken, as Podman's scripts give it
    add_default_true(p, "--pause", "accepted (the container is frozen only while written to)")
    p.add_argument("source")
    p.add_argument("dest")
    archive, rest = _archive(argv)
    if len([a for a in rest if not a.startswith("-") or a == "-"]) != 2 and "-h" not in rest \
            and "--help" not in rest:
        n = len([a for a in rest if not a.startswith("-") or a == "-"])
        raise UsageError(f"accepts 2 arg(s), received {n}")
    ns = p.parse_args(rest)
    if ns.dest == "-" and sys.stdout.isatty():
        raise UsageError("refusing to write an archive to a terminal: redirect stdout")
    api.cp(settings, api.CopyRequest(ns.source, ns.dest, archive, ns.overwrite))
    return 0
