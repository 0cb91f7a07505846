"""The generated config, run by the real runc on a busybox rootfs, gives what it promises."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from supervisor.spec import (
    DEFAULT_CAPABILITIES,
    DEFAULT_NOFILE,
    SYSTEMD_COLLECT_MODE,
    NetworkMode,
    SpecOptions,
    build_spec,
    caller_hard_limits,
    parse_mount_volume,
    parse_tmpfs,
    parse_ulimit,
)

BUSYBOX = "/bin/busybox"
APPLETS = ("sh", "cat", "id", "hostname", "ls", "wc", "touch", "grep", "head")
CGROUP_PARENT = "scopebox-spec-test"

# Capability numbers from linux/capability.h, for the default set only.
CAP_NUMBERS = {
    "CAP_CHOWN": 0,
    "CAP_DAC_OVERRIDE": 1,
    "CAP_FOWNER": 3,
    "CAP_FSETID": 4,
    "CAP_KILL": 5,
    "CAP_SETGID": 6,
    "CAP_SETUID": 7,
    "CAP_SETPCAP": 8,
    "CAP_NET_BIND_SERVICE": 10,
    "CAP_SYS_CHROOT": 18,
    "CAP_SETFCAP": 31,
}

SCRIPT = """
echo "uid=$(id -u)"
echo "gid=$(id -g)"
echo "groups=$(id -G)"
set -- $(grep CapBnd /proc/self/status); echo "capbnd=$2"
echo "etc_hostname=$(cat /etc/hostname)"
echo "uts_hostname=$(hostname)"
echo "nofile=$(ulimit -n)"
echo "masked_file_bytes=$(cat {masked} | wc -c)"
echo "firmware_entries=$(ls -A /sys/firmware | wc -l)"
echo "netdevs="$(ls /sys/class/net)
echo "nproc=$(ulimit -u)"
echo "touch=$(touch /probe 2>&1)"
echo "volume=$(cat /data/file)"
echo "volume_write=$(touch /data/new 2>&1)"
echo "tmpfs_write=$(touch /run/new 2>&1 && echo ok)"
"""


def _require_host() -> None:
    if os.geteuid() != 0:
        pytest.skip("host test needs root")
    if shutil.which("runc") is None:
        pytest.skip("host test needs runc (apt-get install runc)")
    if not os.path.exists(BUSYBOX):
        pytest.skip(f"host test needs {BUSYBOX} (apt-get install busybox-static)")


def _masked_probe() -> str:
    """A masked /proc file that has content on this host, so empty inside means masked."""
    for path in ("/proc/timer_list", "/proc/keys", "/proc/sched_debug", "/proc/latency_stats"):
        try:
            with open(path, "rb") as f:
                if f.read(1):
                    return path
        except OSError:
            continue
    pytest.skip("no masked /proc file with content on this host")


def _cgroup_mounts() -> list[str]:
    with open("/proc/self/mounts", encoding="utf-8") as f:
        return [line.split()[1] for line in f if line.split()[2] in ("cgroup", "cgroup2")]


def _remove_cgroups(cid: str) -> None:
    for mount in _cgroup_mounts():
        for path in (os.path.join(mount, CGROUP_PARENT, cid), os.path.join(mount, CGROUP_PARENT)):
            try:
                os.rmdir(path)
            except FileNotFoundError:
                pass
            except OSError as exc:  # the parent may still hold another run's cgroup
                if path.endswith(cid):
                    raise AssertionError(f"cgroup {path} left behind: {exc}") from exc


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    _require_host()
    rootfs = tmp_path / "rootfs"
    (rootfs / "bin").mkdir(parents=True)
    shutil.copy2(BUSYBOX, rootfs / "bin" / "busybox")
    for applet in APPLETS:
        (rootfs / "bin" / applet).symlink_to("busybox")
    for name, content in (("hostname", "spec-test-host\n"), ("hosts", "127.0.0.1 localhost\n")):
        (tmp_path / name).write_text(content)
    (tmp_path / "resolv.conf").write_text("nameserver 127.0.0.1\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "file").write_text("from-the-host\n")
    return tmp_path


@pytest.fixture
def container_id() -> str:
    return f"scopebox-spec-{uuid.uuid4().hex[:12]}"


def _run(bundle: Path, cid: str, spec: dict[str, Any]) -> dict[str, str]:
    (bundle / "config.json").write_text(json.dumps(spec))
    runroot = bundle / "runroot"
    runc = ["runc", "--root", str(runroot)]
    try:
        proc = subprocess.run(
            [*runc, "run", "--bundle", str(bundle), cid],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        subprocess.run([*runc, "delete", "--force", cid], capture_output=True, check=False)
        _remove_cgroups(cid)
    assert proc.returncode == 0, proc.stderr
    out: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        key, _, value = line.partition("=")
        out[key] = value.strip()
    return out


@pytest.mark.host
@pytest.mark.parametrize("network", [NetworkMode.NONE, NetworkMode.HOST])  # others: netns files
def test_runc_runs_the_generated_config(
    bundle: Path, container_id: str, network: NetworkMode
) -> None:
    masked = _masked_probe()
    hard = caller_hard_limits()
    opts = SpecOptions(
        args=["/bin/sh", "-c", SCRIPT.replace("{masked}", masked)],
        rootfs=str(bundle / "rootfs"),
        cgroups_path=f"/{CGROUP_PARENT}/{container_id}",
        env=["PATH=/bin"],
        uid=1000,
        gid=1000,
        additional_gids=[2000],
        hostname="spec-test-host",
        readonly_rootfs=True,
        etc_files={
            "/etc/hostname": str(bundle / "hostname"),
            "/etc/hosts": str(bundle / "hosts"),
            "/etc/resolv.conf": str(bundle / "resolv.conf"),
        },
        network=network,
        mounts=[parse_mount_volume(f"{bundle / 'data'}:/data:ro"), parse_tmpfs("/run:mode=1777")],
        ulimits=[parse_ulimit("nproc=100:200")],
        hard_limits=hard,
    )
    out = _run(bundle, container_id, build_spec(opts))

    assert out["uid"] == "1000"
    assert out["gid"] == "1000"
    assert out["groups"].split() == ["1000", "2000"]
    expected_caps = sum(1 << CAP_NUMBERS[c] for c in DEFAULT_CAPABILITIES)
    assert int(out["capbnd"], 16) == expected_caps
    assert out["etc_hostname"] == "spec-test-host"
    assert out["uts_hostname"] == "spec-test-host"
    assert int(out["nofile"]) == min(DEFAULT_NOFILE, hard["RLIMIT_NOFILE"])
    assert out["masked_file_bytes"] == "0"
    assert out["firmware_entries"] == "0"
    assert "Read-only file system" in out["touch"]
    assert int(out["nproc"]) == 100
    assert out["volume"] == "from-the-host"
    assert "Read-only file system" in out["volume_write"]
    assert out["tmpfs_write"] == "ok"
    netdevs = sorted(out["netdevs"].split())
    if network is NetworkMode.NONE:
        assert netdevs == ["lo"]
    else:
        assert netdevs == sorted(os.listdir("/sys/class/net"))


def _systemctl_show(unit: str, *props: str) -> dict[str, str]:
    args = ["systemctl", "show", unit, *(f"--property={p}" for p in props)]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return dict(line.partition("=")[::2] for line in out.splitlines() if line)


@pytest.mark.systemd
def test_systemd_scope_gets_stop_timeout_and_collect_mode(bundle: Path, container_id: str) -> None:
    """`systemctl stop` of the container's scope escalates to SIGKILL after the stop timeout."""
    opts = SpecOptions(
        # Ignores SIGTERM: only systemd's SIGKILL after TimeoutStopSec ends it.
        args=["/bin/sh", "-c", "trap '' TERM; echo started; while :; do sleep 1; done"],
        rootfs=str(bundle / "rootfs"),
        cgroups_path=f"machine.slice:scopebox-spec:{container_id}",
        env=["PATH=/bin"],
        systemd_cgroup=True,
        stop_timeout=1,
        hard_limits=caller_hard_limits(),
    )
    spec = build_spec(opts)
    assert spec["annotations"][SYSTEMD_COLLECT_MODE] == "'inactive-or-failed'"
    (bundle / "config.json").write_text(json.dumps(spec))
    runc = ["runc", "--systemd-cgroup", "--root", str(bundle / "runroot")]
    unit = f"scopebox-spec-{container_id}.scope"
    try:
        with open(bundle / "ctr.log", "wb") as log:  # the container keeps its stdio open
            subprocess.run(
                [*runc, "run", "--detach", "--bundle", str(bundle), container_id],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=60,
                check=True,
            )
        props = _systemctl_show(unit, "TimeoutStopUSec", "CollectMode", "ActiveState")
        assert props == {
            "TimeoutStopUSec": "1s",
            "CollectMode": "inactive-or-failed",
            "ActiveState": "active",
        }
        started = time.monotonic()
        subprocess.run(["systemctl", "stop", unit], check=True, timeout=60)
        elapsed = time.monotonic() - started
        assert 0.9 <= elapsed < 10, elapsed  # systemd's default would wait 90 s
        state = subprocess.run(
            [*runc, "state", container_id], capture_output=True, text=True, check=True
        )
        assert json.loads(state.stdout)["status"] == "stopped"
        # CollectMode: the stopped scope is gone rather than kept as "failed".
        assert _systemctl_show(unit, "LoadState")["LoadState"] == "not-found"
    finally:
        subprocess.run([*runc, "delete", "--force", container_id], capture_output=True)
        subprocess.run(["systemctl", "stop", unit], capture_output=True)
