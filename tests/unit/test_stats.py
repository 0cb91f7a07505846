"""`supervisor.stats`: the pure computations, and reading recorded v1 / v2 cgroup files."""

from __future__ import annotations

from pathlib import Path

import pytest

from cgroupfs.cgroup import Cgroup
from cgroupfs.layout import Hierarchy, Layout, Mode, cgroup_path
from cgroupfs.parse import parse_flat_keyed
from supervisor import stats
from supervisor.cli.stats import bytes_size, go_duration, stats_item
from supervisor.cli.top import parse_descriptors
from supervisor.errors import UsageError
from supervisor.timefmt import go_duration as go_duration_exact

DATA = Path(__file__).resolve().parent.parent / "data" / "cgroupfs"
SEC = 1_000_000_000
MIB = 1 << 20
HOST = 8 << 30

# Laid out as the kernel prints v1 blkio.*io_service_bytes* (Documentation/admin-guide/
# cgroup-v1/blkio-controller.rst): per device Read/Write/Sync/Async/Discard/Total, then Total.
V1_BLKIO = """\
8:16 Read 4096
8:16 Write 1048576
8:16 Sync 1052672
8:16 Async 0
8:16 Discard 0
8:16 Total 1052672
253:0 Read 1228800
253:0 Write 0
253:0 Sync 0
253:0 Async 1228800
253:0 Discard 0
253:0 Total 1228800
Total 2281472
"""
PROC_STAT = (
    "4242 (my (odd) cmd) S 4200 4242 4242 0 -1 4194560 120 0 0 0 250 130 0 0 20 0 1 0 "
    "987654 4227072 350 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0"
)


@pytest.mark.parametrize(
    ("cpu_delta", "wall", "expected"),
    [
        (SEC, SEC, 100.0),  # one CPU busy for the whole second
        (2 * SEC, SEC, 200.0),  # two CPUs busy: Docker's scale goes past 100
        (SEC // 4, SEC // 2, 50.0),
        (0, SEC, 0.0),
        (SEC, 0, 0.0),  # two readings at the same instant
        (-SEC, SEC, 0.0),  # a counter that went back (the cgroup was recreated)
    ],
)
def test_cpu_percent(cpu_delta: int, wall: int, expected: float) -> None:
    base_cpu, base_t = 5 * SEC, 1000 * SEC
    got = stats.cpu_percent(base_cpu, base_t, base_cpu + cpu_delta, base_t + wall)
    assert got == pytest.approx(expected)


def test_mem_percent() -> None:
    assert stats.mem_percent(64 * MIB, 256 * MIB) == pytest.approx(25.0)
    assert stats.mem_percent(1, 0) == 0.0


def test_effective_limit() -> None:
    assert stats.effective_limit(256 * MIB, HOST) == 256 * MIB
    assert stats.effective_limit(None, HOST) == HOST  # v2 "max"
    assert stats.effective_limit(9223372036854771712, HOST) == HOST  # v1 "no limit"
    assert stats.effective_limit(HOST * 2, HOST) == HOST


def test_mem_usage_subtracts_inactive_file_cache() -> None:
    v1 = parse_flat_keyed((DATA / "hybrid" / "v1_memory.stat").read_text())
    assert stats.mem_usage_without_cache(9 * MIB, v1, v2=False) == 9 * MIB  # none recorded
    v2 = parse_flat_keyed((DATA / "v2" / "memory.stat").read_text())  # 16 MiB inactive file
    assert stats.mem_usage_without_cache(57970688, v2, v2=True) == 57970688 - (16 << 20)
    # The v1 key is total_inactive_file (hierarchical), never the local inactive_file.
    assert stats.mem_usage_without_cache(100, {"inactive_file": 40}, v2=False) == 100
    assert stats.mem_usage_without_cache(100, {"total_inactive_file": 40}, v2=False) == 60
    assert stats.mem_usage_without_cache(100, {"inactive_file": 400}, v2=True) == 100


def test_block_io_v1_and_v2() -> None:
    assert stats.parse_blkio_v1(V1_BLKIO) == (4096 + 1228800, 1048576)
    assert stats.parse_blkio_v1("Total 0\n") is None  # no device: try the next file
    io = (DATA / "v2" / "io.stat").read_text()
    assert stats.io_stat_totals(io) == (0, 16 << 20)
    two_devices = io + "8:0 rbytes=4096 wbytes=512 rios=1 wios=1 dbytes=0 dios=0\n"
    assert stats.io_stat_totals(two_devices) == (4096, (16 << 20) + 512)


def test_meminfo_total() -> None:
    assert stats.parse_meminfo_total("MemTotal:       16303548 kB\nMemFree: 1 kB\n") == (
        16303548 * 1024
    )
    with pytest.raises(ValueError):
        stats.parse_meminfo_total("MemFree: 1 kB\n")


def _tree(tmp: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_read_counters_v1(tmp_path: Path) -> None:
    hierarchies = tuple(
        Hierarchy(str(tmp_path / c), 1, frozenset({c}))
        for c in ("cpuacct", "memory", "pids", "blkio")
    )
    layout = Layout(Mode.V1, str(tmp_path), hierarchies)
    ctr = "/scopebox/abc"
    _tree(
        tmp_path,
        {
            f"cpuacct{ctr}/cpuacct.usage": "1234567890\n",
            f"memory{ctr}/memory.usage_in_bytes": f"{10 * MIB}\n",
            f"memory{ctr}/memory.limit_in_bytes": f"{256 * MIB}\n",
            f"memory{ctr}/memory.max_usage_in_bytes": f"{12 * MIB}\n",
            f"memory{ctr}/memory.stat": (DATA / "hybrid" / "v1_memory.stat").read_text(),
            f"pids{ctr}/pids.current": "3\n",
            f"blkio{ctr}/blkio.bfq.io_service_bytes_recursive": "Total 0\n",
            f"blkio{ctr}/blkio.throttle.io_service_bytes_recursive": V1_BLKIO,
        },
    )
    got = stats.read_counters(Cgroup(layout, cgroup_path(ctr)))
    assert got == stats.Counters(1234567890, 10 * MIB, 256 * MIB, 12 * MIB, 3, 1232896, 1048576)


def test_read_counters_v2(tmp_path: Path) -> None:
    controllers = frozenset({"cpu", "memory", "pids", "io"})
    layout = Layout(Mode.V2, str(tmp_path), (Hierarchy(str(tmp_path), 2, controllers),))
    _tree(
        tmp_path,
        {
            "c/cpu.stat": "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n",
            "c/memory.current": (DATA / "v2" / "memory.current").read_text(),  # 57970688
            "c/memory.max": "max\n",
            "c/memory.stat": (DATA / "v2" / "memory.stat").read_text(),
            "c/pids.current": "2\n",
            "c/io.stat": (DATA / "v2" / "io.stat").read_text(),
            "c/cgroup.procs": "",
        },
    )
    got = stats.read_counters(Cgroup(layout, cgroup_path("/c")))
    with open("/proc/meminfo") as f:
        host = stats.parse_meminfo_total(f.read())
    assert got.cpu_ns == 2_500_000_000
    assert (got.mem_usage, got.mem_limit, got.mem_peak) == (57970688 - (16 << 20), host, None)
    assert (got.pids, got.block_read, got.block_write) == (2, 0, 16 << 20)


def test_recorded_v2_cpu_stat_parses() -> None:
    text = (DATA / "hybrid" / "v2_cpu.stat").read_text()
    assert parse_flat_keyed(text)["usage_usec"] == 0


def test_proc_parsers() -> None:
    st = stats.parse_proc_stat(PROC_STAT)
    assert (st.pid, st.comm, st.state, st.ppid) == (4242, "my (odd) cmd", "S", 4200)
    assert (st.utime, st.stime, st.starttime, st.vsize, st.rss) == (250, 130, 987654, 4227072, 350)
    status = "Name:\tsleep\nUid:\t0\t1000\t1000\t1000\nGid:\t0\t100\t100\t100\n"
    assert stats.parse_status_ids(status) == (1000, 100)
    passwd = "root:x:0:0:root:/root:/bin/sh\nbad line\nnobody:x:65534:65534::/:/bin/false\n"
    assert stats.parse_id_names(passwd) == {0: "root", 65534: "nobody"}


@pytest.mark.parametrize(
    ("ns", "expected"),
    [(0, "0s"), (1_500_000, "1.5ms"), (999, "999ns"), (2_500, "2.5µs"), (3 * 10**9, "3s"),
     (4_284_788_045, "4.284788045s"), (65 * 10**9, "1m5s"), (7203_500_000_000, "2h0m3.5s"),
     (-2 * 10**9, "-2s")],
)
def test_go_duration(ns: int, expected: str) -> None:
    """Go's time.Duration.String(): Podman's top prints TIME and ELAPSED so (psgo)."""
    assert go_duration_exact(ns) == expected


def test_tty_name() -> None:
    assert stats.tty_name(0) == "?"
    assert stats.tty_name((136 << 8) | 3) == "pts/3"
    assert stats.tty_name((137 << 8) | 1) == "pts/257"
    assert stats.tty_name((4 << 8) | 1) == "tty1"


def test_cli_formats_like_docker_and_podman() -> None:
    assert bytes_size(0) == "0B"
    assert bytes_size(40_900_000) == "39.01MiB"
    assert bytes_size(256 * MIB) == "256MiB"
    assert go_duration(822_277_000) == "822.277ms"
    assert go_duration(61_500_000_000) == "1m1.5s"
    s = stats.Stats("a" * 64, "web", True, 0, SEC, 95.123, 50.0, 64 * MIB, 256 * MIB, 25.0,
                    None, 2, 1000, 2_000_000)  # fmt: skip
    item = stats_item(s)
    assert (item["ID"], item["CPUPerc"], item["MemUsage"], item["MemPerc"]) == (
        "aaaaaaaaaaaa", "95.12%", "67.11MB / 268.4MB", "25.00%",
    )  # fmt: skip
    assert item["MemUsageBytes"] == "64MiB / 256MiB"  # Podman's two: HumanSize, BytesSize
    assert (item["BlockIO"], item["PIDs"], item["NetIO"]) == ("1kB / 2MB", "2", "--")


def test_top_descriptors() -> None:
    podman = ["user", "pid", "ppid", "pcpu", "etime", "tty", "time", "args"]  # psgo's default
    assert parse_descriptors([]) == podman
    assert parse_descriptors(["pid,comm", "etime"]) == ["pid", "comm", "etime"]
    assert parse_descriptors(["-eo", "pid,args"]) == ["pid", "args"]
    assert parse_descriptors(["-ef"]) == podman
    with pytest.raises(UsageError, match="nosuch"):
        parse_descriptors(["pid,nosuch"])
    with pytest.raises(UsageError, match="-x"):
        parse_descriptors(["-x"])
