"""scopebox export [-o FILE] CONTAINER"""

from __future__ import annotations

import os
import sys

from supervisor.cli.common import archive_file
from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("export", "Write a container's filesystem to a tar archive.")
    p.add_argument("-o", "--output")
    p.add_argument("container")
    ns = p.parse_args(argv)
    if ns.output is None and sys.stdout.isatty():
        raise UsageError("refusing to write an archive to a terminal: use -o or redirect")
    from supervisor.api import containers as api

    if ns.output is None:
        with os.fdopen(os.dup(1), "wb") as out:
            api.export(settings, ns.container, out)
        return 0
    with archive_file(ns.output, ".scopebox-export-") as out:
        api.export(settings, ns.container, out)
    return 0
