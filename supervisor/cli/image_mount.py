"""scopebox image mount [-a] [--format json] [IMAGE...]"""

from __future__ import annotations

import json
import sys

from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import images as api

    p = new_parser("image mount", "Mount an image's root filesystem read-only (no argument:"
                   " list the mounted images).")
    p.add_argument("-a", "--all", action="store_true", help="mount every image")
    p.add_argument("--format", default="")
    p.add_argument("images", nargs="*")
    ns = p.parse_args(argv)
    if ns.format not in ("", "json"):
        raise UsageError(f"unknown --format {ns.format!r}: only json")
    if ns.all and ns.images:
        raise UsageError("when using the --all switch, you may not pass any image names or IDs")
    if len(ns.images) == 1 and not ns.all:  # Podman: just the path
        (report,) = api.mount(settings, ns.images)
        if report.err is not None:
            raise report.err
        print(report.path)
        return 0
    reports = api.mount(settings, ns.images, ns.all) if ns.images or ns.all \
        else api.mounted(settings)
    code = 0
    for r in reports:
        if r.err is not None:
            print(f"Error: {r.err}", file=sys.stderr)
            code = r.err.exit_code
    done = [r for r in reports if r.err is None]
    if ns.format == "json":
        doc = [{"id": r.id, "Names": [], "Repositories": r.names, "mountpoint": r.path}
               for r in done]  # fmt: skip
        print(json.dumps(doc, indent=1))
        return code
    for r in done:  # Podman's table: the first name (else the id), two spaces, the path
        print(f"{(r.names or [r.id])[0]}  {r.path}")
    return code
