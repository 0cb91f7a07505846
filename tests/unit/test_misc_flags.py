"""misc (issue 19): run/create's --read-only-tmpfs, --http-proxy and --memory-swappiness (also
update's), parsed and applied as Podman 4.3 does (its messages, read from the real podman on
the test bed), rendered back by `generate systemd --new`."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from conmon.personality import execution_domain
from conmon.protocol import Options, format_args, parse_args
from supervisor import notices, unitgen
from supervisor.cli.common import add_create_flags, create_options, new_create_parser
from supervisor.errors import UsageError
from supervisor.model import (
    IMAGE_SECCOMP_LABEL,
    PROXY_VARS,
    ContainerConfig,
    HostFacts,
    check_personality,
    image_seccomp,
    proxy_env,
    validate,
    with_image,
)
from supervisor.options import CreateOptions, RunFlagOptions
from supervisor.resources import (
    NO_SWAPPINESS,
    ResourceOptions,
    discard_swappiness,
    oci_resources,
)
from supervisor.spec import Mount, SpecOptions, build_spec
from supervisor.update import merge
from supervisor.views_podman import _swappiness

CPUS = {0, 1}
ETC = {"/etc/hosts": "/x/hosts", "/etc/hostname": "/x/hostname"}


def parse(argv: list[str]) -> CreateOptions:
    p = new_create_parser("run", "test")
    add_create_flags(p)
    return create_options(p.parse_args([*argv, "busybox"]))


def mounts(**kw: object) -> dict[str, dict[str, object]]:
    spec = build_spec(SpecOptions(args=["true"], rootfs="/r", cgroups_path="/c",
                                  etc_files=ETC, **kw))  # type: ignore[arg-type]
    return {m["destination"]: m for m in spec["mounts"]}


# --read-only-tmpfs ---------------------------------------------------------------------------


def test_read_only_root_gets_podmans_tmpfs_on_run_tmp_var_tmp() -> None:
    got = mounts(readonly_rootfs=True)
    for dest in ("/run", "/tmp", "/var/tmp"):
        assert got[dest] == {"destination": dest, "type": "tmpfs", "source": "tmpfs",
                             "options": ["rw", "rprivate", "nosuid", "nodev", "tmpcopyup"]}
    # and its /etc files are read-only, as Podman's on a read-only root
    assert got["/etc/hosts"]["options"] == ["rbind", "rprivate", "ro", "nosuid", "noexec",
                                            "nodev"]


def test_read_only_tmpfs_false_or_a_writable_root_mount_none() -> None:
    for kw in ({"readonly_rootfs": True, "readonly_tmpfs": False}, {"readonly_rootfs": False}):
        got = mounts(**kw)
        assert not {"/run", "/tmp", "/var/tmp"} & got.keys(), kw
    assert mounts()["/etc/hosts"]["options"] == ["rbind", "rprivate"]


def test_a_users_mount_replaces_the_tmpfs_at_its_place() -> None:
    mine = Mount("/tmp", "tmpfs", "tmpfs", ("size=1m",))
    got = mounts(readonly_rootfs=True, mounts=[mine])
    assert got["/tmp"]["options"] == ["size=1m"]
    assert "tmpcopyup" in got["/run"]["options"]  # (list: options)


@pytest.mark.parametrize("argv, want", [
    ([], True), (["--read-only-tmpfs"], True), (["--read-only-tmpfs=false"], False),
    (["--read-only-tmpfs=0"], False), (["--read-only-tmpfs=True"], True),
])  # fmt: skip
def test_read_only_tmpfs_is_a_go_boolean_true_by_default(argv: list[str], want: bool) -> None:
    assert parse(argv).read_only_tmpfs is want


def test_a_bad_boolean_is_refused_with_podmans_words() -> None:
    with pytest.raises(UsageError) as exc:
        parse(["--read-only-tmpfs=foo"])
    assert str(exc.value) == ('invalid argument "foo" for "--read-only-tmpfs" flag:'
                              ' strconv.ParseBool: parsing "foo": invalid syntax')


# --http-proxy --------------------------------------------------------------------------------


def test_the_callers_proxy_variables_both_cases_and_nothing_else() -> None:
    environ = {name: f"v-{name}" for name in PROXY_VARS} | {"HOME": "/root", "Http_Proxy": "x"}
    got = proxy_env(CreateOptions(image="b"), environ)
    assert got == tuple(f"{name}=v-{name}" for name in PROXY_VARS)
    assert proxy_env(CreateOptions(image="b"), {"no_proxy": "a,b"}) == ("no_proxy=a,b",)


def test_http_proxy_false_or_env_host_pass_none_of_their_own() -> None:
    environ = {"http_proxy": "http://p:3128"}
    assert proxy_env(parse(["--http-proxy=false"]), environ) == ()
    env_host = CreateOptions(image="b", runflags=RunFlagOptions(env_host=True))
    assert proxy_env(env_host, environ) == ()  # --env-host passes them with the rest
    assert parse([]).http_proxy is None  # not given: containers.conf's, true by default
    assert parse(["--http-proxy"]).http_proxy is True
    assert proxy_env(parse([]), environ) == ("http_proxy=http://p:3128",)


# --memory-swappiness -------------------------------------------------------------------------


@pytest.mark.parametrize("value, memory", [
    (0, {"swappiness": 0}), (100, {"swappiness": 100}), (60, {"swappiness": 60}),
    (-1, None), (-2, None), (None, None),
])  # fmt: skip
def test_swappiness_in_oci_memory(value: int | None, memory: dict[str, int] | None) -> None:
    got = oci_resources(ResourceOptions(memory_swappiness=value), CPUS, {0})
    assert got.get("memory") == memory


@pytest.mark.parametrize("value", [101, 1000])
def test_swappiness_above_100_is_refused_with_podmans_words(value: int) -> None:
    with pytest.raises(UsageError) as exc:
        oci_resources(ResourceOptions(memory_swappiness=value), CPUS, {0})
    assert str(exc.value) == f"invalid value: {value}, valid memory swappiness range is 0-100"


@pytest.mark.parametrize("value, why", [
    ("abc", "invalid syntax"), ("1.5", "invalid syntax"), ("", "invalid syntax"),
    ("99999999999999999999", "value out of range"),
])  # fmt: skip
def test_swappiness_is_a_go_int(value: str, why: str) -> None:
    with pytest.raises(UsageError) as exc:
        parse(["--memory-swappiness", value])
    assert (f'invalid argument "{value}" for "--memory-swappiness" flag: strconv.ParseInt:'
            f' parsing "{value}": {why}') in str(exc.value)
    assert parse(["--memory-swappiness", "-5"]).resources.memory_swappiness == -5


def test_swappiness_is_dropped_with_podmans_warning_where_the_kernel_has_none() -> None:
    heard: list[str] = []
    notices.listen(heard.append)
    notices._said.clear()
    try:
        opts = ResourceOptions(memory="64m", memory_swappiness=10)
        assert discard_swappiness(opts, False) == ResourceOptions(memory="64m")
        assert heard == [NO_SWAPPINESS]
        assert discard_swappiness(opts, True) == opts
        with pytest.raises(UsageError, match="valid memory swappiness range is 0-100"):
            discard_swappiness(ResourceOptions(memory_swappiness=101), False)
    finally:
        notices._sink = None
        notices._said.clear()


@pytest.mark.parametrize("memory, shown", [
    ({}, 0), ({"limit": 67108864, "swap": 134217728}, -1), ({"swappiness": 30}, 30),
    ({"limit": 67108864, "swappiness": 0}, 0),
])  # fmt: skip
def test_inspect_shows_podmans_memory_swappiness(memory: dict[str, int], shown: int) -> None:
    assert _swappiness(memory) == shown


def test_update_merges_swappiness_over_the_stored_one() -> None:
    stored = ResourceOptions(memory="64m", memory_swappiness=30)
    assert merge(stored, ResourceOptions(memory_swappiness=-1)).memory_swappiness == -1
    kept = merge(stored, ResourceOptions(memory="128m"))
    assert kept.memory_swappiness == 30 and kept.memory == "128m"


# generate systemd --new ----------------------------------------------------------------------


def test_generate_new_renders_the_flags_back_as_run_reads_them() -> None:
    opts = CreateOptions(image="busybox", network="", read_only=True, read_only_tmpfs=False,
                         http_proxy=False, personality="LINUX32", seccomp_policy="image",
                         image_volume="tmpfs", resources=ResourceOptions(memory_swappiness=30))
    args = unitgen.run_args(asdict(opts), [])
    assert args == ["--read-only", "--read-only-tmpfs=false", "--http-proxy=false",
                    "--personality=LINUX32", "--seccomp-policy=image", "--image-volume=tmpfs",
                    "--memory-swappiness=30", "busybox"]
    back = parse(args[:-1])
    assert back == replace(opts, network=back.network, create_command=back.create_command)
    plain = unitgen.run_args(asdict(CreateOptions(image="busybox", network="")), [])
    assert plain == ["busybox"]  # the defaults (true) are not spelled out


# --personality -------------------------------------------------------------------------------


def test_personality_domains_and_podmans_others_refused() -> None:
    for domain in ("", "LINUX", "LINUX32"):
        check_personality(domain)
    for domain in ("linux32", "foo", "PER_LINUX32"):
        with pytest.raises(UsageError) as exc:
            check_personality(domain)
        assert str(exc.value) == (f"invalid --personality {domain!r}: the execution domain is"
                                  " LINUX or LINUX32")


def test_the_execution_domain_is_set_within_and_restored() -> None:
    def now() -> str:
        with open("/proc/self/personality") as f:
            return f.read().strip()

    before = now()
    with execution_domain("LINUX32"):
        assert int(now(), 16) & 0xFF == 0x08
        assert os.uname().machine in ("i686", "i386") or os.uname().machine.startswith("arm")
    assert now() == before
    with execution_domain(""):
        assert now() == before


def test_the_monitor_gets_the_domain() -> None:
    opts = Options()
    opts.cid, opts.bundle, opts.rundir = "c" * 64, "/b", "/r"
    opts.exit_file, opts.runtime, opts.log_path = "/e", "x", "/l"
    opts.sync_fd, opts.start_fd = 3, 4
    opts.personality = "LINUX32"
    assert parse_args(format_args(opts)).personality == "LINUX32"
    opts.personality = ""
    assert not [a for a in format_args(opts) if a.startswith("--personality")]
    assert parse(["--personality", "LINUX32"]).personality == "LINUX32"


# --seccomp-policy ----------------------------------------------------------------------------

PROFILE = {"defaultAction": "SCMP_ACT_ALLOW",
           "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}


def configured(*argv: str) -> ContainerConfig:
    host = HostFacts(systemd=False, runtime_name="runc", runtime_path="/usr/sbin/runc",
                     host_cpus=frozenset({0}), host_mems=frozenset({0}), unified=False)
    return validate(parse(list(argv)), host)


@pytest.mark.parametrize("policy", ["foo", "Image", "none"])
def test_an_unknown_policy_is_refused_with_podmans_words(policy: str) -> None:
    with pytest.raises(UsageError) as exc:
        configured("--seccomp-policy", policy)
    assert str(exc.value) == (f'invalid seccomp policy "{policy}": valid policies are'
                              ' ["default" "image"]')
    assert configured("--seccomp-policy", "").options.seccomp_policy == "default"


def test_the_images_label_gives_the_profile() -> None:
    labels = {IMAGE_SECCOMP_LABEL: json.dumps(PROFILE)}
    got = image_seccomp(configured("--seccomp-policy", "image"), labels).security
    assert (got.seccomp, got.seccomp_profile) == ("image", PROFILE)
    for flags in (["--privileged"], ["--security-opt", "seccomp=unconfined"]):
        kept = configured("--seccomp-policy", "image", *flags)
        assert image_seccomp(kept, labels) == kept  # no filter at all, as Podman's


@pytest.mark.parametrize("labels, message", [
    ({}, "no seccomp policy defined by image"),
    ({IMAGE_SECCOMP_LABEL: ""}, "no seccomp policy defined by image"),
    ({IMAGE_SECCOMP_LABEL: "{nope"}, "label is not valid JSON"),
    ({IMAGE_SECCOMP_LABEL: "[]"}, "expected an object with defaultAction"),
])  # fmt: skip
def test_a_missing_or_bad_label_is_refused(labels: dict[str, str], message: str) -> None:
    for flags in ([], ["--privileged"]):
        with pytest.raises(UsageError, match=message):
            image_seccomp(configured("--seccomp-policy", "image", *flags), labels)


# --image-volume ------------------------------------------------------------------------------

IMAGE = {"Volumes": {"/data": {}, "/cache/": {}, "/taken": {}}}


def test_image_volumes_bind_as_anonymous_volumes_by_default() -> None:
    got = with_image(configured("--tmpfs", "/taken"), IMAGE)
    assert [(v.destination, v.anonymous) for v in got.volumes] == [("/cache", True),
                                                                  ("/data", True)]
    empty = with_image(configured("--image-volume", "", "--tmpfs", "/taken"), IMAGE)
    assert empty.volumes == got.volumes  # "" is Podman's default too


def test_image_volumes_as_tmpfs_or_ignored() -> None:
    got = with_image(configured("--image-volume", "tmpfs", "--tmpfs", "/taken"), IMAGE)
    assert got.volumes == ()
    tmpfs = [m for m in got.mounts if m.type == "tmpfs" and m.destination != "/taken"]
    assert tmpfs == [Mount(d, "tmpfs", "tmpfs", ("rprivate", "rw", "nodev", "exec", "nosuid",
                                                 "tmpcopyup")) for d in ("/cache", "/data")]
    ignored = with_image(configured("--image-volume", "ignore"), IMAGE)
    assert ignored.volumes == () and ignored.mounts == configured().mounts


@pytest.mark.parametrize("mode", ["foo", "TMPFS", "volume"])
def test_an_unknown_image_volume_mode_is_refused_with_podmans_words(mode: str) -> None:
    with pytest.raises(UsageError) as exc:
        configured("--image-volume", mode)
    assert str(exc.value) == (f'invalid image volume mode "{mode}" required value: bind, tmpfs,'
                              " ignore")


# quadlet's ReadOnlyTmpfs= ------------------------------------------------------------------


@pytest.mark.parametrize("keys, want", [
    ("ReadOnly=yes\nReadOnlyTmpfs=no\n", ["--read-only", "--read-only-tmpfs=false"]),
    ("ReadOnly=yes\nReadOnlyTmpfs=true\n", ["--read-only", "--read-only-tmpfs=true"]),
    ("ReadOnly=yes\n", ["--read-only"]),
    ("ReadOnlyTmpfs=no\n", []),  # only with ReadOnly=, as Podman's quadlet
])  # fmt: skip
def test_quadlet_read_only_tmpfs(tmp_path: Path, keys: str, want: list[str]) -> None:
    from supervisor import quadlet
    from units import unitfile

    path = tmp_path / "web.container"
    path.write_text(f"[Container]\nImage=busybox\n{keys}")
    svc = quadlet.convert_file(str(path), ["/usr/bin/scopebox"])
    sec = svc.unit.section("Service")
    assert sec is not None
    words = unitfile.split_words(sec.values("ExecStart")[0])
    assert [w for w in words if w.startswith("--read-only")] == want
    assert parse(want).read_only_tmpfs is ("--read-only-tmpfs=false" not in want)


def test_containers_conf_http_proxy_is_the_default(tmp_path: Path) -> None:
    from supervisor.api.containers import with_defaults
    from supervisor.settings import Settings

    conf = tmp_path / "containers.conf"
    conf.write_text("[containers]\nhttp_proxy = false\n")
    settings = Settings.from_env({"CONTAINERS_CONF": str(conf)})
    assert settings.http_proxy is False
    assert with_defaults(parse([]), settings).http_proxy is False
    assert with_defaults(parse(["--http-proxy"]), settings).http_proxy is True  # the flag wins
    assert with_defaults(parse([]), Settings.from_env({})).http_proxy is None
    conf.write_text('[containers]\nhttp_proxy = "no"\n')
    with pytest.raises(UsageError) as exc:
        Settings.from_env({"CONTAINERS_CONF": str(conf)})
    assert str(exc.value) == f"{conf}: [containers] http_proxy must be true or false, not 'no'"
