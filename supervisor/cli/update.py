"""scopebox update [flags] CONTAINER..."""

from __future__ import annotations

from supervisor.cli.common import add_resource_flags, engine, for_each, resource_options
from supervisor.cli.main import new_parser


def main(argv: list[str]) -> int:
    p = new_parser("update", "Change the resource limits of created or running containers.")
    add_resource_flags(p, "process limit (-1 for unlimited)")
    p.add_argument("containers", nargs="+")
    ns = p.parse_args(argv)
    overrides = resource_options(ns)
    from supervisor.update import update

    with engine() as eng:
        return for_each(ns.containers, lambda ref: update(eng, ref, overrides) and None)
