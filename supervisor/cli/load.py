"""scopebox load [-i FILE] [-q]"""

from __future__ import annotations

import os

from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import images as api

    p = new_parser("load", "Load images from a docker-archive or oci-archive.")
    p.add_argument("-i", "--input", default="-")
    p.add_argument("-q", "--quiet", action="store_true")
    ns = p.parse_args(argv)
    if ns.input == "-" and os.isatty(0):
        # Podman's check: an archive never comes from a terminal (reading one fails, EIO).
        raise UsageError(
            "cannot read from terminal, use command-line redirection or the --input flag"
        )
    for name in api.load(settings, ns.input):
        print(f"Loaded image: {name}")
    return 0
