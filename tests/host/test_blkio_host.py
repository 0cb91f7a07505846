"""blkio (issue 19) on the bare host: the per-device throttles of run and update, read back
from the kernel's files (v1 `blkio.throttle.*`, pure v2 `io.max`), on a loop device made for
the test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cgroupfs.blkio import parse_io_max, parse_v1_device_values
from tests.cases import PURE_V2, cgroup_file, container_dirs, unique
from tests.clihelp import Scopebox

pytestmark = pytest.mark.host

V1_FILES = {"rbps": "blkio.throttle.read_bps_device", "wbps": "blkio.throttle.write_bps_device",
            "riops": "blkio.throttle.read_iops_device",
            "wiops": "blkio.throttle.write_iops_device"}  # fmt: skip


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, tuple[int, int]]]:
    """A loop device over a small file: (its path, (major, minor)); detached afterwards."""
    if shutil.which("losetup") is None:
        pytest.skip("blkio host tests: need losetup (util-linux)")
    backing = tmp_path_factory.mktemp("blkio") / "disk.img"
    backing.write_bytes(b"\0" * (4 << 20))
    res = subprocess.run(["losetup", "--find", "--show", str(backing)], capture_output=True,
                         text=True)  # fmt: skip
    if res.returncode != 0:
        pytest.skip(f"blkio host tests: cannot make a loop device: {res.stderr.strip()}")
    path = res.stdout.strip()
    try:
        rdev = os.stat(path).st_rdev
        yield path, (os.major(rdev), os.minor(rdev))
    finally:
        subprocess.run(["losetup", "--detach", path], check=True)


def limits(sb: Scopebox, name: str, dev: tuple[int, int]) -> dict[str, int]:
    """The container's throttles of `dev` as the kernel holds them (absent: no limit)."""
    pid = sb.state(name)["Pid"]
    assert isinstance(pid, int) and pid > 0
    if PURE_V2:
        found = parse_io_max(cgroup_file(pid, "io", "io.max")).get(dev, {})
        return {k: v for k, v in found.items() if v is not None}
    out = {}
    for key, name_ in V1_FILES.items():
        value = parse_v1_device_values(cgroup_file(pid, "blkio", name_)).get(dev)
        if value is not None:
            out[key] = value
    return out


def test_run_and_update_set_the_kernels_throttles(
    sb: Scopebox, loop: tuple[str, tuple[int, int]]
) -> None:
    path, dev = loop
    name = unique("blkio")
    sb("run", "-d", "--name", name, "--device-read-bps", f"{path}:1mb",
       "--device-write-bps", f"{path}:2m", "--device-read-iops", f"{path}:100",
       "--device-write-iops", f"{path}:200", "busybox", "sleep", "1000")  # fmt: skip
    try:
        assert limits(sb, name, dev) == {"rbps": 1 << 20, "wbps": 2 << 20, "riops": 100,
                                         "wiops": 200}  # fmt: skip
        shown = json.loads(sb("inspect", name).stdout)[0]["HostConfig"]
        assert shown["BlkioDeviceReadBps"] == [{"Path": path, "Rate": 1 << 20}]
        assert shown["BlkioDeviceWriteIOps"] == [{"Path": path, "Rate": 200}]
        sb("update", "--device-read-bps", f"{path}:3m", name)
        assert limits(sb, name, dev)["rbps"] == 3 << 20
        # runc's own update writes back the throttles the container was created with
        sb("update", "--memory", "64m", name)
        assert limits(sb, name, dev) == {"rbps": 3 << 20, "wbps": 2 << 20, "riops": 100,
                                         "wiops": 200}  # fmt: skip
        sb("update", "--device-write-iops", f"{path}:0", "--device-read-iops", f"{path}:7", name)
        assert limits(sb, name, dev) == {"rbps": 3 << 20, "wbps": 2 << 20, "riops": 7}
        fmt = "{{json .HostConfig.BlkioDeviceReadBps}} {{json .HostConfig.BlkioDeviceReadIOps}}"
        assert sb("inspect", "--format", fmt, name).stdout.split() == [
            json.dumps([{"Path": path, "Rate": 3 << 20}], separators=(",", ":")),
            json.dumps([{"Path": path, "Rate": 7}], separators=(",", ":")),
        ]
        # the next start gets the updated limits from the stored spec
        sb("stop", "-t", "0", name)
        sb("start", name)
        assert limits(sb, name, dev) == {"rbps": 3 << 20, "wbps": 2 << 20, "riops": 7}
    finally:
        sb("rm", "-f", "-t", "0", name)


def test_bad_devices_are_refused_and_nothing_is_made(
    sb: Scopebox, loop: tuple[str, tuple[int, int]]
) -> None:
    path, _ = loop
    before = container_dirs(sb)
    for flag, value, message in (
        ("--device-read-bps", "/dev/null:1m",
         "could not parse throttle device at /dev/null: not a block device"),
        ("--device-write-iops", "/dev/nosuch-blkio:5",
         "could not parse throttle device at /dev/nosuch-blkio: no such file or directory"),
        ("--device-read-bps", f"{path}:abc", f"invalid rate for device: {path}:abc."),
        ("--device-write-iops", f"{path}:1.5", f"invalid rate for device: {path}:1.5."),
        ("--blkio-weight-device", f"{path}:5", f"invalid weight for device: {path}:5"),
        ("--device-read-bps", "/tmp:1m", "bad format for device path: /tmp:1m"),
    ):  # fmt: skip
        for verb in ("run", "create"):
            res = sb(verb, flag, value, "busybox", "true", check=False)
            assert res.returncode == 125 and res.stderr.count("\n") == 1, (value, res.stderr)
            assert res.stderr.startswith(f"Error: {message}"), (value, res.stderr)
    assert container_dirs(sb) == before


def test_update_refuses_a_bad_device_and_keeps_the_limits(
    sb: Scopebox, loop: tuple[str, tuple[int, int]]
) -> None:
    path, dev = loop
    name = unique("blkio-upd")
    sb("run", "-d", "--name", name, "--device-read-bps", f"{path}:1m", "busybox", "sleep", "1000")
    try:
        for value in ("/dev/null:2m", f"{path}:abc", f"{path}"):
            res = sb("update", "--device-read-bps", value, name, check=False)
            assert res.returncode == 125 and res.stderr.count("\n") == 1, res.stderr
            assert limits(sb, name, dev) == {"rbps": 1 << 20}
        config = json.loads(sb("inspect", name).stdout)[0]["HostConfig"]["BlkioDeviceReadBps"]
        assert config == [{"Path": path, "Rate": 1 << 20}]
    finally:
        sb("rm", "-f", "-t", "0", name)


def test_generate_new_carries_the_devices(
    sb: Scopebox, loop: tuple[str, tuple[int, int]], tmp_path: Path
) -> None:
    path, _ = loop
    name = unique("blkio-gen")
    sb("create", "--name", name, "--device-read-bps", f"{path}:1mb,{path}:2mb",
       "--device-write-iops", f"{path}:9", "busybox", "true")  # fmt: skip
    try:
        unit = sb("generate", "systemd", "--new", name).stdout
        assert f"--device-read-bps={path}:1mb" in unit and f"--device-read-bps={path}:2mb" in unit
        assert f"--device-write-iops={path}:9" in unit and "('" not in unit
    finally:
        sb("rm", name)
