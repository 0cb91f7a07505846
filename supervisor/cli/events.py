"""scopebox events [--filter K=V]... [--since T] [--until T] [--format F] [--stream=false]
[--no-trunc=false]"""

from __future__ import annotations

import sys
from typing import Any

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api.events import EventsOptions, events

    p = new_parser("events", "Monitor scopebox events.")
    p.add_argument("-f", "--filter", action="append", default=[], help="filter output")
    p.add_argument("--format", help="format the output using a Go template (or json)")
    p.add_argument("--since", help="show all events created since timestamp")
    p.add_argument("--until", help="show all events until timestamp")
    p.add_argument("--stream", action="store_true", default=True,
                   help="stream new events (default true)")
    p.add_argument("--stream=false", dest="stream", action="store_false",
                   help="print past events and exit")
    p.add_argument("--no-trunc", dest="no_trunc", action="store_true", default=True,
                   help="do not truncate the output (default true)")
    p.add_argument("--no-trunc=false", dest="no_trunc", action="store_false",
                   help="shorten ids to 12 characters")
    ns = p.parse_args(argv)
    opts = EventsOptions(filters=ns.filter, since=ns.since, until=ns.until, stream=ns.stream)
    show = _printer(ns.format, trunc=not ns.no_trunc)
    try:
        for ev in events(settings, opts):
            sys.stdout.write(show(ev))
            sys.stdout.flush()
    except KeyboardInterrupt:
        return 0
    return 0


def _printer(fmt: str | None, trunc: bool) -> Any:
    from supervisor.api import events as api

    if fmt is None or fmt == "":
        return lambda ev: api.human_line(ev, trunc=trunc) + "\n"
    from supervisor.format.table import is_json, normalize

    if is_json(fmt):
        return lambda ev: api.json_line(ev) + "\n"
    from supervisor.format import compile

    # Podman's report.Parse(OriginUnknown): `\t` and `\n` unescaped, a newline added, once
    # per event; a struct in Podman: no such field is an error
    template = compile(normalize(fmt), missing_key_error=True)
    return lambda ev: template.execute(api.template_data(ev))
