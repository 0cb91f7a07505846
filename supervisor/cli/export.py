"""scopebox export [-o FILE] CONTAINER"""

from __future__ import annotations

import os
import sys
import tempfile

from supervisor.cli.common import engine
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
    with engine(settings) as eng:
        if ns.output is None:
            with os.fdopen(os.dup(1), "wb") as out:
                eng.export(ns.container, out)
            return 0
        target = os.path.abspath(ns.output)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".scopebox-export-")
        try:
            with os.fdopen(fd, "wb") as out:
                eng.export(ns.container, out)
            os.chmod(tmp, 0o644)
            os.rename(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
    return 0
