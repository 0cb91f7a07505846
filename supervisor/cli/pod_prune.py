"""scopebox pod prune [-f]: remove every pod none of whose containers runs."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import confirm
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("pod prune", "Remove all stopped pods and their containers.")
    p.add_argument("-f", "--force", action="store_true", help="do not ask")
    ns = p.parse_args(argv)
    from supervisor.api import pods as api

    if not ns.force and not confirm("WARNING! This will remove all stopped/exited pods..\n"):
        return 0
    for pod_id in api.prune(settings):
        print(pod_id)
    return 0
