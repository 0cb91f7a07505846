"""scopebox system prune [-a] [-f] [--volumes] [--filter K=V]..."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import confirm
from supervisor.settings import Settings

WARNING = "WARNING! This command removes:\n\t- all stopped containers\n\t- all networks not used by at least one container\n"  # noqa: E501


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("system prune", "Remove unused containers, pods, networks, images and, with"
                   " --volumes, volumes.")  # fmt: skip
    p.add_argument("-a", "--all", action="store_true",
                   help="every unused image, not only dangling ones")  # fmt: skip
    p.add_argument("-f", "--force", action="store_true", help="do not ask for confirmation")
    p.add_argument("--volumes", action="store_true", help="prune volumes too")
    p.add_argument("--filter", action="append", default=[],
                   help="label=K[=V], label!=K[=V], until=TIME")  # fmt: skip
    ns = p.parse_args(argv)
    from supervisor.api import containers, system

    containers.prune_filter(ns.filter)  # a bad filter fails before the question
    what = WARNING
    if ns.volumes:
        what += "\t- all volumes not used by at least one container\n"
    # Podman's words; scopebox has no build cache, so that line is true of nothing
    what += ("\t- all images without at least one container associated with them\n"
             "\t- all build cache\n" if ns.all
             else "\t- all dangling images\n\t- all dangling build cache\n")  # fmt: skip
    if not ns.force and not confirm(what + "\n"):
        return 0
    report = system.prune(settings, ns.all, ns.volumes, ns.filter)
    _section("Deleted Pods", report.pods)  # as Podman's: --filter is not for pods
    _section("Deleted Containers", report.containers)
    _section("Deleted Networks", report.networks)
    _section("Deleted Volumes", report.volumes)
    _section("Deleted Images", report.images)
    from supervisor.sizes import human_size

    print(f"Total reclaimed space: {human_size(report.reclaimed)}")
    return 0


def _section(title: str, removed: list[str]) -> None:
    """Podman's report: a title, then what went, one a line; nothing when nothing went."""
    if removed:
        print(title)
        print("\n".join(removed))
