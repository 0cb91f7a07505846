"""supervisor/security: capability merging, --security-opt, --device parsing, the seccomp
profile and its rendering (pure)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from supervisor.errors import UsageError
from supervisor.security import caps, config, seccomp
from supervisor.security.config import DeviceNode, SecurityFacts, validate

NULL = DeviceNode("/dev/null", "c", 1, 3, 0o20666)


def _cfg(**kw: Any) -> config.SecurityConfig:
    base: dict[str, Any] = dict(
        cap_add=[], cap_drop=[], privileged=False, devices=[], device_cgroup_rules=[],
        security_opt=[], default_caps=None, seccomp_profile=None, facts=SecurityFacts(),
    )  # fmt: skip
    base.update(kw)
    return validate(**base)


@pytest.mark.parametrize("name", ["net_raw", "NET_RAW", "cap_net_raw", "Cap_Net_Raw"])
def test_names_with_or_without_prefix_any_case(name: str) -> None:
    assert caps.normalise(name) == "CAP_NET_RAW"


def test_unknown_capability_is_podmans_error() -> None:
    with pytest.raises(UsageError, match='"CAP_BOGUS": unknown capability'):
        _cfg(cap_add=["bogus"])


def test_default_set_is_containers_commons_eleven() -> None:
    assert _cfg().bounding() == sorted(caps.DEFAULT)
    assert len(caps.DEFAULT) == 11 and "CAP_NET_RAW" not in caps.DEFAULT


def test_add_and_drop_and_comma_lists() -> None:
    got = _cfg(cap_add=["net_raw,sys_admin"], cap_drop=["CHOWN"]).bounding()
    assert "CAP_NET_RAW" in got and "CAP_SYS_ADMIN" in got and "CAP_CHOWN" not in got


def test_add_and_drop_of_one_name_is_refused() -> None:
    with pytest.raises(UsageError, match='"CAP_CHOWN" cannot be dropped and added'):
        _cfg(cap_add=["chown"], cap_drop=["chown"])


def test_all_means_the_engines_own_bounding_set() -> None:
    mine = ("CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN")
    facts = SecurityFacts(bounding=mine)
    assert _cfg(cap_add=["all"], facts=facts).bounding() == sorted(mine)
    assert _cfg(cap_add=["all"], cap_drop=["kill"], facts=facts).bounding() == [
        "CAP_CHOWN", "CAP_SYS_ADMIN"]  # fmt: skip
    assert _cfg(cap_drop=["all"]).bounding() == []
    assert _cfg(cap_drop=["all"], cap_add=["kill"]).bounding() == ["CAP_KILL"]
    assert _cfg(privileged=True, facts=facts).bounding() == sorted(mine)


def test_containers_conf_default_capabilities_replace_the_default() -> None:
    assert _cfg(default_caps=["CHOWN", "net_raw"]).bounding() == ["CAP_CHOWN", "CAP_NET_RAW"]


def test_non_root_user_runs_with_only_the_added_capabilities() -> None:
    cfg = _cfg(cap_add=["net_raw"])
    root = cfg.process_caps("")
    assert root.effective == root.bounding and not root.ambient
    user = cfg.process_caps("1000:1000")
    assert user.effective == user.ambient == user.inheritable == ("CAP_NET_RAW",)
    assert "CAP_CHOWN" in user.bounding
    assert cfg.process_caps("root").effective == root.effective
    assert _cfg().process_caps("nobody").to_oci()["effective"] == []


def test_inspect_compares_with_podmans_compiled_default() -> None:
    fields = config.inspect_fields(_cfg(cap_add=["net_raw", "sys_admin"], cap_drop=["chown"]), "")
    assert fields["HostConfig"]["CapAdd"] == ["CAP_SYS_ADMIN"]
    assert fields["HostConfig"]["CapDrop"] == ["CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_MKNOD"]
    none = config.inspect_fields(_cfg(cap_drop=["all"]), "")
    assert none["EffectiveCaps"] is None and none["BoundingCaps"] is None
    priv = config.inspect_fields(
        _cfg(privileged=True, facts=SecurityFacts(bounding=caps.bounding_of(0x1FFFEFFFFFF))), ""
    )
    assert priv["HostConfig"]["CapDrop"] == ["CAP_SYS_RESOURCE"]
    assert priv["HostConfig"]["Privileged"] is True


@pytest.mark.parametrize(
    ("opts", "shown"),
    [
        (["no-new-privileges"], ["no-new-privileges"]),
        (["no-new-privileges=true"], ["no-new-privileges"]),
        (["no-new-privileges=false"], []),
        (["seccomp=unconfined", "label=disable"], ["label=disable", "seccomp=unconfined"]),
        (["apparmor=unconfined"], ["apparmor=unconfined"]),
        (["mask=/proc/cpuinfo", "unmask=ALL", "systempaths=unconfined", "proc-opts=hidepid=2"],
         []),
    ],
)
def test_security_opts_accepted_and_shown_as_podman(opts: list[str], shown: list[str]) -> None:
    assert list(_cfg(security_opt=opts).security_opt) == shown


@pytest.mark.parametrize(
    ("opt", "message"),
    [
        ("foo", "expected KEY=VALUE"),
        ("foo=bar", "unknown option 'foo'"),
        ("seccomp", "expected KEY=VALUE"),
        ("no-new-privileges=maybe", "expected true or false"),
        ("systempaths=foo", "only `unconfined`"),
        ("apparmor=myprof", "AppArmor is not enabled"),
        ("mask=relative", "not an absolute path"),
        ("seccomp=/nonexistent.json", "was not read"),
    ],
)
def test_bad_security_opts_are_one_line(opt: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        _cfg(security_opt=[opt])


def test_masked_and_readonly_paths() -> None:
    masked, readonly = config.masked_and_readonly(_cfg())
    assert "/proc/kcore" in masked and "/sys/firmware" in masked and "/proc/sys" in readonly
    masked, readonly = config.masked_and_readonly(
        _cfg(security_opt=["mask=/proc/cpuinfo:/proc/meminfo", "unmask=/proc/kcore:/proc/sys"])
    )
    assert "/proc/cpuinfo" in masked and "/proc/kcore" not in masked
    assert "/proc/sys" not in readonly and "/proc/irq" in readonly
    assert config.masked_and_readonly(_cfg(security_opt=["unmask=ALL"])) == ((), ())
    assert config.masked_and_readonly(_cfg(security_opt=["systempaths=unconfined"])) == ((), ())
    assert config.masked_and_readonly(_cfg(privileged=True)) == ((), ())


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("/dev/null", ("/dev/null", "/dev/null", "rwm")),
        ("/dev/null:r", ("/dev/null", "/dev/null", "r")),
        ("/dev/null:/dev/x", ("/dev/null", "/dev/x", "rwm")),
        ("/dev/null:/dev/x:rw", ("/dev/null", "/dev/x", "rw")),
    ],
)
def test_device_syntax(value: str, want: tuple[str, str, str]) -> None:
    assert config.split_device(value) == want


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("/dev/null:/dev/x:rwz", "invalid device mode: rwz"),
        ("/dev/null:rel", "invalid device mode: rel"),
        ("/dev/null:/dev/x:", "invalid device mode: "),
        ("/dev/null::rw", "container path must be absolute"),
        ("/a:/b:rw:x", "invalid device specification"),
        ("relative", "stat relative: no such file or directory"),
    ],
)
def test_bad_device_syntax(value: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        config.split_device(value)


def test_device_becomes_a_node_and_a_cgroup_rule() -> None:
    facts = SecurityFacts(devices={"/dev/null": (NULL,)})
    cfg = _cfg(devices=["/dev/null:/dev/mynull:rw"], facts=facts)
    sec = config.spec_security(cfg, "", None)
    assert sec.devices[0]["path"] == "/dev/mynull" and sec.devices[0]["major"] == 1
    assert {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rw"} in sec.device_rules
    fields = config.inspect_fields(cfg, "")["HostConfig"]["Devices"]
    assert fields == [{"PathOnHost": "/dev/null", "PathInContainer": "/dev/mynull",
                       "CgroupPermissions": ""}]  # fmt: skip


def test_missing_device_is_the_gathered_error() -> None:
    facts = SecurityFacts(devices={"/dev/nosuch": "stat /dev/nosuch: no such file or directory"})
    with pytest.raises(UsageError, match="stat /dev/nosuch: no such file or directory"):
        _cfg(devices=["/dev/nosuch"], facts=facts)


@pytest.mark.parametrize(
    ("rule", "oci"),
    [
        ("c 1:3 rwm", {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"}),
        ("c *:* m", {"allow": True, "type": "c", "access": "m"}),
        ("b 8:* r", {"allow": True, "type": "b", "major": 8, "access": "r"}),
        ("a 7 rmw", {"allow": True, "type": "a", "major": 7, "access": "rmw"}),  # any minor
        ("c 1:3 rwmr", {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"}),
    ],
)
def test_device_cgroup_rules(rule: str, oci: dict[str, Any]) -> None:
    assert config.parse_device_rule(rule).to_oci() == oci


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("bogus", "requires type, major:Minor, and access"),
        ("x 1:3 rwm", "invalid device type in device-access-add: x"),
        ("c  1:3 rwm", "requires type, major:Minor, and access"),  # Podman splits on " "
        ("c 1: rwm", 'strconv.ParseUint: parsing "": invalid syntax'),
        ("c a:1 rwm", 'strconv.ParseUint: parsing "a": invalid syntax'),
        ("c 1:3 rwx", "invalid device access in device-access-add: x"),
    ],
)
def test_bad_device_cgroup_rules(rule: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        config.parse_device_rule(rule)


# seccomp -------------------------------------------------------------------------------------


def _rules_for(rendered: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [r for r in rendered["syscalls"] if name in r["names"]]


def test_default_profile_is_an_allow_list_with_eperm() -> None:
    prof = seccomp.default_profile()
    out = seccomp.render(prof, caps.DEFAULT, arch="amd64", kernel=(6, 1))
    assert out["defaultAction"] == "SCMP_ACT_ERRNO" and out["defaultErrnoRet"] == 1
    assert out["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    allowed = {n for r in out["syscalls"] if r["action"] == "SCMP_ACT_ALLOW" and "args" not in r
               for n in r["names"]}  # fmt: skip
    assert {"read", "write", "execve", "openat", "ptrace", "arch_prctl"} <= allowed
    for denied in ("keyctl", "add_key", "request_key", "init_module", "unshare", "mount",
                   "setns", "kexec_load", "bpf", "open_by_handle_at", "reboot", "io_uring_setup"):
        assert denied not in allowed, denied


def test_capability_conditional_rules() -> None:
    prof = seccomp.default_profile()
    admin = seccomp.render(prof, [*caps.DEFAULT, "CAP_SYS_ADMIN"], arch="amd64", kernel=(6, 1))
    plain = seccomp.render(prof, caps.DEFAULT, arch="amd64", kernel=(6, 1))
    assert _rules_for(admin, "mount") and not _rules_for(plain, "mount")
    # clone: without CAP_SYS_ADMIN only without namespace flags; clone3 gets ENOSYS
    (clone,) = _rules_for(plain, "clone")
    assert clone["args"] == [{"index": 0, "value": 0x7E020000, "op": "SCMP_CMP_MASKED_EQ"}]
    (clone3,) = _rules_for(plain, "clone3")
    assert clone3["action"] == "SCMP_ACT_ERRNO" and clone3["errnoRet"] == 38
    assert all("args" not in r for r in _rules_for(admin, "clone"))
    module = seccomp.render(prof, ["CAP_SYS_MODULE"], arch="amd64", kernel=(6, 1))
    assert _rules_for(module, "init_module") and not _rules_for(plain, "init_module")
    (audit,) = [r for r in _rules_for(plain, "socket") if r["action"] == "SCMP_ACT_ERRNO"]
    assert audit["errnoRet"] == 22
    audited = seccomp.render(prof, ["CAP_AUDIT_WRITE"], arch="amd64", kernel=(6, 1))
    assert all(r["action"] == "SCMP_ACT_ALLOW" for r in _rules_for(audited, "socket"))


def test_architecture_specific_rules() -> None:
    prof = seccomp.default_profile()
    arm = seccomp.render(prof, caps.DEFAULT, arch="arm64", kernel=(6, 1))
    assert arm["architectures"] == ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]
    assert not _rules_for(arm, "arch_prctl") and _rules_for(arm, "set_tls")
    s390 = seccomp.render(prof, caps.DEFAULT, arch="s390x", kernel=(6, 1))
    (clone,) = _rules_for(s390, "clone")
    assert clone["args"][0]["index"] == 1


def test_personality_only_known_values() -> None:
    out = seccomp.render(seccomp.default_profile(), caps.DEFAULT, arch="amd64", kernel=(6, 1))
    values = sorted(r["args"][0]["value"] for r in _rules_for(out, "personality"))
    assert values == [0, 8, 0x20000, 0x20008, 0xFFFFFFFF]


def test_no_name_is_allowed_twice_unconditionally() -> None:
    out = seccomp.render(seccomp.default_profile(), list(caps.CAPABILITIES), arch="amd64",
                         kernel=(6, 1))  # fmt: skip
    plain = [n for r in out["syscalls"] if "args" not in r and r["action"] == "SCMP_ACT_ALLOW"
             for n in r["names"]]  # fmt: skip
    assert len(plain) == len(set(plain))


def test_user_profile_in_docker_format_with_min_kernel(tmp_path: Any) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64"],
        "syscalls": [
            {"name": "mkdir", "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
            {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "includes": {"minKernel": "99.0"}},
        ],
    }))  # fmt: skip
    out = seccomp.render(seccomp.load(str(path)), [], arch="amd64", kernel=(6, 1))
    assert out["syscalls"] == [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ("[]", "expected an object with defaultAction"),
        ('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"]}]}', "no action"),
        ('{"defaultAction": "A", "syscalls": [{"names": ["x"], "action": "A", "bogus": 1}]}',
         "unknown keys"),
    ],
)
def test_bad_profiles_are_refused(tmp_path: Any, text: str, message: str) -> None:
    path = tmp_path / "p.json"
    path.write_text(text)
    with pytest.raises(seccomp.ProfileError, match=message):
        seccomp.load(str(path))


def test_missing_profile_is_refused() -> None:
    with pytest.raises(seccomp.ProfileError, match="does not exist"):
        seccomp.load("/nonexistent.json")


def test_privileged_and_unconfined_run_without_a_filter() -> None:
    assert config.wants_seccomp(_cfg())
    assert not config.wants_seccomp(_cfg(privileged=True))
    assert not config.wants_seccomp(_cfg(security_opt=["seccomp=unconfined"]))


def test_adding_and_dropping_all_is_refused() -> None:
    with pytest.raises(UsageError, match="adding all caps and removing all caps not allowed"):
        _cfg(cap_add=["all"], cap_drop=["ALL"])
