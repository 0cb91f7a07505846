"""scopebox kill [-s SIGNAL] [-a] [-l] [--cidfile FILE] CONTAINER..."""

from __future__ import annotations

from supervisor.cli.output import print_reports
from supervisor.cli.quick import APPEND, BOOL, VALUE, Quick, parse
from supervisor.settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from supervisor.cli.argparser import Parser


def signal_value_glued(argv: list[str]) -> list[str]:
    """`-s -INT`, `-s -1` as Podman (pflag) reads them: the word after -s is its value even
    when it starts with a dash, which argparse would take for an option."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            return out + argv[i:]
        if word in ("-s", "--signal") and i + 1 < len(argv):
            out.append(f"--signal={argv[i + 1]}")
            i += 2
            continue
        out.append(word)
        i += 1
    return out


def parser() -> Parser:
    from supervisor.cli.main import new_parser
    from supervisor.cli.targets import add_target_flags  # helper "flags"

    p = new_parser("kill", "Send a signal (default SIGKILL) to containers.")
    p.add_argument("-s", "--signal", default="SIGKILL")
    add_target_flags(p, all="signal all running and paused containers", cidfile=True)
    p.add_argument("containers", nargs="*")
    return p


# performance (issue 16): the flags `kill` parses without argparse (supervisor.cli.quick)
QUICK = Quick(
    flags={
        "-s": ("signal", VALUE), "--signal": ("signal", VALUE),
        "-a": ("all", BOOL), "--all": ("all", BOOL),
        "-l": ("latest", BOOL), "--latest": ("latest", BOOL),
        "--cidfile": ("cidfile", APPEND),
    },
    defaults={"signal": "SIGKILL", "all": False, "latest": False, "cidfile": [],
              "containers": []},
    positional=("containers", "*"),
)  # fmt: skip


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import quickstop  # not api.containers: every verb's options
    from supervisor.api.targets import resolve
    from supervisor.cli.targets import targets  # helper "flags"

    argv = signal_value_glued(argv)
    ns = parse(argv, QUICK) or parser().parse_args(argv)
    quickstop.check_signal(ns.signal)  # the error before any container is looked up
    refs = resolve(settings, targets(ns, ns.containers), "active")
    return print_reports(quickstop.kill(settings, refs, ns.signal))
