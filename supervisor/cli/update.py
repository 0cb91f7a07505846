"""scopebox update [flags] CONTAINER..."""

from __future__ import annotations

from supervisor.cli.common import add_resource_flags, resource_options
from supervisor.cli.main import new_parser
from supervisor.cli.output import print_reports
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("update", "Change the resource limits of created or running containers.")
    add_resource_flags(p, "process limit (-1 for unlimited)")
    p.add_argument("containers", nargs="+")
    ns = p.parse_args(argv)
    overrides = resource_options(ns)
    from supervisor.api import containers as api

    return print_reports(api.update(settings, ns.containers, overrides))
