"""scopebox pod ps [-q] [--format F] [--filter K=V] [--ctr-names] [--ctr-status] ..."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_table
from supervisor.settings import Settings

# report.Headers(ListPodReporter{}): its one field is an embedded pointer, which Headers does
# not look into, so the overrides are all the names there are (`{{.ID}}` has none).
HEADER_FIELDS = ("ListPodsReport",)
HEADER_OVERRIDES = {
    "Id": "POD ID", "Name": "NAME", "Status": "STATUS", "Labels": "LABELS",
    "NumberOfContainers": "# OF CONTAINERS", "Created": "CREATED", "InfraID": "INFRA ID",
    "ContainerIds": "IDS", "ContainerNames": "NAMES", "ContainerStatuses": "STATUS",
    "Cgroup": "CGROUP", "Namespace": "NAMESPACES",
}


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("pod ps", "List pods.")
    a = p.add_argument
    a("-q", "--quiet", action="store_true", help="only ids")
    a("--format")
    a("-f", "--filter", action="append", default=[])
    a("--no-trunc", action="store_true")
    a("--ctr-names", action="store_true", help="the containers' names")
    a("--ctr-ids", action="store_true", help="the containers' ids")
    a("--ctr-status", action="store_true", help="the containers' statuses")
    a("--ns", action="store_true", help="namespaces")
    a("--noheading", action="store_true")
    a("-l", "--latest", action="store_true", help="the newest pod")
    a("--sort", default="created", choices=("created", "id", "name", "number", "status"))
    ns = p.parse_args(argv)
    from supervisor.api import pods as api

    entries = api.list_pods(settings, api.ListOptions(api.parse_filters(ns.filter),
                                                      ns.no_trunc))
    key = {"created": "Created", "id": "ID", "name": "Name", "number": "NumberOfContainers",
           "status": "Status"}[ns.sort]
    if ns.sort != "created":
        entries.sort(key=lambda e: str(e.fields[key]))
    else:
        entries.sort(key=lambda e: e.json["Created"], reverse=True)
    if ns.latest:
        entries = entries[:1]
    if ns.quiet:
        for e in entries:
            print(e.fields["ID"])
        return 0
    # Podman's own row (pods/ps.go podPsFormat), printed as a table
    fmt = "table {{.Id}}\t{{.Name}}\t{{.Status}}\t{{.Created}}\t{{.InfraID}}"
    if ns.ctr_ids:
        fmt += "\t{{.ContainerIds}}"
    if ns.ctr_names:
        fmt += "\t{{.ContainerNames}}"
    if ns.ctr_status:
        fmt += "\t{{.ContainerStatuses}}"
    if ns.ns:
        fmt += "\t{{.Cgroup}}\t{{.Namespace}}"
    if not (ns.ctr_ids or ns.ctr_names or ns.ctr_status):
        fmt += "\t{{.NumberOfContainers}}"
    from supervisor.format.table import headers

    print_table(ns.format, fmt, headers(HEADER_FIELDS, HEADER_OVERRIDES),
                [e.fields for e in entries], [e.json for e in entries], ns.noheading)
    return 0
