"""scopebox restart [-t SECONDS] [-a] [--running] [-l] [--filter F] [--cidfile F] CONTAINER..."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_reports
from supervisor.cli.targets import add_target_flags, targets  # helper "flags"
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api
    from supervisor.api.targets import resolve

    p = new_parser("restart", "Restart containers.")
    p.add_argument("-t", "--time", "--timeout", type=int, dest="timeout")
    add_target_flags(p, all="restart all containers", filter=True, cidfile=True)
    p.add_argument("--running", action="store_true", help="with --all: only the running ones")
    p.add_argument("containers", nargs="*")
    ns = p.parse_args(argv)
    if ns.running:
        ns.all = True  # Podman 4.3 asks for names here; --running alone means all running
    refs = resolve(settings, targets(ns, ns.containers), "running" if ns.running else "any")
    return print_reports(api.restart(settings, refs, ns.timeout))
