"""scopebox logs [-f] [--tail N] [--since T] [--until T] [-t] CONTAINER"""

from __future__ import annotations

import os

from supervisor.cli.main import new_parser
from supervisor.cli.quick import BOOL, VALUE, Quick, parse
from supervisor.cli.targets import add_target_flags, one  # helper "flags"
from supervisor.errors import UsageError
from supervisor.settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from supervisor.api.containers import LogRecord, LogsOptions
    from supervisor.cli.argparser import Parser

COLOR, RESET = b"\033[37m", b"\033[0m"  # helper "flags": Podman's colour of the first container


def parser() -> Parser:
    p = new_parser("logs", "Show a container's output.")
    p.add_argument("-f", "--follow", action="store_true")
    p.add_argument("-n", "--tail", default="all")
    p.add_argument("--since")
    p.add_argument("--until")
    p.add_argument("-t", "--timestamps", action="store_true")
    # helper "flags": --latest; --names: with several containers, each line begins with the
    # container's name instead of its short id (Podman); --color: Podman's colour for the
    # first one
    add_target_flags(p)
    p.add_argument("--names", action="store_true", help="with several containers: prefix lines"
                   " with names, not ids")
    p.add_argument("--color", action="store_true", help="colour the output")
    p.add_argument("container", nargs="*")
    return p


# performance (issue 16): the flags `logs` parses without argparse (supervisor.cli.quick)
QUICK = Quick(
    flags={
        "-f": ("follow", BOOL), "--follow": ("follow", BOOL), "-n": ("tail", VALUE),
        "--tail": ("tail", VALUE), "--since": ("since", VALUE), "--until": ("until", VALUE),
        "-t": ("timestamps", BOOL), "--timestamps": ("timestamps", BOOL),
        "-l": ("latest", BOOL), "--latest": ("latest", BOOL), "--names": ("names", BOOL),
        "--color": ("color", BOOL),
    },
    defaults={
        "follow": False, "tail": "all", "since": None, "until": None, "timestamps": False,
        "latest": False, "names": False, "color": False, "container": [],
    },
    positional=("container", "*"),
)  # fmt: skip


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api
    from supervisor.timefmt import parse_since

    ns = parse(argv, QUICK) or parser().parse_args(argv)
    refs: list[str] = ns.container
    several = len(refs) > 1
    ns.container = refs[0] if refs else None
    if ns.latest and ns.container:
        raise UsageError("--latest and containers cannot be used together")
    if not several:
        ns.container, _ = one(settings, ns, ns.container, [])
    opts = api.LogsOptions(
        follow=ns.follow,
        tail=api.parse_tail(ns.tail),
        since=parse_since(ns.since) if ns.since else None,
        timestamps=ns.timestamps,
        until=parse_since(ns.until, "--until") if ns.until else None,
    )
    if several:
        return _several(settings, refs, opts, ns.names)
    at_line_start = True
    for rec in api.logs(settings, ns.container, opts):
        data = rec.data
        if opts.timestamps and at_line_start:
            data = rec.timestamp.encode() + b" " + data
        at_line_start = not rec.partial
        if ns.color:  # helper "flags"
            data = COLOR + data.rstrip(b"\n") + RESET + data[len(data.rstrip(b"\n")):]
        os.write(1 if rec.stream == "stdout" else 2, data)
    return 0


def _several(settings: Settings, refs: list[str], opts: LogsOptions, names: bool) -> int:
    """Podman's `logs A B`: each container's records as they come (one reader each, in a
    thread: with --follow they interleave in time), each line after the container's short
    id (or name, --names) and a space."""
    import queue
    import threading

    from supervisor.api import containers as api

    found = api.ids_and_names(settings, refs)  # a missing one is the error, before any output
    out: queue.Queue[tuple[bytes, LogRecord | Exception | None]] = queue.Queue()

    def read(prefix: bytes, ref: str) -> None:
        try:
            for rec in api.logs(settings, ref, opts):
                out.put((prefix, rec))
        except Exception as exc:  # the main thread reports it
            out.put((prefix, exc))
        out.put((prefix, None))

    for cid, name in found:
        prefix = (name if names else cid[:12]).encode() + b" "
        threading.Thread(target=read, args=(prefix, cid), daemon=True).start()
    at_line_start: dict[bytes, bool] = {}
    left, failed = len(found), None
    while left:
        prefix, item = out.get()
        if item is None:
            left -= 1
        elif isinstance(item, Exception):
            failed = failed or item
        else:
            data = item.data
            if at_line_start.get(prefix, True):
                data = prefix + (item.timestamp.encode() + b" " if opts.timestamps else b"") + data
            at_line_start[prefix] = not item.partial
            os.write(1 if item.stream == "stdout" else 2, data)
    if failed is not None:
        raise failed
    return 0
