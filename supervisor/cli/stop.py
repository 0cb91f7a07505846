"""scopebox stop [-t SECONDS] [-i] [-a] [-l] [--filter F] [--cidfile FILE] CONTAINER..."""

from __future__ import annotations

from supervisor.cli.output import print_reports
from supervisor.settings import Settings


def quick_args(argv: list[str]) -> tuple[int | None, bool, list[str]] | None:
    """performance (issue 16): `stop [-i] [-t N] NAME...` without argparse: (timeout,
    ignore, names), or None for anything else (the parser decides, errors included)."""
    timeout, ignore, names = None, False, []
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if not arg.startswith("-"):
            names.append(arg)
            continue
        if names:  # flags after the names: argparse's rules, not ours
            return None
        if arg in ("-i", "--ignore"):
            ignore = True
            continue
        key, eq, value = arg.partition("=")
        if key not in ("-t", "--time", "--timeout") or (eq and key == "-t"):
            return None
        if not eq:
            if i >= len(argv):
                return None
            value = argv[i]
            i += 1
        if not (value.isascii() and value.isdigit()):
            return None
        timeout = int(value)
    return (timeout, ignore, names) if names else None


def main(argv: list[str], settings: Settings) -> int:
    quick = quick_args(argv)
    if quick is not None:
        from supervisor.api import quickstop  # not api.containers: every verb's options

        timeout, ignore, names = quick
        return print_reports(quickstop.stop(settings, names, timeout, ignore))
    from supervisor.api import containers as api
    from supervisor.api.targets import resolve
    from supervisor.cli.main import new_parser
    from supervisor.cli.targets import add_target_flags, targets  # helper "flags"

    p = new_parser("stop", "Stop containers: the stop signal, then SIGKILL after the timeout.")
    p.add_argument(
        "-t", "--time", "--timeout", type=int, dest="timeout", help="seconds to wait before killing"
    )
    p.add_argument("-i", "--ignore", action="store_true", help="no such container is no error")
    add_target_flags(p, all="stop all containers", filter=True, cidfile=True)
    p.add_argument("containers", nargs="*")
    ns = p.parse_args(argv)
    # --cidfile keeps the API's own handling: the other selections become refs
    t = targets(ns, ns.containers, ns.ignore)
    refs = resolve(settings, t._replace(cidfiles=[]))
    opts = api.StopOptions(refs, ns.timeout, ns.ignore, ns.cidfile)
    return print_reports(api.stop(settings, opts))
