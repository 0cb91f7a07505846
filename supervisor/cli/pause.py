"""scopebox pause CONTAINER..."""

from __future__ import annotations

from supervisor.cli.common import engine, for_each
from supervisor.cli.main import new_parser


def main(argv: list[str]) -> int:
    p = new_parser("pause", "Freeze every process of containers.")
    p.add_argument("containers", nargs="+")
    ns = p.parse_args(argv)
    with engine() as eng:
        return for_each(ns.containers, lambda ref: eng.pause(ref) and None)
