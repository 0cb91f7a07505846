"""scopebox top CONTAINER [DESCRIPTOR...]   (descriptors as Podman's: pid user time args)"""

from __future__ import annotations

from supervisor.api.stats import parse_descriptors as parse_descriptors  # moved there
from supervisor.cli.main import new_parser
from supervisor.cli.output import print_table
from supervisor.cli.targets import add_target_flags, one  # helper "flags"
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import stats as api

    p = new_parser("top", "Display the running processes of a container.")
    add_target_flags(p)  # helper "flags": --latest
    p.add_argument("container", metavar="CONTAINER", nargs="?")
    p.add_argument("descriptors", nargs="*", metavar="DESCRIPTOR")
    ns, extra = p.parse_known_args(argv)
    ref, descriptors = one(settings, ns, ns.container, [*ns.descriptors, *extra])
    report = api.top(settings, ref, descriptors)
    keys = [f"C{i}" for i in range(len(report.headers))]
    header = dict(zip(keys, report.headers, strict=True))
    items = [dict(zip(keys, row, strict=True)) for row in report.rows]
    template = "table " + "\t".join("{{." + k + "}}" for k in keys)
    print_table(template, template, header, items)
    return 0
