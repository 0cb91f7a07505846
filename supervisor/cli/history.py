"""scopebox history [-H] [-q] [--no-trunc] [--format F] IMAGE"""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_table
from supervisor.settings import Settings

# Podman's own row (images/history.go), printed as a table
DEFAULT = "table {{.ID}}\t{{.Created}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
# report.Headers(historyReporter{}): entities.ImageHistoryLayer's fields, one override
HEADER_FIELDS = ("ID", "Created", "CreatedBy", "Tags", "Size", "Comment")
HEADER_OVERRIDES = {"CreatedBy": "CREATED BY"}


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("history", "Show the history of an image.")
    p.add_argument("-H", "--human", action="store_true", default=True)
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("--no-trunc", action="store_true")
    p.add_argument("--format")
    p.add_argument("image")
    ns = p.parse_args(argv)
    from supervisor.api import images as api

    items = api.history(settings, ns.image)
    if ns.quiet:
        for i in items:
            print(i["Id"] if ns.no_trunc else i["ID"])
        return 0
    if not ns.no_trunc:
        for i in items:
            if len(i["CreatedBy"]) > 45:
                i["CreatedBy"] = i["CreatedBy"][:42] + "..."
    json_items = [
        {
            "id": i["Id"],
            "created": i["Created"],
            "CreatedBy": i["CreatedBy"],
            "size": i["RawSize"],
            "comment": i["Comment"],
        }
        for i in items
    ]
    from supervisor.format.table import headers
    from supervisor.sizes import spaced_size
    for i in items:  # historyReporter's methods: the age, Podman's size
        i["Created"], i["Size"] = i["CreatedSince"], spaced_size(i["RawSize"])
        i.setdefault("Tags", [])
    print_table(ns.format, DEFAULT, headers(HEADER_FIELDS, HEADER_OVERRIDES), items, json_items)
    return 0
