"""scopebox unpause CONTAINER..."""

from __future__ import annotations

from supervisor.cli.common import engine, for_each
from supervisor.cli.main import new_parser


def main(argv: list[str]) -> int:
    p = new_parser("unpause", "Thaw paused containers.")
    p.add_argument("containers", nargs="+")
    ns = p.parse_args(argv)
    with engine() as eng:
        return for_each(ns.containers, lambda ref: eng.unpause(ref) and None)
