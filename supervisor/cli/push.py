"""scopebox push [-q] [--tls-verify=BOOL] [--creds U:P] [--authfile F] IMAGE [DESTINATION]"""

from __future__ import annotations

import sys

from supervisor.cli.common import progress_sink, registry_flags, registry_options
from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("push", "Push an image to a registry.")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    p.add_argument("--digestfile", help="write the pushed manifest's digest to this file")
    registry_flags(p, cert_dir=True)
    p.add_argument("image")
    p.add_argument("destination", nargs="?")
    ns = p.parse_args(argv)
    from supervisor.api import registry

    tty = not ns.quiet and sys.stderr.isatty()
    progress = progress_sink(ns.quiet)
    try:
        digest = registry.push(
            settings, ns.image, ns.destination, registry_options(ns), progress
        )
    finally:
        progress.close()
    if ns.digestfile:
        with open(ns.digestfile, "w") as f:
            f.write(digest)
    if tty:
        print(f"Pushed {digest}", file=sys.stderr)
    return 0
