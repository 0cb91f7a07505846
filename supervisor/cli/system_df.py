"""scopebox system df [--format F]"""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_table
from supervisor.settings import Settings
from supervisor.sizes import human_size

# Podman's own row (system/df.go), printed as a table
DEFAULT = "table {{.Type}}\t{{.Total}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"
# report.Headers(dfSummary{}), its methods' names as overrides
HEADER_FIELDS = ("Type", "Total", "Active", "RawSize", "RawReclaimable")
HEADER_OVERRIDES = {"Size": "SIZE", "Reclaimable": "RECLAIMABLE"}


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("system df", "Show disk usage of images, containers and volumes.")
    p.add_argument("--format")
    p.add_argument("-v", "--verbose", action="store_true")
    ns = p.parse_args(argv)
    from supervisor.api import images as api

    if ns.verbose and not ns.format:
        _verbose(settings)
        return 0
    rows = api.disk_usage(settings)
    items = [
        {
            "Type": r.kind,
            "Total": r.total,
            "Active": r.active,
            "Size": human_size(r.size),
            "Reclaimable": f"{human_size(r.reclaimable)} ({_pct(r.reclaimable, r.size)}%)",
            "RawSize": r.size,
            "RawReclaimable": r.reclaimable,
        }
        for r in rows
    ]
    from supervisor.format.table import headers

    print_table(ns.format, DEFAULT, headers(HEADER_FIELDS, HEADER_OVERRIDES), items)
    return 0


def _pct(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def _verbose(settings: Settings) -> None:
    """Podman's three sections: images, containers, local volumes."""
    import sys

    from supervisor.api import images as api
    from supervisor.api import volumes
    from supervisor.timefmt import ago

    def since(created: str) -> str:
        return ago(created).removesuffix(" ago")  # Podman's df says "4 minutes"

    images, containers = api.disk_usage_verbose(settings)
    image_rows = []
    for i in images:
        repo, _, tag = i.name.rpartition(":") if i.name else ("", "", "")
        image_rows.append({"Repository": repo or "<none>", "Tag": tag or "<none>",
                           "ImageID": i.id[:12], "Created": since(i.created),
                           "Size": human_size(i.size), "SharedSize": human_size(i.shared),
                           "UniqueSize": human_size(i.size - i.shared),
                           "Containers": i.containers})  # fmt: skip
    ctr_rows = [{"ContainerID": c.id[:12], "Image": c.image_id[:12], "Command": c.command,
                 "LocalVolumes": c.volumes, "Size": human_size(c.size),
                 "Created": since(c.created), "Status": c.status, "Names": c.name}
                for c in containers]  # fmt: skip
    vol_rows = [{"VolumeName": v["VolumeName"], "Links": v["Links"],
                 "Size": human_size(v["Size"])} for v in volumes.disk_usage(settings)]  # fmt: skip
    sections = (
        ("Images space usage:", IMAGES_V, IMAGES_H, image_rows),
        ("Containers space usage:", CONTAINERS_V, CONTAINERS_H, ctr_rows),
        ("Local Volumes space usage:", VOLUMES_V, VOLUMES_H, vol_rows),
    )
    for i, (title, fmt, heads, rows) in enumerate(sections):
        sys.stdout.write(("\n" if i else "") + title + "\n\n")
        sys.stdout.flush()
        print_table(None, fmt, heads, rows)


IMAGES_V = ("table {{.Repository}}\t{{.Tag}}\t{{.ImageID}}\t{{.Created}}\t{{.Size}}"
            "\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}")
IMAGES_H = {"Repository": "REPOSITORY", "Tag": "TAG", "ImageID": "IMAGE ID",
            "Created": "CREATED", "Size": "SIZE", "SharedSize": "SHARED SIZE",
            "UniqueSize": "UNIQUE SIZE", "Containers": "CONTAINERS"}
CONTAINERS_V = ("table {{.ContainerID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}"
                "\t{{.Size}}\t{{.Created}}\t{{.Status}}\t{{.Names}}")
CONTAINERS_H = {"ContainerID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND",
                "LocalVolumes": "LOCAL VOLUMES", "Size": "SIZE", "Created": "CREATED",
                "Status": "STATUS", "Names": "NAMES"}
VOLUMES_V = "table {{.VolumeName}}\t{{.Links}}\t{{.Size}}"
VOLUMES_H = {"VolumeName": "VOLUME NAME", "Links": "LINKS", "Size": "SIZE"}
