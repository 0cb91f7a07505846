"""scopebox ps [-a] [-q] [--filter K=V] [--format F] [--no-trunc]"""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_table
from supervisor.cli.quick import APPEND, BOOL, VALUE, Quick, parse
from supervisor.errors import UsageError
from supervisor.settings import Settings
from supervisor.timefmt import parse_rfc3339

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from supervisor.api.containers import ListEntry
    from supervisor.cli.argparser import Parser

# Podman's own row (containers/ps.go createPsOut), printed as a table
DEFAULT = (
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}"
    "\t{{.Names}}"
)
# report.Headers(psReporter{}) over entities.ListContainer's fields, with ps's overrides
HEADER_FIELDS = (
    "AutoRemove", "Command", "Created", "CreatedAt", "Exited", "ExitedAt", "ExitCode", "ID",
    "Image", "ImageID", "IsInfra", "Labels", "Mounts", "Names", "Namespaces", "Networks", "Pid",
    "Pod", "PodName", "Ports", "Size", "StartedAt", "State", "Status",
)
HEADER_OVERRIDES = {
    "Cgroup": "cgroupns", "CreatedHuman": "created", "ID": "container id", "IPC": "ipc",
    "MNT": "mnt", "NET": "net", "Networks": "networks", "PIDNS": "pidns", "Pod": "pod id",
    "PodName": "podname", "RunningFor": "running for", "UTS": "uts", "User": "userns",
}


def podman_status(text: str) -> str:
    """psReporter.State/Status as Podman 4.3 words them: `Up 2 minutes ago`, a health state
    after the age (`Up 2 minutes ago (healthy)`), a paused container `Paused`."""
    if not text.startswith("Up "):
        return text
    up, paren, health = text.partition(" (")
    if health == "Paused)":
        return "Paused"
    return f"{up} ago" + (paren + health if paren else "")


def truncated_command(command: str, width: int = 20) -> str:
    return command if len(command) <= width else command[: width - 3] + "..."


def parser() -> Parser:
    from supervisor.cli.argparser import go_uint

    p = new_parser("ps", "List containers.")
    p.add_argument(
        "-a", "--all", action="store_true", help="show all containers (default: running)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="only ids")
    p.add_argument("-f", "--filter", action="append", default=[])
    p.add_argument("--format")
    p.add_argument("--no-trunc", action="store_true")
    # No containers made by other tools (buildah) and no pods exist here: nothing more to show.
    p.add_argument("--external", action="store_true", help="also containers of other tools")
    p.add_argument("--pod", action="store_true", help="show the pod")  # pods (issue 15)
    p.add_argument("-s", "--size", action="store_true", help="display the total file sizes")
    p.add_argument("--sort", choices=SORT_KEYS, default="created")
    p.add_argument("-n", "--last", type=int, default=-1, help="the N newest containers")
    p.add_argument("-l", "--latest", action="store_true", help="the newest container")
    p.add_argument("--noheading", action="store_true", help="no header line")
    p.add_argument("--sync", action="store_true", help="(state is always in sync here)")
    p.add_argument("--ns", action="store_true", help="show namespaces")
    p.add_argument("-w", "--watch", type=go_uint("-w, --watch"), default=0,
                   help="list again every SECONDS (on a terminal, on a cleared screen)")
    return p


# performance (issue 16): the flags `ps` parses without argparse (supervisor.cli.quick)
QUICK = Quick(
    flags={
        "-a": ("all", BOOL), "--all": ("all", BOOL), "-q": ("quiet", BOOL),
        "--quiet": ("quiet", BOOL), "-f": ("filter", APPEND), "--filter": ("filter", APPEND),
        "--format": ("format", VALUE), "--no-trunc": ("no_trunc", BOOL),
        "--external": ("external", BOOL), "--pod": ("pod", BOOL), "-s": ("size", BOOL),
        "--size": ("size", BOOL), "-l": ("latest", BOOL), "--latest": ("latest", BOOL),
        "--noheading": ("noheading", BOOL), "--sync": ("sync", BOOL), "--ns": ("ns", BOOL),
    },
    defaults={
        "all": False, "quiet": False, "filter": [], "format": None, "no_trunc": False,
        "external": False, "pod": False, "size": False, "sort": "created", "last": -1,
        "latest": False, "noheading": False, "sync": False, "ns": False, "watch": 0,
    },
)  # fmt: skip


def main(argv: list[str], settings: Settings) -> int:
    ns = parse(argv, QUICK) or parser().parse_args(argv)
    if ns.watch and ns.latest:
        raise UsageError("the watch and latest flags cannot be used together")
    if not ns.watch:
        return _listing(ns, settings)
    import sys
    import time

    while True:  # Podman's: until interrupted
        if sys.stdout.isatty():
            sys.stdout.write("\x1b[2J\x1b[1;1H")
        _listing(ns, settings)
        sys.stdout.flush()
        time.sleep(ns.watch)


def _listing(ns: Any, settings: Settings) -> int:
    from supervisor.api import containers as api

    # -l and -n choose among all containers, as Podman's do.
    every = ns.all or ns.latest or ns.last >= 0
    opts = api.ListOptions(all=every, filters=api.parse_filters(ns.filter), size=ns.size,
                           pod=ns.pod)  # fmt: skip
    entries = _chosen(api.list_containers(settings, opts), ns)
    items = []
    for entry in entries:
        item = dict(entry.fields)
        args = entry.json.get("Command")
        if isinstance(args, list):  # Podman joins the arguments with spaces, unquoted
            item["Command"] = " ".join(str(a) for a in args)
        item["Status"] = entry.json["Status"] = podman_status(item["Status"])
        item.setdefault("Cgroup", item.get("CGROUPNS", ""))  # Podman's method names
        item.setdefault("User", item.get("USERNS", ""))
        if ns.no_trunc:
            item["ID"] = entry.id
        else:
            item["Command"] = truncated_command(item["Command"])
        items.append(item)
    if ns.quiet and ns.format is None:  # Podman: a --format wins over -q
        for item in items:
            print(item["ID"])
        return 0
    default = NS_TABLE if ns.ns else DEFAULT
    if ns.pod and not ns.ns:  # pods (issue 15): Podman's two more columns
        default += "\t{{.Pod}}\t{{.PodName}}"
    if ns.size and not ns.ns:
        default += "\t{{.Size}}"
    # Podman's templates read the namespaces as {{.Namespaces.X}} or its methods {{.X}}
    fmt = None if ns.format is None else ns.format.replace(".Namespaces.", ".")
    from supervisor.format.table import headers

    print_table(fmt, default, headers(HEADER_FIELDS, HEADER_OVERRIDES), items,
                [e.json for e in entries], ns.noheading)
    return 0


# fidelity: Podman's --ns table
NS_TABLE = (
    "table {{.ID}}\t{{.Names}}\t{{.Pid}}\t{{.Cgroup}}\t{{.IPC}}\t{{.MNT}}\t{{.NET}}"
    "\t{{.PIDNS}}\t{{.User}}\t{{.UTS}}"
)
# Podman's sort keys (`names`: by name; `created`: oldest first; `runningfor`: newest first).
SORT_KEYS: dict[str, Callable[[ListEntry], Any]] = {
    "command": lambda e: e.fields["Command"],
    "created": lambda e: parse_rfc3339(e.fields["CreatedAt"]) or 0,
    "id": lambda e: e.id,
    "image": lambda e: e.fields["Image"],
    "names": lambda e: e.fields["Names"],
    "runningfor": lambda e: -(parse_rfc3339(e.fields["CreatedAt"]) or 0),
    "size": lambda e: e.fields.get("Size", ""),
    "status": lambda e: e.fields["Status"],
}


def _chosen(entries: list[ListEntry], ns: Any) -> list[ListEntry]:
    """Sorted (stable: same-second creations keep their listing order), then -n/-l."""
    newest_first = sorted(entries, key=SORT_KEYS["runningfor"])
    last = 1 if ns.latest else ns.last
    if last >= 0:
        entries = newest_first[:last]
    return sorted(entries, key=SORT_KEYS[ns.sort])
