"""scopebox umount [-f] [-a | -l | CONTAINER...]"""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_reports
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import copy as api

    p = new_parser("unmount", "Unmount a container's root filesystem (counted, as Podman).")
    p.add_argument("-a", "--all", action="store_true", help="every mounted container")
    p.add_argument("-f", "--force", action="store_true",
                   help="unmount whatever the count (not a running container's root)")
    p.add_argument("-l", "--latest", action="store_true",
                   help="act on the latest container created")
    p.add_argument("containers", nargs="*")
    ns = p.parse_args(argv)
    if ns.latest:
        from supervisor.api.targets import resolve
        from supervisor.cli.targets import targets

        ns.containers = resolve(settings, targets(ns, ns.containers))
    if bool(ns.all) == bool(ns.containers):
        raise UsageError("when using the --all switch, you may not pass any containers names or"
                         " IDs" if ns.all else "you must provide at least one name or ID")
    return print_reports(api.umount(settings, ns.containers, ns.all, ns.force))
