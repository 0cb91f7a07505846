"""scopebox save [-o FILE] [--format docker-archive|oci-archive] [-m] IMAGE..."""

from __future__ import annotations

import os
import sys
import tempfile

from supervisor import archive
from supervisor.cli.common import engine
from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("save", "Write images to an archive (docker-archive or oci-archive).")
    p.add_argument("-o", "--output")
    p.add_argument("--format", default="docker-archive", choices=archive.FORMATS)
    p.add_argument(
        "-m", "--multi-image-archive", action="store_true", help="accepted: always allowed"
    )
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("images", nargs="+")
    ns = p.parse_args(argv)
    if ns.output is None and sys.stdout.isatty():
        raise UsageError("refusing to write an archive to a terminal: use -o or redirect")
    with engine(settings) as eng:
        if ns.output is None:
            sys.stdout.flush()
            with os.fdopen(os.dup(1), "wb") as out:
                archive.save(eng.store, ns.images, out, ns.format)
            return 0
        # Written beside the target and renamed: a failed save leaves no partial archive.
        target = os.path.abspath(ns.output)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".scopebox-save-")
        try:
            with os.fdopen(fd, "wb") as out:
                archive.save(eng.store, ns.images, out, ns.format)
            os.chmod(tmp, 0o644)
            os.rename(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
    return 0
