"""Resource usage of a container, read from the kernel's own files (`stats`, `top`).

The numbers come from the container's cgroup (v1 or v2 file names, verbatim) and /proc.
Pure computations (CPU percent, Docker's memory rule, parsers) are separated from the
reading, so they can be tested on recorded files.
"""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass

from cgroupfs.cgroup import Cgroup
from cgroupfs.parse import parse_io_stat, parse_max
from supervisor.errors import StateError
from supervisor.procs import alive
from supervisor.store import ContainerRow

# v1 memory.limit_in_bytes when no limit is set is PAGE_COUNTER_MAX pages (a 2**63 - page).
_V1_UNLIMITED = 1 << 62
# runc's order: BFQ, then CFQ, then the throttle layer (it sees every device).
_V1_BLKIO_FILES = (
    "blkio.bfq.io_service_bytes_recursive",
    "blkio.io_service_bytes_recursive",
    "blkio.throttle.io_service_bytes_recursive",
)


@dataclass(frozen=True)
class Counters:
    """One reading of a cgroup's counters."""

    cpu_ns: int
    mem_usage: int  # without the inactive page cache (Docker's rule)
    mem_limit: int  # the host's memory when no limit is set
    mem_peak: int | None  # None: the kernel has no peak file (v2 before 5.19)
    pids: int
    block_read: int
    block_write: int


@dataclass(frozen=True)
class Stats:
    id: str
    name: str
    running: bool
    taken_ns: int  # time.monotonic_ns() of the reading
    cpu_ns: int
    cpu_percent: float  # since `previous`; 0.0 for a first reading
    avg_cpu_percent: float  # since the container started
    mem_usage: int
    mem_limit: int
    mem_percent: float
    mem_peak: int | None
    pids: int
    block_read: int
    block_write: int


# --- pure ----------------------------------------------------------------------------------


def cpu_percent(prev_cpu_ns: int, prev_taken_ns: int, cpu_ns: int, taken_ns: int) -> float:
    """CPU use between two readings, 100 per busy CPU (Docker's cpuDelta / systemDelta *
    onlineCPUs; the system delta of all CPUs is onlineCPUs times the wall time)."""
    wall = taken_ns - prev_taken_ns
    used = cpu_ns - prev_cpu_ns
    if wall <= 0 or used <= 0:
        return 0.0
    return used / wall * 100.0


def mem_percent(usage: int, limit: int) -> float:
    return usage / limit * 100.0 if limit > 0 else 0.0


def mem_usage_without_cache(usage: int, stat: dict[str, int], v2: bool) -> int:
    """docker/cli `calculateMemUsageUnixNoCache`: usage minus the inactive file cache."""
    inactive = stat.get("inactive_file" if v2 else "total_inactive_file", 0)
    return usage - inactive if inactive < usage else usage


def effective_limit(limit: int | None, host_total: int) -> int:
    """The limit to show: the host's memory when there is none (or it is larger)."""
    if limit is None or limit >= _V1_UNLIMITED or limit > host_total > 0:
        return host_total
    return limit


def parse_meminfo_total(text: str) -> int:
    """MemTotal of /proc/meminfo, in bytes."""
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    raise ValueError("no MemTotal in /proc/meminfo")


def parse_blkio_v1(text: str) -> tuple[int, int] | None:
    """(read, write) bytes summed over devices from a v1 `blkio.*io_service_bytes*` file
    (`MAJ:MIN Read N` lines, then `Total N`); None when it lists no device."""
    read = write = 0
    seen = False
    for line in text.splitlines():
        fields = line.split()
        if len(fields) != 3:
            continue  # the "Total N" line
        seen = True
        op = fields[1].lower()
        if op == "read":
            read += int(fields[2])
        elif op == "write":
            write += int(fields[2])
    return (read, write) if seen else None


def io_stat_totals(text: str) -> tuple[int, int]:
    """(read, write) bytes summed over devices from v2 `io.stat`."""
    devices = parse_io_stat(text).values()
    return sum(d.get("rbytes", 0) for d in devices), sum(d.get("wbytes", 0) for d in devices)


# --- reading -------------------------------------------------------------------------------


def _v2(cg: Cgroup, controller: str) -> bool:
    h = cg.layout.hierarchy_of(controller)
    return h is not None and h.version == 2


def _host_memory() -> int:
    with open("/proc/meminfo") as f:
        return parse_meminfo_total(f.read())


def _read_int(cg: Cgroup, name: str) -> int | None:
    try:
        return parse_max(cg.read(name))
    except FileNotFoundError:
        return None


def _cpu_ns(cg: Cgroup) -> int:
    if _v2(cg, "cpu"):
        return cg.read_flat_keyed("cpu.stat")["usage_usec"] * 1000
    return int(cg.read("cpuacct.usage"))


def _memory(cg: Cgroup) -> tuple[int, int, int | None]:
    v2 = _v2(cg, "memory")
    names = (
        ("memory.current", "memory.max", "memory.peak")
        if v2
        else ("memory.usage_in_bytes", "memory.limit_in_bytes", "memory.max_usage_in_bytes")
    )
    usage = mem_usage_without_cache(int(cg.read(names[0])), cg.read_flat_keyed("memory.stat"), v2)
    return usage, effective_limit(_read_int(cg, names[1]), _host_memory()), _read_int(cg, names[2])


def _block_io(cg: Cgroup) -> tuple[int, int]:
    if _v2(cg, "io"):
        return io_stat_totals(cg.read("io.stat"))
    if cg.layout.hierarchy_of("blkio") is None:
        return 0, 0
    for name in _V1_BLKIO_FILES:
        try:
            found = parse_blkio_v1(cg.read(name))
        except FileNotFoundError:
            continue
        if found is not None:
            return found
    return 0, 0


def _pids(cg: Cgroup) -> int:
    if cg.layout.hierarchy_of("pids") is not None:
        current = _read_int(cg, "pids.current")
        if current is not None:
            return current
    return len(cg.pids(recursive=True))


def read_counters(cg: Cgroup) -> Counters:
    """Read a cgroup's counters; FileNotFoundError if it went away meanwhile."""
    usage, limit, peak = _memory(cg)
    read, write = _block_io(cg)
    return Counters(_cpu_ns(cg), usage, limit, peak, _pids(cg), read, write)


def container_cgroup(row: ContainerRow) -> Cgroup:
    """The cgroup of a running (or paused) container; StateError if it has no process."""
    if not row.status.is_active or not alive(row.pid, row.pid_start):
        raise StateError(f"container {row.name!r} is not running")
    try:
        return Cgroup.of_pid(row.pid)
    except ProcessLookupError as exc:
        raise StateError(f"container {row.name!r} is not running") from exc


def container_stats(row: ContainerRow, previous: Stats | None = None) -> Stats:
    """A reading of a container's usage; `cpu_percent` is measured since `previous`.
    A container that is not running reads as zeros (as `docker stats -a` shows it)."""
    now = time.monotonic_ns()
    try:
        counters = read_counters(container_cgroup(row))
    except (StateError, FileNotFoundError, ProcessLookupError):
        return Stats(row.id, row.name, False, now, 0, 0.0, 0.0, 0, 0, 0.0, None, 0, 0, 0)
    pct = 0.0
    if previous is not None and previous.running and previous.id == row.id:
        pct = cpu_percent(previous.cpu_ns, previous.taken_ns, counters.cpu_ns, now)
    return Stats(
        id=row.id,
        name=row.name,
        running=True,
        taken_ns=now,
        cpu_ns=counters.cpu_ns,
        cpu_percent=pct,
        avg_cpu_percent=_avg_cpu(row, counters.cpu_ns),
        mem_usage=counters.mem_usage,
        mem_limit=counters.mem_limit,
        mem_percent=mem_percent(counters.mem_usage, counters.mem_limit),
        mem_peak=counters.mem_peak,
        pids=counters.pids,
        block_read=counters.block_read,
        block_write=counters.block_write,
    )


def _avg_cpu(row: ContainerRow, cpu_ns: int) -> float:
    from supervisor.timefmt import parse_rfc3339

    started = parse_rfc3339(row.started_at)
    if started is None:
        return 0.0
    return cpu_percent(0, int(started * 1e9), cpu_ns, time.time_ns())


# --- processes (`top`) -----------------------------------------------------------------------


@dataclass(frozen=True)
class ProcStat:
    """The fields of /proc/<pid>/stat that `top` shows (proc(5) numbering in comments)."""

    pid: int
    comm: str  # (2)
    state: str  # (3)
    ppid: int  # (4)
    utime: int  # (14) clock ticks
    stime: int  # (15)
    starttime: int  # (22) clock ticks after boot
    vsize: int  # (23) bytes
    rss: int  # (24) pages
    pgrp: int = 0  # (5)
    tty_nr: int = 0  # (7)
    nice: int = 0  # (19)


@dataclass(frozen=True)
class Process:
    stat: ProcStat
    uid: int
    gid: int
    user: str
    group: str
    args: list[str]  # empty for a zombie
    host_uid: int = -1  # issues 17/19: the ids outside the container's user namespace
    host_gid: int = -1
    ns_pid: int = 0  # the pid, parent pid and process group in the container's pid
    ns_ppid: int = 0  # namespace (`top`'s, as psgo's: 0 for one outside it)
    ns_pgid: int = 0


def parse_proc_stat(text: str) -> ProcStat:
    # comm may hold spaces and parentheses: it ends at the last ')'.
    head, _, rest = text.rpartition(")")
    pid, _, comm = head.partition(" (")
    f = rest.split()
    return ProcStat(
        int(pid), comm, f[0], int(f[1]), int(f[11]), int(f[12]), int(f[19]), int(f[20]),
        int(f[21]), int(f[2]), int(f[4]), int(f[16]),
    )  # fmt: skip


def parse_status_ids(text: str) -> tuple[int, int]:
    """(effective uid, effective gid) from /proc/<pid>/status."""
    ids = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("Uid", "Gid"):
            ids[key] = int(value.split()[1])
    return ids["Uid"], ids["Gid"]


def parse_id_names(text: str) -> dict[int, str]:
    """{id: name} from an /etc/passwd or /etc/group text; malformed lines are skipped."""
    out: dict[int, str] = {}
    for line in text.splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and fields[2].isdigit():
            out.setdefault(int(fields[2]), fields[0])
    return out


def container_processes(row: ContainerRow) -> list[Process]:
    """The processes in the container's cgroup (and below), by pid."""
    cg = container_cgroup(row)
    names = _id_names(row.pid, "passwd"), _id_names(row.pid, "group")
    maps = _id_map(row.pid, "uid_map"), _id_map(row.pid, "gid_map")
    found = []
    for pid in _pid_namespace_members(row.pid) or cg.pids(recursive=True):
        proc = _read_process(pid, names[0], names[1], maps)
        if proc is not None:
            found.append(proc)
    inside = {p.stat.pid: p.ns_pid for p in found}

    def mapped(p: Process, host: int) -> int:
        # the same pid inside as outside: the host's pid namespace (--pid=host)
        return host if p.ns_pid == p.stat.pid else inside.get(host, 0)

    return [dataclasses.replace(p, ns_ppid=mapped(p, p.stat.ppid), ns_pgid=mapped(p, p.stat.pgrp))
            for p in found]  # fmt: skip


def _pid_namespace_members(pid: int) -> list[int]:
    """Rootless (issue 17): a container shares the user's cgroups on a v1/hybrid host (none
    is delegated), so its processes are those of its pid namespace, as Podman's top finds
    them. [] as root, or when the container shares the host's pid namespace."""
    from supervisor.rootless import is_rootless

    if not is_rootless():
        return []
    try:
        ns = os.readlink(f"/proc/{pid}/ns/pid")
        if ns == os.readlink("/proc/self/ns/pid"):
            return []
    except OSError:
        return []
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.readlink(f"/proc/{name}/ns/pid") == ns:
                    found.append(int(name))
            except OSError:
                continue
    return sorted(found)


IdMap = list[tuple[int, int, int]]


def _id_map(pid: int, name: str) -> IdMap:
    """issues 17/19: the container's uid_map as seen from here (inside, outside, count)."""
    try:
        with open(f"/proc/{pid}/{name}", encoding="ascii") as f:
            return [(int(a), int(b), int(c)) for a, b, c in
                    (line.split() for line in f if len(line.split()) == 3)]
    except (OSError, ValueError):
        return []


def inside_id(table: IdMap, outer: int) -> int:
    """The id inside the namespace that is `outer` here (65534, the overflow id, if none)."""
    if not table:
        return outer
    for inner, out, count in table:
        if out <= outer < out + count:
            return inner + outer - out
    return 65534


def _id_names(pid: int, db: str) -> dict[int, str]:
    # Names as the container knows them: its own /etc files, seen through its root.
    try:
        with open(f"/proc/{pid}/root/etc/{db}", encoding="utf-8", errors="replace") as f:
            return parse_id_names(f.read())
    except OSError:
        return {}


def _read_process(pid: int, users: dict[int, str], groups: dict[int, str],
                  maps: tuple[IdMap, IdMap] = ([], [])) -> Process | None:
    base = f"/proc/{pid}"
    try:
        with open(base + "/stat", encoding="utf-8", errors="replace") as f:
            stat = parse_proc_stat(f.read())
        with open(base + "/status", encoding="utf-8", errors="replace") as f:
            status = f.read()
        uid, gid = parse_status_ids(status)
        with open(base + "/cmdline", "rb") as f:
            args = [a.decode(errors="replace") for a in f.read().split(b"\0")[:-1]]
    except (FileNotFoundError, ProcessLookupError):
        return None  # exited while we looked
    host_uid, host_gid = uid, gid
    uid, gid = inside_id(maps[0], uid), inside_id(maps[1], gid)
    return Process(stat, uid, gid, users.get(uid, str(uid)), groups.get(gid, str(gid)), args,
                   host_uid, host_gid, _ns_pid(status, pid))


def _ns_pid(status: str, pid: int) -> int:
    """The last (innermost) pid of /proc/PID/status's NSpid line."""
    for line in status.splitlines():
        if line.startswith("NSpid:"):
            return int(line.split()[-1])
    return pid


def tty_name(tty_nr: int) -> str:
    """/proc/PID/stat's controlling terminal as ps names it; `?` for none."""
    major, minor = (tty_nr >> 8) & 0xFFF, (tty_nr & 0xFF) | ((tty_nr >> 12) & 0xFFF00)
    if 136 <= major <= 143:  # Unix98 pseudo-terminals
        return f"pts/{(major - 136) * 256 + minor}"
    if major == 4:
        return f"tty{minor}" if minor < 64 else f"ttyS{minor - 64}"
    return "?"


def clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK")
