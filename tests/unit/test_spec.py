"""Pure tests of the OCI runtime config builder's defaults and options."""

from __future__ import annotations

from typing import Any

import pytest

from supervisor.spec import (
    DEFAULT_CAPABILITIES,
    MASKED_PATHS,
    RLIM_INFINITY,
    SYSTEMD_COLLECT_MODE,
    SYSTEMD_TIMEOUT_STOP,
    Mount,
    NetworkMode,
    SpecError,
    SpecOptions,
    Ulimit,
    build_spec,
)

ETC = {
    "/etc/hosts": "/b/hosts",
    "/etc/hostname": "/b/hostname",
    "/etc/resolv.conf": "/b/resolv.conf",
}


def _opts(**kw: Any) -> SpecOptions:
    base: dict[str, Any] = {
        "args": ["/bin/sh", "-c", "true"],
        "rootfs": "/r/merged",
        "cgroups_path": "/scopebox/abc",
        "env": ["PATH=/bin"],
        "hostname": "abc",
        "etc_files": ETC,
        "hard_limits": {"RLIMIT_NOFILE": 20000, "RLIMIT_NPROC": RLIM_INFINITY},
    }
    base.update(kw)
    return SpecOptions(**base)


def _mounts(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["destination"]: m for m in spec["mounts"]}


def _rlimits(spec: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {r["type"]: (r["soft"], r["hard"]) for r in spec["process"]["rlimits"]}


def test_process_defaults() -> None:
    spec = build_spec(_opts(uid=1000, gid=100, additional_gids=[5, 6], cwd="/w"))
    proc = spec["process"]
    assert spec["ociVersion"] == "1.0.2"
    assert proc["args"] == ["/bin/sh", "-c", "true"]
    assert proc["env"] == ["PATH=/bin"]
    assert proc["cwd"] == "/w"
    assert proc["terminal"] is False
    assert proc["user"] == {"uid": 1000, "gid": 100, "umask": 0o022, "additionalGids": [5, 6]}
    assert spec["hostname"] == "abc"
    assert spec["root"] == {"path": "/r/merged", "readonly": False}


def test_capabilities_are_podmans_eleven_without_inheritable_or_ambient() -> None:
    caps = build_spec(_opts())["process"]["capabilities"]
    assert len(DEFAULT_CAPABILITIES) == 11
    assert set(caps) == {"bounding", "effective", "permitted"}
    for kind in ("bounding", "effective", "permitted"):
        assert sorted(caps[kind]) == sorted(DEFAULT_CAPABILITIES)
    assert "CAP_SYS_ADMIN" not in caps["bounding"]
    assert "CAP_NET_RAW" not in caps["bounding"]


def test_default_mounts() -> None:
    mounts = _mounts(build_spec(_opts()))
    assert mounts["/proc"]["type"] == "proc"
    assert mounts["/dev"]["options"] == ["nosuid", "strictatime", "mode=755", "size=65536k"]
    pts = mounts["/dev/pts"]["options"]
    assert {"newinstance", "ptmxmode=0666", "mode=0620", "gid=5"} <= set(pts)
    assert mounts["/dev/shm"]["type"] == "tmpfs"
    assert {"nosuid", "nodev", "noexec", "size=65536k"} <= set(mounts["/dev/shm"]["options"])
    assert mounts["/dev/mqueue"]["type"] == "mqueue"
    assert mounts["/sys"]["type"] == "sysfs"
    assert "ro" in mounts["/sys"]["options"]
    assert mounts["/sys/fs/cgroup"]["type"] == "cgroup"
    assert "ro" in mounts["/sys/fs/cgroup"]["options"]
    for dest, source in ETC.items():
        assert mounts[dest]["source"] == source
        assert mounts[dest]["type"] == "bind"


def test_masked_and_readonly_paths() -> None:
    linux = build_spec(_opts())["linux"]
    assert set(linux["maskedPaths"]) == set(MASKED_PATHS)
    assert "/proc/kcore" in linux["maskedPaths"]
    assert "/sys/firmware" in linux["maskedPaths"]
    assert "/proc/sys" in linux["readonlyPaths"]
    assert "/proc/sysrq-trigger" in linux["readonlyPaths"]


def test_namespaces_by_network_mode() -> None:
    none = build_spec(_opts(network=NetworkMode.NONE))["linux"]["namespaces"]
    assert [n["type"] for n in none] == ["pid", "ipc", "uts", "mount", "network"]
    host_spec = build_spec(_opts(network=NetworkMode.HOST))
    host = host_spec["linux"]["namespaces"]
    assert "network" not in [n["type"] for n in host]
    # A fresh sysfs needs a netns we own; with the host's, bind it recursively read-only.
    sys_mount = _mounts(host_spec)["/sys"]
    assert sys_mount["type"] == "bind"
    assert {"rbind", "rro"} <= set(sys_mount["options"])


def test_resources_devices_and_pids() -> None:
    resources = build_spec(_opts())["linux"]["resources"]
    assert resources["devices"] == [{"allow": False, "access": "rwm"}]
    assert resources["pids"] == {"limit": 2048}
    assert build_spec(_opts(pids_limit=100))["linux"]["resources"]["pids"] == {"limit": 100}
    assert "pids" not in build_spec(_opts(pids_limit=None))["linux"]["resources"]
    assert "pids" not in build_spec(_opts(pids_limit=-1))["linux"]["resources"]


def test_default_rlimits_are_capped_by_the_callers_hard_limits() -> None:
    limits = _rlimits(build_spec(_opts()))
    assert limits["RLIMIT_NOFILE"] == (20000, 20000)
    assert limits["RLIMIT_NPROC"] == (4194304, 4194304)
    high = _rlimits(build_spec(_opts(hard_limits={})))
    assert high["RLIMIT_NOFILE"] == (1048576, 1048576)


def test_explicit_ulimits_override_and_are_checked() -> None:
    limits = _rlimits(build_spec(_opts(ulimits=[Ulimit("nofile", 100, 200)])))
    assert limits["RLIMIT_NOFILE"] == (100, 200)
    limits = _rlimits(build_spec(_opts(ulimits=[Ulimit("core", 0, RLIM_INFINITY)])))
    assert limits["RLIMIT_CORE"] == (0, RLIM_INFINITY)
    with pytest.raises(SpecError, match=r"nofile: hard limit 30000 exceeds .* 20000"):
        build_spec(_opts(ulimits=[Ulimit("nofile", 1, 30000)]))


def test_user_mounts_replace_defaults_at_the_same_destination() -> None:
    shm = Mount("/dev/shm", "tmpfs", "tmpfs", ("size=1g",))
    data = Mount("/data", "/srv/data", "bind", ("rbind", "ro"))
    spec = build_spec(_opts(mounts=[shm, data]))
    dests = [m["destination"] for m in spec["mounts"]]
    assert dests.count("/dev/shm") == 1
    assert _mounts(spec)["/dev/shm"]["options"] == ["size=1g"]
    # Parents before children (Podman's order), so a bind under /dev lands on the new /dev
    # and a volume on /etc does not hide the /etc/hosts bind.
    assert dests.index("/dev") < dests.index("/dev/shm")
    depths = [d.count("/") for d in dests]
    assert depths == sorted(depths)
    assert "/data" in dests
    with pytest.raises(SpecError, match="absolute"):
        build_spec(_opts(mounts=[Mount("rel", "/x", "bind")]))


def test_readonly_rootfs() -> None:
    spec = build_spec(_opts(readonly_rootfs=True))
    assert spec["root"]["readonly"] is True


def test_systemd_annotations() -> None:
    systemd = {"systemd_cgroup": True, "cgroups_path": "machine.slice:scopebox:abc"}
    spec = build_spec(_opts(**systemd, stop_timeout=15, annotations={"a": "b"}))
    annotations = spec["annotations"]
    assert annotations[SYSTEMD_TIMEOUT_STOP] == "uint64 15000000"
    assert annotations[SYSTEMD_COLLECT_MODE] == "'inactive-or-failed'"
    assert annotations["a"] == "b"
    # 0 would mean "wait forever" to systemd: `stop -t 0` must still kill.
    zero = build_spec(_opts(**systemd, stop_timeout=0))
    assert zero["annotations"][SYSTEMD_TIMEOUT_STOP] == "uint64 1"
    assert "annotations" not in build_spec(_opts())


def test_bad_process_options() -> None:
    with pytest.raises(SpecError, match="no command"):
        build_spec(_opts(args=[]))
    with pytest.raises(SpecError, match="absolute"):
        build_spec(_opts(cwd="relative"))


def test_network_mode_from_a_stored_string_and_bad_modes() -> None:
    host = build_spec(_opts(network="host"))
    assert "network" not in [n["type"] for n in host["linux"]["namespaces"]]
    with pytest.raises(SpecError, match="unsupported network mode 'private'"):
        _opts(network="private")
    bridged = build_spec(_opts(network="bridge", netns_path="/run/scopebox/netns/x"))
    assert {"type": "network", "path": "/run/scopebox/netns/x"} in bridged["linux"]["namespaces"]


def test_systemd_cgroups_path_shape() -> None:
    with pytest.raises(SpecError, match="slice:prefix:name"):
        _opts(systemd_cgroup=True, cgroups_path="/scopebox/x")
    ok = build_spec(_opts(systemd_cgroup=True, cgroups_path="machine.slice:scopebox:x"))
    assert ok["linux"]["cgroupsPath"] == "machine.slice:scopebox:x"


def test_limits_become_systemd_properties_named_for_the_layout() -> None:
    from supervisor.spec import SpecOptions, systemd_limits

    res = {
        "memory": {"limit": 1 << 26},
        "cpu": {"quota": 50000, "period": 100000, "shares": 1024},
        "blockIO": {"weight": 500},
    }
    base = {
        "args": ["true"],
        "rootfs": "/r",
        "cgroups_path": "machine.slice:scopebox:x",
        "systemd_cgroup": True,
        "resources": res,
        "pids_limit": 64,
    }
    v1 = systemd_limits(SpecOptions(**base))  # type: ignore[arg-type]
    assert v1 == {
        "MemoryLimit": "uint64 67108864",
        "CPUQuotaPerSecUSec": "uint64 500000",
        "CPUShares": "uint64 1024",
        "TasksMax": "uint64 64",
        "BlockIOWeight": "uint64 500",
    }
    v2 = systemd_limits(SpecOptions(**base, unified=True))  # type: ignore[arg-type]
    assert v2["MemoryMax"] == "uint64 67108864" and v2["IOWeight"] == "uint64 500"
    assert v2["CPUWeight"] == "uint64 39"  # 1 + (1024-2)*9999/262142, as systemd converts
