"""scopebox stop [-t SECONDS] CONTAINER..."""

from __future__ import annotations

from supervisor.cli.common import engine, for_each
from supervisor.cli.main import new_parser


def main(argv: list[str]) -> int:
    p = new_parser("stop", "Stop containers: the stop signal, then SIGKILL after the timeout.")
    p.add_argument(
        "-t", "--time", "--timeout", type=int, dest="timeout", help="seconds to wait before killing"
    )
    p.add_argument("containers", nargs="+")
    ns = p.parse_args(argv)
    with engine() as eng:
        return for_each(ns.containers, lambda ref: eng.stop(ref, ns.timeout) and None)
