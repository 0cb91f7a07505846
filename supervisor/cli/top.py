"""scopebox top CONTAINER [DESCRIPTOR...]   (descriptors as Podman's: pid user time args)"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from supervisor.cli.common import engine, print_table
from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings
from supervisor.stats import Process, clock_ticks, container_processes, cpu_time_text, uptime_ticks

DEFAULT_DESCRIPTORS = ["pid", "user", "time", "args"]


@dataclass(frozen=True)
class Clock:
    hz: int  # clock ticks per second
    up: int  # ticks since boot, now
    page_kib: int


# descriptor -> (header, value); headers as `podman top` prints them.
Column = tuple[str, Callable[[Process, Clock], str]]
COLUMNS: dict[str, Column] = {
    "pid": ("PID", lambda p, c: str(p.stat.pid)),
    "ppid": ("PPID", lambda p, c: str(p.stat.ppid)),
    "user": ("USER", lambda p, c: p.user),
    "uid": ("UID", lambda p, c: str(p.uid)),
    "group": ("GROUP", lambda p, c: p.group),
    "gid": ("GID", lambda p, c: str(p.gid)),
    "comm": ("COMMAND", lambda p, c: p.stat.comm),
    "args": ("COMMAND", lambda p, c: " ".join(p.args) or f"[{p.stat.comm}]"),
    "time": ("TIME", lambda p, c: cpu_time_text(p.stat.utime + p.stat.stime, c.hz)),
    "etime": ("ELAPSED", lambda p, c: cpu_time_text(c.up - p.stat.starttime, c.hz)),
    "pcpu": ("%CPU", lambda p, c: _pcpu(p, c.up)),
    "state": ("STATE", lambda p, c: p.stat.state),
    "vsz": ("VSZ", lambda p, c: str(p.stat.vsize // 1024)),
    "rss": ("RSS", lambda p, c: str(p.stat.rss * c.page_kib)),
}
_PS_LIST_OPTIONS = ("-o", "-eo", "-ef", "-e", "-f", "-A")  # Docker-style, ps(1) spelling


def _pcpu(p: Process, up: int) -> str:
    elapsed = up - p.stat.starttime
    used = p.stat.utime + p.stat.stime
    return f"{used / elapsed * 100:.3f}" if elapsed > 0 else "0.000"


def parse_descriptors(args: list[str]) -> list[str]:
    """Podman's AIX-style descriptors (`pid user args`, or `pid,user,args`); `-o`/`-eo`
    lists as ps(1) takes them; `-ef`/`-e`/`-A` alone mean the default columns."""
    out: list[str] = []
    for arg in args:
        if arg.startswith("-"):
            if arg not in _PS_LIST_OPTIONS:
                raise UsageError(f"unsupported ps option {arg!r} (use descriptors: {_known()})")
            continue
        for name in filter(None, arg.split(",")):
            if name not in COLUMNS:
                raise UsageError(f"unknown descriptor {name!r} (known: {_known()})")
            out.append(name)
    return out or DEFAULT_DESCRIPTORS


def _known() -> str:
    return ", ".join(COLUMNS)


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("top", "Display the running processes of a container.")
    p.add_argument("container", metavar="CONTAINER")
    p.add_argument("descriptors", nargs="*", metavar="DESCRIPTOR")
    ns, extra = p.parse_known_args(argv)
    columns = parse_descriptors([*ns.descriptors, *extra])
    with engine(settings) as eng:
        procs = container_processes(eng.find(ns.container))
    hz = clock_ticks()
    clock = Clock(hz, uptime_ticks(hz), os.sysconf("SC_PAGE_SIZE") // 1024)
    keys = [f"C{i}" for i in range(len(columns))]
    header = {k: COLUMNS[c][0] for k, c in zip(keys, columns, strict=True)}
    items = [
        {k: COLUMNS[c][1](proc, clock) for k, c in zip(keys, columns, strict=True)}
        for proc in procs
    ]
    template = "table " + "\t".join("{{." + k + "}}" for k in keys)
    print_table(template, template, header, items)
    return 0
