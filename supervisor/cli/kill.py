"""scopebox kill [-s SIGNAL] [-a] [-l] [--cidfile FILE] CONTAINER..."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_reports
from supervisor.cli.targets import add_target_flags, targets  # helper "flags"
from supervisor.settings import Settings


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


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api
    from supervisor.api.targets import resolve

    p = new_parser("kill", "Send a signal (default SIGKILL) to containers.")
    p.add_argument("-s", "--signal", default="SIGKILL")
    add_target_flags(p, all="signal all running and paused containers", cidfile=True)
    p.add_argument("containers", nargs="*")
    ns = p.parse_args(signal_value_glued(argv))
    api.check_signal(ns.signal)  # a bad signal is the error, before any container is looked up
    refs = resolve(settings, targets(ns, ns.containers), "active")
    return print_reports(api.kill(settings, refs, ns.signal))
