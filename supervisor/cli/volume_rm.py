"""scopebox volume rm [-f] [-a] VOLUME..."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.rm import exit_code
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("volume rm", "Remove volumes.")
    p.add_argument("-f", "--force", action="store_true",
                   help="remove the containers using them first")
    p.add_argument("-a", "--all", action="store_true")
    p.add_argument("-t", "--time", type=int, help="ignored: containers are removed with -f")
    p.add_argument("volumes", nargs="*")
    ns = p.parse_args(argv)
    if not ns.volumes and not ns.all:
        raise UsageError("choose either one or more volumes or all")
    if ns.volumes and ns.all:
        raise UsageError("choose either one or more volumes or all")
    from supervisor.api import volumes as api

    reports = api.remove(settings, ns.volumes, ns.force, ns.all)
    if ns.force:  # Podman's -f: a volume that does not exist is no error (nothing printed)
        from supervisor.errors import NotFoundError

        reports = [r for r in reports if not isinstance(r.err, NotFoundError)]
    return exit_code(reports)
