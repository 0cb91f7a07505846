"""scopebox kill [-s SIGNAL] CONTAINER..."""

from __future__ import annotations

from supervisor.cli.common import engine
from supervisor.cli.main import new_parser


def main(argv: list[str]) -> int:
    p = new_parser("kill", "Send a signal (default SIGKILL) to containers.")
    p.add_argument("-s", "--signal", default="SIGKILL")
    p.add_argument("containers", nargs="+")
    ns = p.parse_args(argv)
    with engine() as eng:
        for ref in ns.containers:
            eng.kill(ref, ns.signal)
            print(ref)
    return 0
