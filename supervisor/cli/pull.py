"""scopebox pull [-q] [--platform OS/ARCH[/VARIANT]] [--tls-verify=BOOL] [--creds U:P]
[--authfile F] IMAGE"""

from __future__ import annotations

import sys

from supervisor.cli.common import progress_sink, registry_flags, registry_options
from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("pull", "Pull an image from a registry.")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    p.add_argument("--platform", help="os/arch[/variant] to pick from a manifest list")
    registry_flags(p)
    p.add_argument("image")
    ns = p.parse_args(argv)
    from supervisor.api import registry

    tty = not ns.quiet and sys.stderr.isatty()
    progress = progress_sink(ns.quiet)
    if tty:
        print(f"Trying to pull {ns.image}...", file=sys.stderr, flush=True)
    try:
        image_id = registry.pull(settings, ns.image, ns.platform, registry_options(ns), progress)
    finally:
        progress.close()
    print(image_id)
    return 0
