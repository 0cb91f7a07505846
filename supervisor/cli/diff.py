"""scopebox diff [--format json] CONTAINER|--latest"""

from __future__ import annotations

import json

from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings, verb: str = "diff") -> int:
    from supervisor.api import copy as api

    p = new_parser(verb, "Display the changes to a container's file system.")
    p.add_argument("--format", default="")
    p.add_argument("-l", "--latest", action="store_true",
                   help="act on the latest container created")
    p.add_argument("container", nargs="?")
    ns = p.parse_args(argv)
    from supervisor.cli.targets import latest_or

    ns.container = latest_or(settings, ns.latest, ns.container, verb)
    if ns.format not in ("", "json"):
        raise UsageError(f"only 'json' is supported as a format, not {ns.format!r}")
    found = api.diff(settings, ns.container, "container" if verb != "diff" else "layer")
    if ns.format == "json":
        doc = {k: sorted(v) for k, v in
               (("changed", found.changed), ("added", found.added), ("deleted", found.deleted))
               if v}
        print(json.dumps(doc, indent=5))
    else:
        for line in found.lines():
            print(line)
    return 0
