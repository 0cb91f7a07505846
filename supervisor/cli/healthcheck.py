"""scopebox healthcheck run CONTAINER: run the check now; exit 0 healthy, 1 otherwise."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api

    # main.py let only `run` (or a flag) through: the group's one subcommand
    p = new_parser("healthcheck run", "Run the health check of a container.")
    p.add_argument("container", metavar="CONTAINER")
    ns = p.parse_args(argv[1:] if argv[:1] == ["run"] else argv)
    code, status = api.healthcheck_run(settings, ns.container)
    if code == 0:
        return 0
    print(status)  # as Podman: "unhealthy", or "starting" inside the start period
    return 1
