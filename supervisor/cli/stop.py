"""scopebox stop [-t SECONDS] [-i] [--cidfile FILE] CONTAINER..."""

from __future__ import annotations

import sys

from supervisor.cli.common import engine, for_each, read_cidfiles
from supervisor.cli.main import new_parser
from supervisor.errors import NotFoundError, ScopeboxError


def main(argv: list[str]) -> int:
    p = new_parser("stop", "Stop containers: the stop signal, then SIGKILL after the timeout.")
    p.add_argument(
        "-t", "--time", "--timeout", type=int, dest="timeout", help="seconds to wait before killing"
    )
    p.add_argument("-i", "--ignore", action="store_true", help="no such container is no error")
    p.add_argument("--cidfile", action="append", default=[], help="read the id from this file")
    p.add_argument("containers", nargs="*")
    ns = p.parse_args(argv)
    try:
        refs = [*ns.containers, *read_cidfiles(ns.cidfile, ns.ignore)]
    except ScopeboxError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return exc.exit_code
    if not refs and not ns.cidfile:
        p.error("at least one container is required")
    with engine() as eng:

        def stop(ref: str) -> None:
            try:
                eng.stop(ref, ns.timeout)
            except NotFoundError:
                if not ns.ignore:
                    raise

        return for_each(refs, stop)
