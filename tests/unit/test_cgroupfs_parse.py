"""Pure parser tests on recorded (tests/data/cgroupfs/hybrid) and hand-written samples."""

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
HAND = DATA / "handwritten"


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


def test_hand_written_v2_mountinfo() -> None:
    layout = layout_from_mountinfo(
        text(HAND / "mountinfo.v2"), v2_controllers=frozenset({"memory"})
    )
    assert layout.mode is Mode.V2
    assert layout.v1 == ()
    assert layout.unified is not None and layout.unified.mount_point == "/sys/fs/cgroup"
    assert layout.controllers() == {"memory": "/sys/fs/cgroup"}
    assert layout.hierarchy_of("memory") is layout.unified


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
    v2 = parse_proc_cgroup(text(HAND / "proc_pid_cgroup.v2"))
    assert v2 == {"": "/user.slice/user-1000.slice/user@1000.service/app.slice/podman-12345.scope"}


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


def test_cgroup_events_recorded_and_hand_written() -> None:
    assert parse_flat_keyed(text(RECORDED / "v2_cgroup.events")) == {"populated": 0, "frozen": 0}
    assert parse_flat_keyed(text(HAND / "v2_cgroup.events")) == {"populated": 1, "frozen": 1}


def test_hand_written_v2_memory_files() -> None:
    events = parse_flat_keyed(text(HAND / "v2_memory.events"))
    assert events["oom_kill"] == 2 and events["oom"] == 3 and events["max"] == 1542
    stat = parse_flat_keyed(text(HAND / "v2_memory.stat"))
    assert stat["anon"] == 4546560 and stat["pgmajfault"] == 9


def test_recorded_cgroup_stat_and_cpu_stat() -> None:
    assert parse_flat_keyed(text(RECORDED / "v2_cgroup.stat"))["nr_descendants"] == 0
    assert set(parse_flat_keyed(text(RECORDED / "v2_cpu.stat"))) >= {"usage_usec", "user_usec"}


@pytest.mark.parametrize("bad", ["populated\n", "populated one\n"])
def test_flat_keyed_malformed(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_flat_keyed(bad)


@given(st.dictionaries(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), st.integers(0, 2**64)))
def test_flat_keyed_round_trip(values: dict[str, int]) -> None:
    rendered = "".join(f"{k} {v}\n" for k, v in values.items())
    assert parse_flat_keyed(rendered) == values


def test_hand_written_io_stat() -> None:
    stat = parse_io_stat(text(HAND / "v2_io.stat"))
    assert stat["8:16"]["wbytes"] == 314773504
    assert stat["8:0"]["dios"] == 3021
    assert set(stat) == {"8:16", "8:0"}


def test_nested_keyed_keeps_max_and_floats() -> None:
    io_max = parse_nested_keyed(text(HAND / "v2_io.max"))
    assert io_max == {"8:16": {"rbps": "2097152", "wbps": "max", "riops": "max", "wiops": "120"}}
    pressure = parse_nested_keyed(text(RECORDED / "v2_cpu.pressure"))
    assert set(pressure) == {"some", "full"}
    assert float(pressure["some"]["avg10"]) >= 0.0
    assert int(pressure["full"]["total"]) >= 0


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
