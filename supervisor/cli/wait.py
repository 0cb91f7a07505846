"""scopebox wait CONTAINER...: print each container's exit code when it exits."""

from __future__ import annotations

from supervisor.cli.common import engine, for_each
from supervisor.cli.main import new_parser


def main(argv: list[str]) -> int:
    p = new_parser("wait", "Block until containers exit, then print their exit codes.")
    p.add_argument("containers", nargs="+")
    ns = p.parse_args(argv)
    with engine() as eng:
        return for_each(ns.containers, eng.wait)
