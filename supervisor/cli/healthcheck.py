"""scopebox healthcheck run CONTAINER: run the check now; exit 0 healthy, 1 otherwise."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api

    p = new_parser("healthcheck", "Run a container's healthcheck now.")
    p.add_argument("action", choices=("run",))
    p.add_argument("container")
    ns = p.parse_args(argv)
    code, status = api.healthcheck_run(settings, ns.container)
    if code == 0:
        return 0
    print(status)  # as Podman: "unhealthy", or "starting" inside the start period
    return 1
