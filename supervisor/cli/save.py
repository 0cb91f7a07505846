"""scopebox save [-o FILE] [--format docker-archive|oci-archive] [-m] IMAGE..."""

from __future__ import annotations

import os
import sys

from supervisor.cli.common import archive_file
from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import images as api

    p = new_parser("save", "Write images to an archive (docker-archive or oci-archive).")
    p.add_argument("-o", "--output")
    p.add_argument("--format", default="docker-archive", choices=api.ARCHIVE_FORMATS)
    p.add_argument(
        "-m", "--multi-image-archive", action="store_true", help="accepted: always allowed"
    )
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("--compress", action="store_true",
                   help="for Podman's docker-dir format, which scopebox does not write")
    p.add_argument("--uncompressed", action="store_true",
                   help="the archives' layers are uncompressed anyway")
    p.add_argument("images", nargs="+")
    ns = p.parse_args(argv)
    if ns.compress:  # Podman's rule and words; neither archive format compresses
        raise UsageError("--compress can only be set when --format is 'docker-dir'")
    if ns.output is None and sys.stdout.isatty():
        raise UsageError("refusing to write an archive to a terminal: use -o or redirect")
    if ns.output is None:
        sys.stdout.flush()
        with os.fdopen(os.dup(1), "wb") as out:
            api.save(settings, ns.images, out, ns.format, "/dev/stdout")  # Podman's default
        return 0
    with archive_file(ns.output, ".scopebox-save-") as out:
        api.save(settings, ns.images, out, ns.format, ns.output)
    return 0
