"""scopebox inspect [--format F] [--type container|image] NAME..."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_inspected
from supervisor.cli.quick import BOOL, VALUE, Quick, parse
from supervisor.errors import UsageError
from supervisor.settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from supervisor.cli.argparser import Parser


def parser() -> Parser:
    p = new_parser("inspect", "Show low-level information on containers or images.")
    p.add_argument("-f", "--format")
    p.add_argument("--type", choices=("container", "image", "all"), default="all")
    p.add_argument("-s", "--size", action="store_true", help="with the containers' sizes")
    p.add_argument("-l", "--latest", action="store_true", help="the newest container")
    p.add_argument("names", nargs="*")
    return p


# performance (issue 16): the flags `inspect` parses without argparse (supervisor.cli.quick)
QUICK = Quick(
    flags={"-f": ("format", VALUE), "--format": ("format", VALUE), "-s": ("size", BOOL),
           "--size": ("size", BOOL), "-l": ("latest", BOOL), "--latest": ("latest", BOOL)},
    defaults={"format": None, "type": "all", "size": False, "latest": False, "names": []},
    positional=("names", "*"),
)  # fmt: skip


def main(argv: list[str], settings: Settings) -> int:
    ns = parse(argv, QUICK) or parser().parse_args(argv)
    from supervisor.api import containers as api

    if ns.latest and ns.names:
        raise UsageError("--latest and arguments cannot be used together")
    if ns.latest:
        ns.names = [api.latest_container(settings)]
    if not ns.names:
        raise UsageError("no names or ids specified")

    return print_inspected(api.inspect(settings, ns.names, ns.type, ns.size), ns.format)

