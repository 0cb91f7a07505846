"""scopebox pod top [-l] POD [DESCRIPTOR...]   (the processes of a pod's running containers)"""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_table
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("pod top", "Display the running processes of containers in a pod.")
    p.add_argument("-l", "--latest", action="store_true", help="the newest pod")
    p.add_argument("pod", metavar="POD", nargs="?")
    p.add_argument("descriptors", nargs="*", metavar="DESCRIPTOR")
    ns, extra = p.parse_known_args(argv)
    from supervisor.api import pods as api
    from supervisor.api import podtools

    descriptors = [*ns.descriptors, *extra]
    ref = ns.pod
    if ns.latest:
        if ref is not None:  # with --latest every argument is a descriptor
            descriptors.insert(0, ref)
        ref = api.latest(settings)
    if not ref:
        raise UsageError("you must provide the name or id of a running pod")
    report = podtools.top(settings, ref, descriptors)
    if not report.headers:
        return 0
    keys = [f"C{i}" for i in range(len(report.headers))]
    header = dict(zip(keys, report.headers, strict=True))
    items = [dict(zip(keys, row, strict=True)) for row in report.rows]
    template = "table " + "\t".join("{{." + k + "}}" for k in keys)
    print_table(template, template, header, items)
    return 0
