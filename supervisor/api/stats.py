"""Looking at running containers: resource usage (`stats`) and processes (`top`)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from supervisor.api import session
from supervisor.errors import UsageError
from supervisor.records import NamedTuple
from supervisor.settings import Settings

if TYPE_CHECKING:
    from supervisor.engine import Engine
    from supervisor.stats import Process
    from supervisor.stats import Stats as Stats  # the report type of `stats`
    from supervisor.store import ContainerRow


def stream(
    settings: Settings, refs: list[str], all_: bool, interval: float
) -> Iterator[list[Stats]]:
    """Readings of the containers named (or the running ones, or with `all_` every one), one
    list per `interval`; the first comes after one interval: CPU % needs two readings."""
    from supervisor.rootless import refuse_without_cgroup_v2  # issue 17
    from supervisor.stats import container_stats

    refuse_without_cgroup_v2("stats is not supported in rootless mode without cgroups v2")
    with session(settings) as eng:
        readings: dict[str, Stats] = {}
        while True:
            previous = readings
            rows = _rows(eng, refs, all_)
            readings = {r.id: container_stats(r, previous.get(r.id)) for r in rows}
            if previous or not readings:
                yield list(readings.values())
            time.sleep(interval)


class Reading(NamedTuple):
    """The REST face's stats (issue 18): one container's reading, and the host's CPU time
    and online CPUs at that moment (Docker's clients compute CPU % from both)."""

    stats: Stats
    system_cpu_ns: int
    online_cpus: int
    limit_pids: int | None


def read(settings: Settings, ref: str, previous: Stats | None = None) -> Reading:
    """A reading of the container (zeros when it is not running); `previous` makes its
    `cpu_percent`."""
    from supervisor.stats import container_stats

    with session(settings) as eng:
        row = eng.find(ref)
        stats = container_stats(row, previous)
    pids = row.config.options.resources.pids_limit
    return Reading(stats, _system_cpu_ns(), os.cpu_count() or 1,
                   pids if isinstance(pids, int) and pids > 0 else None)  # fmt: skip


def _system_cpu_ns() -> int:
    """The host's CPU time since boot, all CPUs and states (the first line of /proc/stat)."""
    from supervisor.stats import clock_ticks

    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()[1:]
    except OSError:
        return 0
    return sum(int(v) for v in fields[:8]) * 10**9 // clock_ticks()


def _rows(eng: Engine, refs: list[str], all_: bool) -> list[ContainerRow]:
    from supervisor.api.containers import current_rows

    if refs:
        return [eng.find(ref) for ref in refs]
    return [r for r in current_rows(eng) if all_ or r.status.is_active]


@dataclass(frozen=True)
class TopReport:
    headers: list[str]
    rows: list[list[str]]


def top(settings: Settings, ref: str, descriptors: list[str]) -> TopReport:
    """`top`: the container's processes, one column per descriptor (Podman's)."""
    from supervisor.stats import container_processes

    columns = parse_descriptors(descriptors)
    with session(settings) as eng:
        procs = container_processes(eng.find(ref))
    clock = Clock.now()
    return TopReport(
        [COLUMNS[c][0] for c in columns],
        [[COLUMNS[c][1](proc, clock) for c in columns] for proc in procs],
    )


# Podman's (psgo's) default columns
DEFAULT_DESCRIPTORS = ["user", "pid", "ppid", "pcpu", "etime", "tty", "time", "args"]


@dataclass(frozen=True)
class Clock:
    hz: int  # clock ticks per second
    up: int  # ticks since boot, now
    page_kib: int
    up_ns: int = 0  # nanoseconds since boot, now

    @classmethod
    def now(cls) -> Clock:
        import time

        from supervisor.stats import clock_ticks

        hz, up_ns = clock_ticks(), time.clock_gettime_ns(time.CLOCK_BOOTTIME)
        return cls(hz, up_ns * hz // 1_000_000_000, os.sysconf("SC_PAGE_SIZE") // 1024, up_ns)


# descriptor -> (header, value); headers as `podman top` prints them.
Column = tuple[str, Callable[["Process", Clock], str]]
COLUMNS: dict[str, Column] = {
    "pid": ("PID", lambda p, c: str(p.ns_pid)),  # in the container's pid namespace (psgo's)
    "ppid": ("PPID", lambda p, c: str(p.ns_ppid)),
    "user": ("USER", lambda p, c: p.user),
    "uid": ("UID", lambda p, c: str(p.uid)),
    "group": ("GROUP", lambda p, c: p.group),
    "gid": ("GID", lambda p, c: str(p.gid)),
    "huser": ("HUSER", lambda p, c: _host_name(p.host_uid, "passwd")),  # issues 17/19
    "hgroup": ("HGROUP", lambda p, c: _host_name(p.host_gid, "group")),
    "comm": ("COMMAND", lambda p, c: p.stat.comm),
    # psgo joins /proc/PID/cmdline's NUL-ended words with spaces: a trailing one
    "args": ("COMMAND", lambda p, c: "".join(a + " " for a in p.args) or f"[{p.stat.comm}]"),
    # Go durations, as psgo prints them: the CPU time in whole seconds, the elapsed time
    "time": ("TIME", lambda p, c: _go((p.stat.utime + p.stat.stime) // c.hz * 10**9)),
    "etime": ("ELAPSED", lambda p, c: _go(c.up_ns - p.stat.starttime * 10**9 // c.hz)),
    "tty": ("TTY", lambda p, c: _tty(p.stat.tty_nr)),
    "pgid": ("PGID", lambda p, c: str(p.ns_pgid)),
    "nice": ("NI", lambda p, c: str(p.stat.nice)),
    "hpid": ("HPID", lambda p, c: str(p.stat.pid)),
    "pcpu": ("%CPU", lambda p, c: _pcpu(p, c)),
    "state": ("STATE", lambda p, c: p.stat.state),
    "vsz": ("VSZ", lambda p, c: str(p.stat.vsize // 1024)),
    "rss": ("RSS", lambda p, c: str(p.stat.rss * c.page_kib)),
}
_PS_LIST_OPTIONS = ("-o", "-eo", "-ef", "-e", "-f", "-A")  # Docker-style, ps(1) spelling


def _host_name(hid: int, db: str) -> str:
    """The host's name of an id outside the container (psgo's huser/hgroup), else the id."""
    import grp
    import pwd

    try:
        return pwd.getpwuid(hid).pw_name if db == "passwd" else grp.getgrgid(hid).gr_name
    except KeyError:
        return str(hid)


def _go(ns: int) -> str:
    from supervisor.timefmt import go_duration

    return go_duration(ns)


def _tty(tty_nr: int) -> str:
    from supervisor.stats import tty_name

    return tty_name(tty_nr)


def _pcpu(p: Process, c: Clock) -> str:
    """psgo's: the CPU time in whole seconds over the time since the process started."""
    elapsed = c.up - p.stat.starttime
    used = (p.stat.utime + p.stat.stime) // c.hz * c.hz
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
