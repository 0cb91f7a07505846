"""Pure parts of `Layout`/`Cgroup` (no cgroup is touched), inotify on a plain file, and the
import cost of what the monitor imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cgroupfs.cgroup import Cgroup
from cgroupfs.errors import CgroupUnsupportedError
from cgroupfs.events import IN_MODIFY, EventsFileWatch, InotifyWatch, wait_readable
from cgroupfs.layout import CgroupPath, Mode, cgroup_path, layout_from_mountinfo
from tests.cgroupwrite import WritableCgroup

DATA = Path(__file__).resolve().parents[1] / "data" / "cgroupfs"
REPO = Path(__file__).resolve().parents[2]


def hybrid() -> Cgroup:
    layout = layout_from_mountinfo((DATA / "hybrid" / "mountinfo").read_text())
    return Cgroup(layout, cgroup_path("/scopebox/abc"))


def test_cgroup_dirs_cover_every_hierarchy() -> None:
    dirs = {d for _, d in hybrid().dirs()}
    assert "/sys/fs/cgroup/memory/scopebox/abc" in dirs
    assert "/sys/fs/cgroup/unified/scopebox/abc" in dirs
    assert len(dirs) == 10


def test_control_files_route_to_their_controller() -> None:
    cg = hybrid()
    assert (
        cg.file("memory.limit_in_bytes")
        == "/sys/fs/cgroup/memory/scopebox/abc/memory.limit_in_bytes"
    )
    assert cg.file("pids.max") == "/sys/fs/cgroup/pids/scopebox/abc/pids.max"
    assert cg.file("cgroup.procs") == "/sys/fs/cgroup/memory/scopebox/abc/cgroup.procs"
    assert cg.file("cgroup.kill") == "/sys/fs/cgroup/unified/scopebox/abc/cgroup.kill"
    assert cg.file("cgroup.events", "") == "/sys/fs/cgroup/unified/scopebox/abc/cgroup.events"
    with pytest.raises(CgroupUnsupportedError):
        cg.file("io.max")  # no io controller on this hybrid host


def test_restricted_layout_and_child() -> None:
    cg = hybrid()
    only_v2 = Cgroup(cg.layout.restricted(unified=True), cg.path)
    assert [d for _, d in only_v2.dirs()] == ["/sys/fs/cgroup/unified/scopebox/abc"]
    freezer = Cgroup(cg.layout.restricted(["freezer"]), cg.path).child("x")
    assert [d for _, d in freezer.dirs()] == ["/sys/fs/cgroup/freezer/scopebox/abc/x"]
    assert freezer.layout.mode is Mode.HYBRID
    with pytest.raises(ValueError):
        cg.child("a/b")
    with pytest.raises(ValueError):
        Cgroup(cg.layout, CgroupPath("relative"))
    with pytest.raises(ValueError):
        WritableCgroup(cg.layout, cgroup_path("/")).remove()


def test_inotify_watch_reports_modification(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("a")
    with InotifyWatch() as watch:
        wd = watch.add_watch(str(target), IN_MODIFY)
        assert watch.read_events() == []  # never blocks
        assert not wait_readable(watch.fileno(), 0)
        with target.open("a") as f:
            f.write("b")
        assert wait_readable(watch.fileno(), 1.0)
        events = watch.read_events()
        assert events and all(e.wd == wd and e.mask & IN_MODIFY for e in events)
    with pytest.raises(ValueError):
        watch.fileno()


def test_inotify_on_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError), InotifyWatch() as watch:
        watch.add_watch(str(tmp_path / "missing"))


def test_events_file_watch_waits_for_predicate(tmp_path: Path) -> None:
    events = tmp_path / "cgroup.events"
    events.write_text("populated 1\nfrozen 0\n")

    def empty(ev: dict[str, int] | None) -> bool:
        return ev is not None and ev["populated"] == 0

    with EventsFileWatch(str(events)) as watch:
        assert not watch.wait_until(empty, 0.05)
        with events.open("r+") as f:  # rewrite in place, as the kernel's file changes
            f.write("populated 0\nfrozen 0\n")
        assert wait_readable(watch.fileno(), 1.0)
        assert watch.wait_until(empty, 0)
        events.unlink()
        assert watch.read() is None  # a removed cgroup reads as gone, not as an error


MONITOR_FORBIDDEN = {"re", "json", "subprocess", "pathlib", "typing", "asyncio", "enum",
                     "dataclasses", "inspect"}  # fmt: skip


def test_events_module_is_import_light() -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import cgroupfs.events, cgroupfs.errors; "
        "print(' '.join(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, str(REPO)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    loaded = set(out.split())
    assert "cgroupfs.events" in loaded
    assert loaded & MONITOR_FORBIDDEN == set()
    assert "cgroupfs.layout" not in loaded and "cgroupfs.cgroup" not in loaded
