"""scopebox version [--format F]"""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_json, render_each
from supervisor.cli.quick import VALUE, Quick, parse
from supervisor.settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from supervisor.cli.argparser import Parser


def parser() -> Parser:
    p = new_parser("version", "Show the version of scopebox.")
    p.add_argument("-f", "--format", help="json, or a Go template over Client and Server")
    return p


# performance (issue 16): parsed without argparse (supervisor.cli.quick)
QUICK = Quick(flags={"-f": ("format", VALUE), "--format": ("format", VALUE)},
              defaults={"format": None})  # fmt: skip


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import system

    ns = parse(argv, QUICK) or parser().parse_args(argv)
    report = system.version()
    if ns.format == "json":
        print_json(report.as_dict())
    elif ns.format:
        render_each(ns.format, [report.as_dict()])
    else:
        c = report.client
        # Podman's layout and labels (scripts read `Version:`); Go Version holds Python's.
        print(
            f"Version:      {c.Version}\n"
            f"API Version:  {c.APIVersion}\nGo Version:   {c.GoVersion}\n"
            f"Built:        {c.BuiltTime}\nOS/Arch:      {c.OsArch}"
        )
    return 0
