"""cgroupfs against this machine's real hierarchies (root, no systemd).

Every test cgroup is `/scopebox-test-<pid>-<n>` at the root of each hierarchy and is killed
and removed by the `cgroups` fixture, even when the test fails.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest

from cgroupfs.errors import CgroupTimeoutError
from cgroupfs.events import V1OomWatch, V2OomWatch, open_oom_watch, wait_readable
from cgroupfs.layout import Layout, Mode, cgroup_path, detect
from tests.cgroupwrite import WritableCgroup as Cgroup

pytestmark = pytest.mark.host

MakeCgroup = Callable[..., Cgroup]
Spawn = Callable[..., "subprocess.Popen[bytes]"]

# Answers each line on stdin with "pong": a frozen process cannot.
PONG = "import sys\nfor _ in sys.stdin:\n    sys.stdout.write('pong\\n'); sys.stdout.flush()\n"


@pytest.fixture(scope="module")
def layout() -> Layout:
    if os.geteuid() != 0:
        pytest.skip("PREREQUISITE MISSING: cgroupfs host tests need root")
    return detect()


@pytest.fixture
def cgroups(layout: Layout) -> Iterator[MakeCgroup]:
    created: list[Cgroup] = []
    numbers = itertools.count()

    def make(on: Layout | None = None) -> Cgroup:
        path = cgroup_path(f"/scopebox-test-{os.getpid()}-{next(numbers)}")
        cg = Cgroup(on or layout, path)
        created.append(cg)
        return cg.create()

    yield make
    for cg in reversed(created):
        everywhere = Cgroup(layout, cg.path)  # whatever the test restricted it to
        everywhere.kill(timeout=10)
        everywhere.remove(timeout=10)
        assert not everywhere.exists(), f"left behind: {cg.path}"


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(argv: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(argv, **kwargs)  # type: ignore[call-overload]
        procs.append(proc)
        return proc  # type: ignore[no-any-return]

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def proc_cgroup_paths(pid: int) -> set[str]:
    with open(f"/proc/{pid}/cgroup") as f:
        return {line.rstrip("\n").split(":", 2)[2] for line in f}


def proc_state(pid: int) -> str:
    with open(f"/proc/{pid}/status") as f:
        return next(line.split()[1] for line in f if line.startswith("State:"))


def gone_or_zombie(pid: int) -> bool:
    try:
        return proc_state(pid) == "Z"
    except FileNotFoundError:
        return True


def ping(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"ping\n")
    proc.stdin.flush()
    return answered(proc, timeout)


def answered(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    assert proc.stdout is not None
    if not wait_readable(proc.stdout.fileno(), timeout):
        return False
    return os.read(proc.stdout.fileno(), 5) == b"pong\n"


def start_ponger(spawn: Spawn) -> subprocess.Popen[bytes]:
    proc = spawn(
        [sys.executable, "-I", "-S", "-c", PONG],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        bufsize=0,
    )
    assert ping(proc, 10.0)  # it is up and answering before the test starts
    return proc


def test_detect_agrees_with_findmnt(layout: Layout) -> None:
    out = subprocess.run(
        ["findmnt", "-rn", "-t", "cgroup,cgroup2", "-o", "TARGET,FSTYPE"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    mounts = dict(line.split() for line in out.splitlines())
    assert {h.mount_point for h in layout.hierarchies} == set(mounts)
    v1 = [t for t, fs in mounts.items() if fs == "cgroup"]
    if mounts.get("/sys/fs/cgroup") == "cgroup2":
        assert layout.mode is Mode.V2
    elif "cgroup2" in mounts.values():
        assert layout.mode is Mode.HYBRID
    else:
        assert layout.mode is Mode.V1
    assert len(layout.v1) == len(v1)


def test_create_and_remove_in_every_hierarchy(layout: Layout, cgroups: MakeCgroup) -> None:
    cg = cgroups()
    sub = cg.child("sub").create()
    expected = [h.mount_point + cg.path for h in layout.hierarchies]
    assert len(expected) == len(layout.hierarchies) >= 1
    for d in expected:
        assert os.path.isfile(d + "/sub/cgroup.procs"), d
    cg.remove(timeout=5)
    assert not sub.exists()
    for d in expected:
        assert not os.path.exists(d), d


def test_add_pid_moves_process_everywhere(
    layout: Layout, cgroups: MakeCgroup, spawn: Spawn
) -> None:
    cg = cgroups()
    proc = spawn(["sleep", "1000"])
    assert not cg.is_populated()
    cg.add_pid(proc.pid)
    assert proc_cgroup_paths(proc.pid) == {cg.path} or layout.mode is Mode.V2
    assert cg.pids() == [proc.pid]
    assert cg.is_populated()
    assert Cgroup.of_pid(proc.pid, layout).path == cg.path
    assert Cgroup.of_pid(os.getpid(), layout).path != cg.path


def test_empty_watch_fires_when_the_process_dies(
    layout: Layout, cgroups: MakeCgroup, spawn: Spawn
) -> None:
    if layout.unified is None:
        pytest.skip("PREREQUISITE MISSING: no cgroup2 hierarchy")
    cg = cgroups()
    proc = spawn(["sleep", "1000"])
    cg.add_pid(proc.pid)
    with cg.empty_watch() as watch:
        assert not watch.is_empty()
        assert not wait_readable(watch.fileno(), 0)
        started = time.monotonic()
        os.kill(proc.pid, signal.SIGKILL)  # not reaped yet: the kernel still reports exit
        assert wait_readable(watch.fileno(), 1.0)
        assert watch.wait_empty(1.0)
        assert time.monotonic() - started < 1.0
    assert not cg.is_populated()


def test_remove_waits_for_dying_processes(cgroups: MakeCgroup, spawn: Spawn) -> None:
    cg = cgroups()
    sub = cg.child("inner").create()
    procs = [spawn(["sleep", "1000"]) for _ in range(3)]
    for proc in procs:
        sub.add_pid(proc.pid)
    for proc in procs:
        os.kill(proc.pid, signal.SIGKILL)
    cg.remove(timeout=5)  # depth first, waiting on events while the processes exit
    assert not cg.exists()


def test_remove_of_a_busy_cgroup_times_out(cgroups: MakeCgroup, spawn: Spawn) -> None:
    cg = cgroups()
    proc = spawn(["sleep", "1000"])
    cg.add_pid(proc.pid)
    started = time.monotonic()
    with pytest.raises(CgroupTimeoutError) as err:
        cg.remove(timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 3
    assert str(proc.pid) in str(err.value)
    assert cg.exists() and proc.poll() is None


def test_freeze_thaw_v1_freezer(layout: Layout, cgroups: MakeCgroup, spawn: Spawn) -> None:
    freezer = layout.hierarchy_of("freezer")
    if freezer is None or freezer.version != 1:
        pytest.skip("PREREQUISITE MISSING: no v1 freezer hierarchy")
    cg = cgroups()  # the whole layout: the v1 freezer is preferred over cgroup.freeze
    proc = start_ponger(spawn)
    cg.add_pid(proc.pid)
    cg.freeze()
    with open(freezer.dir(cg.path) + "/freezer.state") as f:
        assert f.read().strip() == "FROZEN"
    assert proc_state(proc.pid) == "D"  # the v1 freezer parks tasks uninterruptibly
    assert not ping(proc, 0.3)
    cg.thaw()
    assert answered(proc, 5.0)  # the ping sent while frozen is answered now
    assert ping(proc, 5.0)
    assert not cg.is_frozen()


def test_freeze_thaw_v2_cgroup_freeze(layout: Layout, cgroups: MakeCgroup, spawn: Spawn) -> None:
    if layout.unified is None:
        pytest.skip("PREREQUISITE MISSING: no cgroup2 hierarchy")
    cg = cgroups(layout.restricted(unified=True))
    (v2_dir,) = [d for _, d in cg.dirs()]
    if not os.path.exists(v2_dir + "/cgroup.freeze"):
        pytest.skip("PREREQUISITE MISSING: cgroup.freeze (kernel < 5.2)")
    proc = start_ponger(spawn)
    cg.add_pid(proc.pid)
    cg.freeze()
    with open(v2_dir + "/cgroup.events") as f:
        assert "frozen 1" in f.read().splitlines()
    assert not ping(proc, 0.3)
    cg.thaw()
    assert answered(proc, 5.0)
    with open(v2_dir + "/cgroup.events") as f:
        assert "frozen 0" in f.read().splitlines()


def family_in(cg: Cgroup, spawn: Spawn) -> tuple[subprocess.Popen[bytes], list[int]]:
    """A shell with two children, all in `cg`: the shell forks only once it is inside."""
    shell = spawn(
        ["sh", "-c", "read go; sleep 1000 & sleep 1000 & echo started; wait"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    cg.add_pid(shell.pid)
    assert shell.stdin is not None and shell.stdout is not None
    shell.stdin.write(b"go\n")
    shell.stdin.flush()
    assert shell.stdout.readline() == b"started\n"
    pids = cg.pids(recursive=True)
    assert len(pids) == 3 and shell.pid in pids
    return shell, pids


def test_kill_v1_signals_every_pid(layout: Layout, cgroups: MakeCgroup, spawn: Spawn) -> None:
    if not layout.v1:
        pytest.skip("PREREQUISITE MISSING: no v1 hierarchy")
    v1_only = layout.restricted([min(h.controllers) for h in layout.v1])
    assert v1_only.unified is None  # so no cgroup.kill: the SIGKILL loop does the work
    cg = cgroups(v1_only)
    shell, pids = family_in(cg, spawn)
    cg.kill(timeout=5)
    assert cg.pids(recursive=True) == []
    assert shell.wait(timeout=5) == -signal.SIGKILL
    assert all(gone_or_zombie(pid) for pid in pids)


def test_kill_v1_frozen_cgroup(layout: Layout, cgroups: MakeCgroup, spawn: Spawn) -> None:
    if layout.hierarchy_of("freezer") is None:
        pytest.skip("PREREQUISITE MISSING: no v1 freezer hierarchy")
    cg = cgroups(layout.restricted(["freezer", "memory"]))
    shell, pids = family_in(cg, spawn)
    cg.freeze()
    cg.kill(timeout=5)  # a v1-frozen task acts on SIGKILL only once thawed
    assert shell.wait(timeout=5) == -signal.SIGKILL
    assert cg.pids(recursive=True) == []
    assert all(gone_or_zombie(pid) for pid in pids)


def test_kill_v2_cgroup_kill(layout: Layout, cgroups: MakeCgroup, spawn: Spawn) -> None:
    if layout.unified is None:
        pytest.skip("PREREQUISITE MISSING: no cgroup2 hierarchy")
    cg = cgroups(layout.restricted(unified=True))
    (v2_dir,) = [d for _, d in cg.dirs()]
    if not os.path.exists(v2_dir + "/cgroup.kill"):
        pytest.skip("PREREQUISITE MISSING: cgroup.kill (kernel < 5.14)")
    shell, pids = family_in(cg, spawn)
    cg.kill(timeout=5)
    assert shell.wait(timeout=5) == -signal.SIGKILL
    assert not cg.is_populated()
    assert all(gone_or_zombie(pid) for pid in pids)


def v1_memory_cgroup(layout: Layout, cgroups: MakeCgroup) -> Cgroup:
    memory = layout.hierarchy_of("memory")
    if memory is None or memory.version != 1:
        pytest.skip("PREREQUISITE MISSING: no v1 memory hierarchy")
    if not layout.features.has_v1_oom_events:
        pytest.skip("PREREQUISITE MISSING: v1 memory has no cgroup.event_control")
    return cgroups(layout.restricted(["memory"]))


ALLOCATE_64M = "import sys\nsys.stdin.readline()\nx = b'\\x01' * (64 << 20)\nprint('survived')\n"


def test_v1_oom_kill_is_reported(layout: Layout, cgroups: MakeCgroup, spawn: Spawn) -> None:
    cg = v1_memory_cgroup(layout, cgroups)
    cg.write("memory.limit_in_bytes", str(16 << 20))
    if os.path.exists(cg.file("memory.memsw.limit_in_bytes")):
        cg.write("memory.memsw.limit_in_bytes", str(16 << 20))  # no escape into swap
    proc = spawn(
        [sys.executable, "-I", "-S", "-c", ALLOCATE_64M],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    cg.add_pid(proc.pid)
    watch = open_oom_watch(proc.pid)
    assert isinstance(watch, V1OomWatch)
    with watch:
        assert watch.cgroup_dir == cg.dir_of("memory")
        assert not wait_readable(watch.fileno(), 0)
        assert not watch.consume()
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        proc.stdin.flush()
        assert wait_readable(watch.fileno(), 10.0)
        assert watch.consume()
        assert proc.wait(timeout=10) == -signal.SIGKILL
        assert watch.oom_killed_so_far()
    assert cg.read_flat_keyed("memory.oom_control")["oom_kill"] == 1


def test_oom_watch_stays_quiet_without_oom(
    layout: Layout, cgroups: MakeCgroup, spawn: Spawn
) -> None:
    cg = v1_memory_cgroup(layout, cgroups)
    proc = spawn(["sleep", "1000"])
    cg.add_pid(proc.pid)
    watch = open_oom_watch(proc.pid)
    assert watch is not None
    with watch:
        cg.kill(timeout=5)
        assert proc.wait(timeout=5) == -signal.SIGKILL
        assert not watch.consume()
        cg.remove(timeout=5)
        # the kernel signals the eventfd when the cgroup goes away: that is not an OOM
        assert wait_readable(watch.fileno(), 5.0)
        assert not watch.consume()
        assert not watch.oom_killed_so_far()


def test_open_oom_watch_of_a_missing_process() -> None:
    with pytest.raises(ProcessLookupError):
        open_oom_watch(2**22 + 1)  # above the largest pid_max


@pytest.mark.cgroup_v2
def test_v2_oom_kill_is_reported(layout: Layout, cgroups: MakeCgroup, spawn: Spawn) -> None:
    assert layout.mode is Mode.V2
    cg = cgroups()
    assert os.path.exists(cg.file("memory.max")), "memory controller not enabled for children"
    cg.write("memory.max", str(16 << 20))
    if os.path.exists(cg.file("memory.swap.max")):
        cg.write("memory.swap.max", "0")  # no escape into swap
    proc = spawn(
        [sys.executable, "-I", "-S", "-c", ALLOCATE_64M],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    cg.add_pid(proc.pid)
    watch = open_oom_watch(proc.pid)
    assert isinstance(watch, V2OomWatch)
    with watch:
        assert watch.cgroup_dir == cg.dir_of("memory")
        assert not wait_readable(watch.fileno(), 0)
        assert not watch.consume()
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        proc.stdin.flush()
        assert wait_readable(watch.fileno(), 30.0)
        assert proc.wait(timeout=30) == -signal.SIGKILL
        assert watch.oom_killed_so_far()
    events = cg.read_flat_keyed("memory.events")
    assert events["oom_kill"] == 1 and events["oom"] >= 1, events
