"""scopebox auto-update [--dry-run] [--rollback] [--format F] (verbs)."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.settings import Settings

HEADER = {"Unit": "UNIT", "Container": "CONTAINER", "Image": "IMAGE", "Policy": "POLICY",
          "Updated": "UPDATED"}
DEFAULT = "table {{.Unit}}\t{{.Container}}\t{{.Image}}\t{{.Policy}}\t{{.Updated}}"


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api.autoupdate import auto_update
    from supervisor.cli.output import print_table

    p = new_parser("auto-update", "Update containers labelled io.containers.autoupdate and"
                                  " restart their systemd units.")
    p.add_argument("--authfile", help="credentials file for the registry")
    p.add_argument("--dry-run", action="store_true", help="only report pending updates")
    p.add_argument("--format", help="json or a Go template")
    p.add_argument("--rollback", default="true", nargs="?", const="true",
                   help="restart on the old image when the new one fails (default true)")
    ns = p.parse_args(argv)
    from supervisor.cli.common import _bool_flag

    errors: list[str] = []  # Podman's: the others are updated, the errors told after
    rows = auto_update(settings, ns.dry_run, _bool_flag(ns.rollback), errors)
    items = [{"Unit": r.unit, "Container": f"{r.container_id[:12]} ({r.container_name})",
              "ContainerName": r.container_name, "ContainerID": r.container_id,
              "Image": r.image, "Policy": r.policy, "Updated": r.updated} for r in rows]
    if items or ns.format not in (None, "json"):
        print_table(ns.format, DEFAULT, HEADER, items)
    if errors:
        import sys

        from supervisor.errors import UsageError

        for message in errors[:-1]:
            print(f"Error: {message}", file=sys.stderr)
        raise UsageError(errors[-1])
    return 0
