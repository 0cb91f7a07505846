"""Pure parser tests on files recorded on the hybrid host (tests/data/cgroupfs/hybrid), on a
pure v2 host (tests/data/cgroupfs/v2, the v2 lane's VM) and on hand-written v1 samples."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cgroupfs.errors import NoCgroupMountsError
from cgroupfs.layout import Mode, cgroup_path, layout_from_mountinfo
from cgroupfs.parse import (
    hierarchy_dir,
    parse_flat_keyed,
    parse_io_stat,
    parse_max,
    parse_mountinfo,
    parse_mountinfo_line,
    parse_nested_keyed,
    parse_pid_list,
    parse_proc_cgroup,
    unescape_mountinfo,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "cgroupfs"
RECORDED = DATA / "hybrid"
V2 = DATA / "v2"
HAND = DATA / "handwritten"
CONTAINER = (  # the recorded container's scope
    "/machine.slice/scopebox-5df187a14aeb91aeeb68f19466fb3f8b036462bc2481ea3ab8ed4d4309c5627f.scope"
)


def text(path: Path) -> str:
    return path.read_text()


# --- mountinfo and layout ---------------------------------------------------------------


def test_recorded_hybrid_mountinfo_gives_hybrid_layout() -> None:
    layout = layout_from_mountinfo(text(RECORDED / "mountinfo"))
    assert layout.mode is Mode.HYBRID
    assert layout.unified is not None
    assert layout.unified.mount_point == "/sys/fs/cgroup/unified"
    controllers = layout.controllers()
    assert controllers["memory"] == "/sys/fs/cgroup/memory"
    assert controllers["freezer"] == "/sys/fs/cgroup/freezer"
    assert controllers["name=systemd"] == "/sys/fs/cgroup/systemd"
    assert {h.key for h in layout.v1} == {
        "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids",
        "name=systemd",
    }  # fmt: skip


def test_recorded_v2_mountinfo_gives_v2_layout() -> None:
    controllers = frozenset(text(V2 / "cgroup.controllers").split())
    assert controllers == {"cpuset", "cpu", "io", "memory", "hugetlb", "pids"}
    layout = layout_from_mountinfo(text(V2 / "mountinfo"), v2_controllers=controllers)
    assert layout.mode is Mode.V2
    assert layout.v1 == ()
    assert layout.unified is not None and layout.unified.mount_point == "/sys/fs/cgroup"
    assert layout.controllers() == {c: "/sys/fs/cgroup" for c in controllers}
    assert layout.hierarchy_of("memory") is layout.unified
    # Its other mounts parse too: the container's overlay, the ext4 store, rootfs at /.
    fstypes = {m.mount_point: m.fstype for m in parse_mountinfo(text(V2 / "mountinfo"))}
    assert fstypes["/var/lib/scopebox"] == "ext4" and fstypes["/"] == "rootfs"
    assert sum(fs == "overlay" for fs in fstypes.values()) == 1


def test_hand_written_v1_mountinfo_with_co_mounted_controllers() -> None:
    layout = layout_from_mountinfo(text(HAND / "mountinfo.v1"))
    assert layout.mode is Mode.V1
    assert layout.unified is None
    controllers = layout.controllers()
    assert controllers["cpu"] == controllers["cpuacct"] == "/sys/fs/cgroup/cpu,cpuacct"
    assert controllers["net_prio"] == "/sys/fs/cgroup/net_cls,net_prio"
    # mount options that are not controllers must not appear as controllers
    assert "xattr" not in controllers and "clone_children" not in controllers
    cpu = layout.hierarchy_of("cpuacct")
    assert cpu is not None and cpu.key == "cpu,cpuacct"


def test_v1_mounted_from_subdirectory_keeps_mount_root() -> None:
    mounts = parse_mountinfo(text(HAND / "mountinfo.v1_in_container"))
    layout = layout_from_mountinfo(text(HAND / "mountinfo.v1_in_container"))
    assert layout.mode is Mode.V1
    memory = layout.hierarchy_of("memory")
    assert memory is not None and memory.mount_root == "/docker/0123abcd"
    escaped = mounts[-1]
    assert escaped.root == "/srv/my data"
    assert escaped.mount_point == "/mnt/with space\\back"


def test_layout_without_cgroup_mounts_raises() -> None:
    only_proc = "22 29 0:21 / /proc rw,nosuid shared:12 - proc proc rw\n"
    with pytest.raises(NoCgroupMountsError):
        layout_from_mountinfo(only_proc)


def test_mounts_outside_root_are_ignored() -> None:
    info = text(RECORDED / "mountinfo")
    with pytest.raises(NoCgroupMountsError):
        layout_from_mountinfo(info, root="/elsewhere")
    # the same mounts seen with unified as the root: only cgroup2 there
    assert layout_from_mountinfo(info, root="/sys/fs/cgroup/unified").mode is Mode.V2


def test_mountinfo_optional_fields() -> None:
    line = "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 shared:2 - ext3 /dev/root rw,errors=continue"
    entry = parse_mountinfo_line(line)
    assert (entry.mount_id, entry.parent_id) == (36, 35)
    assert (entry.root, entry.mount_point, entry.fstype) == ("/mnt1", "/mnt2", "ext3")
    assert entry.source == "/dev/root"
    assert entry.super_options == "rw,errors=continue"


@pytest.mark.parametrize("line", ["", "1 2 3", "a b 0:1 / /x rw - cgroup cgroup rw"])
def test_mountinfo_malformed(line: str) -> None:
    with pytest.raises(ValueError):
        parse_mountinfo_line(line)


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\0"), max_size=40))
def test_unescape_inverts_kernel_escaping(path: str) -> None:
    escaped = "".join(f"\\{ord(c):03o}" if c in " \t\n\\" else c for c in path)
    assert unescape_mountinfo(escaped) == path


# --- /proc/<pid>/cgroup -------------------------------------------------------------------


def test_recorded_proc_cgroup() -> None:
    parsed = parse_proc_cgroup(text(RECORDED / "proc_pid_cgroup"))
    assert parsed[""] == "/"
    assert parsed["memory"].startswith("/process_api/")
    assert parsed["name=systemd"] == "/"
    assert len(parsed) == 10


def test_hand_written_proc_cgroup() -> None:
    v1 = parse_proc_cgroup(text(HAND / "proc_pid_cgroup.v1"))
    assert v1["cpu"] == v1["cpuacct"] == "/machine.slice/libpod-abc.scope"
    assert v1["net_cls"] == "/"
    assert v1["name=systemd"] == "/machine.slice/libpod-abc.scope:with:colons"
    assert "" not in v1



def test_recorded_v2_proc_cgroup() -> None:
    assert parse_proc_cgroup(text(V2 / "proc_pid_cgroup")) == {"": CONTAINER + "/container"}


def test_proc_cgroup_malformed() -> None:
    with pytest.raises(ValueError):
        parse_proc_cgroup("nonsense\n")


# --- flat keyed / nested keyed ------------------------------------------------------------


def test_recorded_v1_memory_stat() -> None:
    stat = parse_flat_keyed(text(RECORDED / "v1_memory.stat"))
    assert stat["rss"] >= 8 << 20  # recorded with an 8 MiB allocation in the cgroup
    assert stat["hierarchical_memory_limit"] == 9223372036854771712
    assert "total_rss" in stat


def test_recorded_v1_oom_control() -> None:
    before = parse_flat_keyed(text(RECORDED / "v1_memory.oom_control"))
    after = parse_flat_keyed(text(RECORDED / "v1_memory.oom_control.after_oom"))
    assert before == {"oom_kill_disable": 0, "under_oom": 0, "oom_kill": 0}
    assert after["oom_kill"] == 1


def test_recorded_cgroup_events() -> None:
    assert parse_flat_keyed(text(RECORDED / "v2_cgroup.events")) == {"populated": 0, "frozen": 0}
    assert parse_flat_keyed(text(V2 / "cgroup.events")) == {"populated": 1, "frozen": 0}
    assert parse_flat_keyed(text(V2 / "cgroup.events.frozen")) == {"populated": 1, "frozen": 1}
    assert parse_max(text(V2 / "cgroup.freeze")) == 0
    assert parse_max(text(V2 / "cgroup.freeze.frozen")) == 1


def test_recorded_v2_memory_files() -> None:
    before = parse_flat_keyed(text(V2 / "memory.events"))
    assert set(before) == {"low", "high", "max", "oom", "oom_kill", "oom_group_kill"}
    assert set(before.values()) == {0}
    # The kill hit the scope's limit (the parent's): here only oom_kill counts, never `oom`.
    after = parse_flat_keyed(text(V2 / "memory.events.after_oom"))
    assert after["oom_kill"] == 1 and after["oom"] == 0
    assert parse_flat_keyed(text(V2 / "memory.events.local.after_oom"))["oom_kill"] == 1
    stat = parse_flat_keyed(text(V2 / "memory.stat"))
    assert stat["anon"] >= 40_000_000  # the shell variable
    assert stat["file"] >= 16 << 20 and stat["inactive_file"] == 16 << 20  # the written file
    current, peak = parse_max(text(V2 / "memory.current")), parse_max(text(V2 / "memory.peak"))
    assert current is not None and peak is not None and current <= peak
    assert parse_max(text(V2 / "memory.max")) == 128 << 20
    assert parse_max(text(V2 / "memory.high")) is None
    # Docker's --memory without --memory-swap: as much swap again as memory.
    assert parse_max(text(V2 / "memory.swap.max")) == 128 << 20


def test_recorded_cgroup_stat_and_cpu_stat() -> None:
    assert parse_flat_keyed(text(RECORDED / "v2_cgroup.stat"))["nr_descendants"] == 0
    assert set(parse_flat_keyed(text(RECORDED / "v2_cpu.stat"))) >= {"usage_usec", "user_usec"}
    assert parse_flat_keyed(text(V2 / "cgroup.stat")) == {
        "nr_descendants": 0,
        "nr_dying_descendants": 0,
    }
    cpu = parse_flat_keyed(text(V2 / "cpu.stat"))
    assert abs(cpu["usage_usec"] - cpu["user_usec"] - cpu["system_usec"]) <= 1  # each rounded
    assert 0 < cpu["nr_throttled"] <= cpu["nr_periods"]  # the busy loop under --cpus 0.5
    assert text(V2 / "cpu.max").split() == ["50000", "100000"]
    assert parse_max(text(V2 / "cpu.weight")) == 20  # --cpu-shares 512
    assert parse_max(text(V2 / "pids.max")) == 64
    assert parse_max(text(V2 / "pids.current")) == 4
    assert parse_flat_keyed(text(V2 / "pids.events")) == {"max": 0}


@pytest.mark.parametrize("bad", ["populated\n", "populated one\n"])
def test_flat_keyed_malformed(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_flat_keyed(bad)


@given(st.dictionaries(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), st.integers(0, 2**64)))
def test_flat_keyed_round_trip(values: dict[str, int]) -> None:
    rendered = "".join(f"{k} {v}\n" for k, v in values.items())
    assert parse_flat_keyed(rendered) == values


def test_recorded_io_stat() -> None:
    stat = parse_io_stat(text(V2 / "io.stat"))
    assert stat == {
        "254:0": {
            "rbytes": 0, "wbytes": 16 << 20, "rios": 0, "wios": 19, "dbytes": 0, "dios": 0,
        }
    }  # fmt: skip


def test_nested_keyed_keeps_max_and_floats() -> None:
    io_max = parse_nested_keyed(text(V2 / "io.max"))
    assert io_max == {"254:0": {"rbps": "2097152", "wbps": "max", "riops": "max", "wiops": "120"}}
    assert parse_flat_keyed(text(V2 / "io.weight")) == {"default": 100}
    for pressure_file in (RECORDED / "v2_cpu.pressure", V2 / "cpu.pressure", V2 / "io.pressure"):
        pressure = parse_nested_keyed(text(pressure_file))
        assert set(pressure) == {"some", "full"}
        assert float(pressure["some"]["avg10"]) >= 0.0
        assert int(pressure["full"]["total"]) >= 0
    assert float(parse_nested_keyed(text(V2 / "cpu.pressure"))["some"]["avg10"]) > 0  # throttled


def test_nested_keyed_malformed() -> None:
    with pytest.raises(ValueError):
        parse_nested_keyed("8:16 rbytes\n")


# --- small files and paths -----------------------------------------------------------------


def test_parse_max_and_pid_list() -> None:
    assert parse_max("max\n") is None
    assert parse_max("4096\n") == 4096
    assert parse_pid_list("30\n4\n30\n") == [4, 30]
    assert parse_pid_list("") == []


def test_recorded_freezer_state() -> None:
    assert text(RECORDED / "v1_freezer.state").strip() == "THAWED"


@pytest.mark.parametrize(
    ("mount_root", "path", "expected"),
    [
        ("/", "/a/b", "/sys/fs/cgroup/memory/a/b"),
        ("/", "/", "/sys/fs/cgroup/memory"),
        ("/docker/x", "/docker/x", "/sys/fs/cgroup/memory"),
        ("/docker/x", "/docker/x/sub", "/sys/fs/cgroup/memory/sub"),
        ("/docker/x", "/docker/xy", "/sys/fs/cgroup/memory/docker/xy"),
    ],
)
def test_hierarchy_dir(mount_root: str, path: str, expected: str) -> None:
    assert hierarchy_dir("/sys/fs/cgroup/memory", mount_root, path) == expected


def test_cgroup_path_validation() -> None:
    assert cgroup_path("/a//b/") == "/a/b"
    assert cgroup_path("/") == "/"
    for bad in ("a/b", "/a/../b", "/a/./b", ""):
        with pytest.raises(ValueError):
            cgroup_path(bad)
