"""scopebox rename CONTAINER NEW_NAME"""

from __future__ import annotations

from supervisor.cli.common import engine
from supervisor.cli.main import new_parser


def main(argv: list[str]) -> int:
    p = new_parser("rename", "Rename a container.")
    p.add_argument("container")
    p.add_argument("new_name")
    ns = p.parse_args(argv)
    with engine() as eng:
        eng.rename(ns.container, ns.new_name)
    return 0
