"""Security flags and defaults with real runc, asserted in the kernel: capability sets and the
seccomp mode in /proc/self/status, and what a container may do (tests/data/security/probe.c,
built static here, asks the kernel and prints OK or the errno)."""

from __future__ import annotations

import errno
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from supervisor.security import caps
from tests.clihelp import REPO, Scopebox

pytestmark = pytest.mark.host

PROBE_SOURCE = REPO / "tests/data/security/probe.c"
ALL_HELD = caps.own_bounding()


def _status(sb: Scopebox, *flags: str) -> dict[str, str]:
    out = sb("run", "--rm", *flags, "busybox", "cat", "/proc/self/status").stdout
    return {k: v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def _mask(names: tuple[str, ...] | list[str]) -> int:
    return sum(1 << caps.NUMBERS[n] for n in names)


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("security probes: gcc is not installed (apt-get install gcc libc6-dev)")
    out = tmp_path_factory.mktemp("probe")
    res = subprocess.run(["gcc", "-static", "-O1", "-o", str(out / "probe"), str(PROBE_SOURCE)],
                         capture_output=True, text=True)  # fmt: skip
    if res.returncode != 0:
        pytest.skip(f"security probes: static linking failed (libc6-dev?): {res.stderr[-300:]}")
    return out


def _ask(sb: Scopebox, probe: Path, what: str, *flags: str) -> str:
    res = sb("run", "--rm", "-v", f"{probe}:/t:ro", *flags, "busybox", "/t/probe", what)
    return res.stdout.strip()


EPERM, ENOSYS = str(errno.EPERM), str(errno.ENOSYS)


def test_default_capabilities_seccomp_filter_and_no_new_privs(sb: Scopebox) -> None:
    st = _status(sb)
    assert int(st["CapBnd"], 16) == _mask(caps.DEFAULT)
    assert int(st["CapEff"], 16) == _mask(caps.DEFAULT)
    assert int(st["CapAmb"], 16) == 0 and int(st["CapInh"], 16) == 0
    assert st["Seccomp"] == "2"  # filter mode
    assert st["NoNewPrivs"] == "0"


def test_cap_add_and_cap_drop_in_the_kernel(sb: Scopebox) -> None:
    st = _status(sb, "--cap-add", "net_raw", "--cap-add", "CAP_SYS_PTRACE", "--cap-drop", "chown")
    want = (_mask(caps.DEFAULT) | _mask(["CAP_NET_RAW", "CAP_SYS_PTRACE"])) & ~_mask(["CAP_CHOWN"])
    assert int(st["CapEff"], 16) == want and int(st["CapBnd"], 16) == want
    assert int(_status(sb, "--cap-drop", "all")["CapBnd"], 16) == 0


def test_non_root_user_gets_only_the_added_capabilities(sb: Scopebox) -> None:
    st = _status(sb, "--user", "1000", "--cap-add", "net_raw")
    assert int(st["CapEff"], 16) == int(st["CapAmb"], 16) == _mask(["CAP_NET_RAW"])
    assert int(st["CapBnd"], 16) == _mask(caps.DEFAULT) | _mask(["CAP_NET_RAW"])


def test_privileged_all_caps_no_seccomp_no_masks(sb: Scopebox) -> None:
    st = _status(sb, "--privileged")
    assert int(st["CapEff"], 16) == _mask(ALL_HELD)
    assert st["Seccomp"] == "0"
    script = "grep -c -e ' /proc/keys ' -e ' /proc/sys ' /proc/mounts; grep ' /sys ' /proc/mounts"
    out = sb("run", "--rm", "busybox", "sh", "-c", script).stdout.splitlines()
    assert out[0] == "2" and out[1].split()[3].startswith("ro")  # masked, read-only by default
    out = sb("run", "--rm", "--privileged", "busybox", "sh", "-c",
             script + "; ls /dev | grep -c .", check=False).stdout.splitlines()  # fmt: skip
    assert out[0] == "0"  # nothing masked or read-only
    assert out[1].split()[3].startswith("rw")  # /sys read-write
    assert int(out[-1]) > 10  # the host's devices


def test_seccomp_unconfined_and_no_new_privileges(sb: Scopebox) -> None:
    assert _status(sb, "--security-opt", "seccomp=unconfined")["Seccomp"] == "0"
    assert _status(sb, "--security-opt", "no-new-privileges")["NoNewPrivs"] == "1"


def test_custom_seccomp_profile_file(sb: Scopebox, tmp_path: Path) -> None:
    profile = tmp_path / "deny-mkdir.json"
    profile.write_text(json.dumps({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}],
    }))  # fmt: skip
    res = sb("run", "--rm", "--security-opt", f"seccomp={profile}", "busybox", "mkdir", "/x",
             check=False)  # fmt: skip
    assert res.returncode == 1 and "Permission denied" in res.stderr
    missing = sb("run", "--rm", "--security-opt", "seccomp=/nonexistent.json", "busybox", "true",
                 check=False)  # fmt: skip
    assert missing.returncode == 125 and "/nonexistent.json" in missing.stderr


def test_masked_and_readonly_paths(sb: Scopebox) -> None:
    script = ("cat /proc/kcore | wc -c; ls /sys/firmware | wc -l;"
              " echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo writable || echo ro")
    assert sb("run", "--rm", "busybox", "sh", "-c", script).stdout.split() == ["0", "0", "ro"]
    out = sb("run", "--rm", "--security-opt", "mask=/proc/cpuinfo", "busybox", "sh", "-c",
             "wc -c < /proc/cpuinfo").stdout  # fmt: skip
    assert out.strip() == "0"
    out = sb("run", "--rm", "--security-opt", "unmask=/proc/cpuinfo:/sys/firmware", "busybox",
             "sh", "-c", "ls /sys/firmware | wc -l").stdout  # fmt: skip
    assert int(out) >= 0  # unmasked: the real directory (may be empty in a VM)


def test_what_a_container_cannot_do(sb: Scopebox, probe: Path) -> None:
    """Each refused as in a Podman container (or more strictly: see DIFFERENCES.md)."""
    assert _ask(sb, probe, "fork") == "OK"  # the probe itself works
    assert _ask(sb, probe, "keyctl") == EPERM  # the kernel's keyrings are not namespaced
    assert _ask(sb, probe, "add_key") == EPERM
    assert _ask(sb, probe, "init_module") == EPERM
    assert _ask(sb, probe, "unshare-mount") == EPERM
    assert _ask(sb, probe, "unshare-user") == EPERM  # Podman allows it (userns-in-container)
    assert _ask(sb, probe, "clone3-user") == ENOSYS  # libc falls back to the checked clone
    assert _ask(sb, probe, "mount") == EPERM
    assert _ask(sb, probe, "raw-socket") == EPERM  # no CAP_NET_RAW
    assert _ask(sb, probe, "ptrace-other-user") == EPERM  # no CAP_SYS_PTRACE
    assert _ask(sb, probe, "personality") == EPERM  # ADDR_NO_RANDOMIZE


def test_capabilities_open_what_they_guard(sb: Scopebox, probe: Path) -> None:
    assert _ask(sb, probe, "raw-socket", "--cap-add", "NET_RAW") == "OK"
    assert _ask(sb, probe, "ptrace-other-user", "--cap-add", "SYS_PTRACE") == "OK"
    assert _ask(sb, probe, "unshare-mount", "--cap-add", "SYS_ADMIN") == "OK"
    assert _ask(sb, probe, "mount", "--cap-add", "SYS_ADMIN") == "OK"
    assert _ask(sb, probe, "keyctl", "--security-opt", "seccomp=unconfined") == "OK"


def test_device_node_and_cgroup_rule(sb: Scopebox) -> None:
    out = sb("run", "--rm", "--device", "/dev/null:/dev/mynull:rw", "busybox", "sh", "-c",
             "ls -l /dev/mynull; echo x > /dev/mynull && cat /dev/mynull && echo written").stdout
    assert out.startswith("crw") and "1,   3" in out and "written" in out
    # /dev/loop-control (10:237) is on no runtime's default list: only --device's rule opens it
    if not Path(LOOP_CONTROL).exists():
        pytest.skip("no /dev/loop-control on this host")
    out = sb("run", "--rm", "--device", f"{LOOP_CONTROL}:/dev/lc:r", "busybox", "sh", "-c",
             OPEN_RW.format(dev="/dev/lc")).stdout  # fmt: skip
    assert out.split() == ["r", "no-w"]


LOOP_CONTROL = "/dev/loop-control"
OPEN_RW = ("((exec 3<{dev}) 2>/dev/null && echo r || echo no-r;"
           " (exec 3>{dev}) 2>/dev/null && echo w || echo no-w)")


def test_device_errors_are_one_line(sb: Scopebox) -> None:
    for value, text in (("/dev/nosuch", "stat /dev/nosuch: no such file or directory"),
                        ("/dev/null:/dev/x:rwz", "invalid device mode: rwz"),
                        ("/etc/passwd", "is not a device node")):  # fmt: skip
        res = sb("run", "--rm", "--device", value, "busybox", "true", check=False)
        assert res.returncode == 125, res.stderr
        assert text in res.stderr and res.stderr.count("\n") == 1, res.stderr
    assert sb("ps", "-aq").stdout == ""  # nothing half-made


def test_device_cgroup_rule_flag(sb: Scopebox) -> None:
    if not Path(LOOP_CONTROL).exists():
        pytest.skip("no /dev/loop-control on this host")
    make = "mknod /tmp/lc c 10 237 && " + OPEN_RW.format(dev="/tmp/lc")
    out = sb("run", "--rm", "--cap-add", "mknod", "--device-cgroup-rule", "c 10:237 r",
             "busybox", "sh", "-c", make).stdout  # fmt: skip
    assert out.split() == ["r", "no-w"]
    out = sb("run", "--rm", "--cap-add", "mknod", "busybox", "sh", "-c", make).stdout
    assert out.split() == ["no-r", "no-w"]  # the default rules deny it


def test_inspect_shows_podmans_security_keys(sb: Scopebox) -> None:
    sb("create", "--name", "secinsp", "--cap-add", "net_raw,sys_admin", "--cap-drop", "chown",
       "--security-opt", "no-new-privileges", "--device", "/dev/null:/dev/mynull", "busybox",
       "true")  # fmt: skip
    try:
        doc = sb.inspect("secinsp")
        host = doc["HostConfig"]
        assert isinstance(host, dict)
        assert host["CapAdd"] == ["CAP_SYS_ADMIN"]
        assert host["CapDrop"] == ["CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_MKNOD"]
        assert host["Privileged"] is False
        assert host["SecurityOpt"] == ["no-new-privileges"]
        assert host["Devices"] == [{"PathOnHost": "/dev/null", "PathInContainer": "/dev/mynull",
                                    "CgroupPermissions": ""}]  # fmt: skip
        assert "CAP_SYS_ADMIN" in doc["EffectiveCaps"]  # type: ignore[operator]
        assert doc["BoundingCaps"] == doc["EffectiveCaps"]
    finally:
        sb("rm", "-f", "secinsp")


def test_containers_conf_default_capabilities(sb: Scopebox, tmp_path: Path) -> None:
    conf = tmp_path / "containers.conf"
    conf.write_text('[containers]\ndefault_capabilities = ["CHOWN", "NET_RAW"]\n')
    box = Scopebox({**sb.env, "CONTAINERS_CONF": str(conf)})
    st = _status(box)
    assert int(st["CapEff"], 16) == _mask(["CAP_CHOWN", "CAP_NET_RAW"])
    conf.write_text('[containers]\nseccomp_profile = "unconfined"\n')
    assert _status(box)["Seccomp"] == "0"
