"""misc (issue 19) on the bare host: what a container sees of --read-only-tmpfs (its
/proc/mounts, writes), --http-proxy (its environment) and --memory-swappiness (the kernel's
memory.swappiness of its cgroup, after run and after update)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.cases import PURE_V2, cgroup_file, container_dirs, unique
from tests.clihelp import Scopebox

pytestmark = pytest.mark.host

SCRATCH = ("/run", "/tmp", "/var/tmp")


def mounts_seen(sb: Scopebox, *flags: str) -> dict[str, tuple[str, list[str]]]:
    """The container's own /proc/mounts: {mount point: (fs type, options)}."""
    out = sb("run", "--rm", *flags, "busybox", "cat", "/proc/mounts").stdout
    return {f[1]: (f[2], f[3].split(",")) for f in (line.split() for line in out.splitlines())}


def test_read_only_root_gets_writable_tmpfs_scratch_places(sb: Scopebox) -> None:
    seen = mounts_seen(sb, "--read-only")
    assert "ro" in seen["/"][1]
    for dest in SCRATCH:
        kind, options = seen[dest]
        assert kind == "tmpfs" and {"rw", "nosuid", "nodev"} <= set(options), (dest, options)
    assert "ro" in seen["/etc/hosts"][1] and "ro" in seen["/etc/hostname"][1]
    script = "for d in /run /tmp /var/tmp; do echo x > $d/f && cat $d/f; done; touch /f"
    res = sb("run", "--rm", "--read-only", "busybox", "sh", "-c", script, check=False)
    assert res.returncode == 1 and res.stdout == "x\nx\nx\n"
    assert "Read-only file system" in res.stderr


def test_read_only_tmpfs_false_keeps_them_read_only(sb: Scopebox) -> None:
    seen = mounts_seen(sb, "--read-only", "--read-only-tmpfs=false")
    assert not set(SCRATCH) & seen.keys()
    res = sb("run", "--rm", "--read-only", "--read-only-tmpfs=false", "busybox",
             "touch", "/tmp/f", check=False)  # fmt: skip
    assert res.returncode == 1 and "Read-only file system" in res.stderr
    # without --read-only the flag changes nothing: the root is writable, no tmpfs
    seen = mounts_seen(sb, "--read-only-tmpfs")
    assert not set(SCRATCH) & seen.keys() and "rw" in seen["/"][1]


def test_a_users_tmpfs_wins_over_the_default_one(sb: Scopebox) -> None:
    seen = mounts_seen(sb, "--read-only", "--tmpfs", "/tmp:size=1m")
    assert "size=1024k" in seen["/tmp"][1]
    assert seen["/run"][0] == "tmpfs" and seen["/var/tmp"][0] == "tmpfs"


def test_proxy_variables_pass_unless_set_or_disabled(sb: Scopebox) -> None:
    proxied = Scopebox({**sb.env, "http_proxy": "http://p:3128", "HTTPS_PROXY": "http://s:1",
                        "no_proxy": "localhost", "OTHER_VAR": "x"})  # fmt: skip
    env = proxied("run", "--rm", "busybox", "env").stdout.splitlines()
    assert {"http_proxy=http://p:3128", "HTTPS_PROXY=http://s:1", "no_proxy=localhost"} <= set(
        env)
    assert not [e for e in env if e.startswith(("OTHER_VAR=", "ftp_proxy=", "FTP_PROXY="))]
    env = proxied("run", "--rm", "-e", "http_proxy=mine", "busybox", "env").stdout.splitlines()
    assert "http_proxy=mine" in env and "http_proxy=http://p:3128" not in env
    env = proxied("run", "--rm", "--http-proxy=false", "busybox", "env").stdout
    assert "proxy" not in env.lower()
    # containers.conf's http_proxy = false is the default; the flag still wins
    conf = Path(sb.root).parent / "misc-containers.conf"
    conf.write_text("[containers]\nhttp_proxy = false\n")
    confd = Scopebox({**proxied.env, "CONTAINERS_CONF": str(conf)})
    assert "proxy" not in confd("run", "--rm", "busybox", "env").stdout.lower()
    env = confd("run", "--rm", "--http-proxy", "busybox", "env").stdout.splitlines()
    assert "http_proxy=http://p:3128" in env
    # over the image's own (Podman 4.3 layers them as --env-host's), which stays without them
    name = unique("proxy-img")
    image = f"localhost/{name}:v1"
    sb("create", "--name", name, "busybox", "true")
    sb("commit", "-q", "--change", "ENV http_proxy=img", name, image)
    try:
        env = proxied("run", "--rm", image, "env").stdout.splitlines()
        assert "http_proxy=http://p:3128" in env and "http_proxy=img" not in env
        env = proxied("run", "--rm", "--http-proxy=false", image, "env").stdout.splitlines()
        assert "http_proxy=img" in env
        shown = json.loads(proxied("inspect", name).stdout)[0]["Config"]["Env"]
        assert "http_proxy=http://p:3128" not in shown  # made without the variables around
    finally:
        sb("rm", name)
        sb("rmi", image)


def test_generate_new_keeps_false_defaults(sb: Scopebox, tmp_path: Path) -> None:
    name = unique("misc-gen")
    sb("create", "--name", name, "--read-only", "--read-only-tmpfs=false", "--http-proxy=false",
       "--memory-swappiness", "20", "busybox", "true")  # fmt: skip
    try:
        unit = sb("generate", "systemd", "--new", name).stdout
        words = unit.replace("\\\n", " ").split()
        for flag in ("--read-only-tmpfs=false", "--http-proxy=false", "--memory-swappiness=20"):
            assert flag in words, unit
    finally:
        sb("rm", name)


@pytest.mark.skipif(PURE_V2, reason="cgroup v2 has no memory.swappiness")
def test_swappiness_reaches_the_kernel_on_run_and_update(sb: Scopebox) -> None:
    name = unique("swap")
    sb("run", "-d", "--name", name, "--memory-swappiness", "30", "busybox", "sleep", "1000")
    try:
        def kernel() -> str:
            pid = sb.state(name)["Pid"]
            assert isinstance(pid, int) and pid > 0
            return cgroup_file(pid, "memory", "memory.swappiness")

        def shown() -> int:
            return int(json.loads(sb("inspect", name).stdout)[0]["HostConfig"]
                       ["MemorySwappiness"])

        assert (kernel(), shown()) == ("30", 30)
        sb("update", "--memory-swappiness", "10", name)
        assert (kernel(), shown()) == ("10", 10)
        # runc's own update writes back the swappiness the container was created with
        sb("update", "--memory", "64m", name)
        assert (kernel(), shown()) == ("10", 10)
        res = sb("update", "--memory-swappiness", "101", name, check=False)
        assert res.returncode == 125 and res.stderr == (
            "Error: invalid value: 101, valid memory swappiness range is 0-100\n")
        assert kernel() == "10"
        # -1: the kernel's own again (the parent cgroup's value)
        sb("update", "--memory-swappiness", "-1", name)
        pid = sb.state(name)["Pid"]
        assert isinstance(pid, int)
        parent = Path(f"/proc/{pid}/cgroup").read_text()
        memory_path = next(line.split(":", 2)[2] for line in parent.splitlines()
                           if "memory" in line.split(":")[1].split(","))
        default = Path(f"/sys/fs/cgroup/memory{memory_path}/../memory.swappiness")
        assert kernel() == default.read_text().strip() and shown() == -1
        # the next start gets the stored value
        sb("update", "--memory-swappiness", "5", name)
        sb("stop", "-t", "0", name)
        sb("start", name)
        assert kernel() == "5"
    finally:
        sb("rm", "-f", "-t", "0", name)


def test_bad_swappiness_is_refused_and_nothing_is_made(sb: Scopebox) -> None:
    before = container_dirs(sb)
    for verb in ("run", "create"):
        res = sb(verb, "--memory-swappiness", "101", "busybox", "true", check=False)
        assert res.returncode == 125 and res.stderr == (
            "Error: invalid value: 101, valid memory swappiness range is 0-100\n")
        res = sb(verb, "--memory-swappiness", "abc", "busybox", "true", check=False)
        assert res.returncode == 125 and res.stderr == (  # Podman's two lines
            'Error: invalid argument "abc" for "--memory-swappiness" flag: strconv.ParseInt: '
            f'parsing "abc": invalid syntax\nSee \'scopebox {verb} --help\'\n'), res
    assert container_dirs(sb) == before


def test_personality_linux32_is_what_the_container_runs_in(sb: Scopebox) -> None:
    assert sb("run", "--rm", "--personality", "LINUX", "busybox", "uname", "-m").stdout == (
        os.uname().machine + "\n")
    if os.uname().machine != "x86_64":
        pytest.skip("LINUX32 checked on x86_64 (i686)")
    name = unique("persona")
    sb("run", "-d", "--name", name, "--personality", "LINUX32", "busybox", "sleep", "1000")
    try:
        assert sb("exec", name, "uname", "-m").stdout == "i686\n"  # exec's process too
        assert sb("exec", name, "cat", "/proc/1/personality").stdout == "00000008\n"
        sb("restart", "-t", "0", name)  # the monitor's next create
        assert sb("exec", name, "cat", "/proc/1/personality").stdout == "00000008\n"
        cid = json.loads(sb("inspect", name).stdout)[0]["Id"]
        config = json.loads(Path(sb.root, "containers", cid, "config.json").read_text())
        assert config["linux"]["personality"] == {"domain": "LINUX32"}
    finally:
        sb("rm", "-f", "-t", "0", name)
    # the caller's own domain is left as it was
    assert Path("/proc/self/personality").read_text().strip() == "00000000"


def test_a_linux32_caller_still_gets_the_hosts_seccomp_architecture(sb: Scopebox) -> None:
    """uname follows the caller's personality (i686 under `setarch linux32`); the seccomp
    profile must not: a 32-bit-only filter stops 64-bit busybox at its first arch_prctl."""
    from dataclasses import replace

    linux32 = replace(sb, wrap=["setarch", "linux32"])
    res = linux32("run", "--rm", "busybox", "echo", "ok", check=False)
    assert (res.returncode, res.stdout) == (0, "ok\n"), res.stderr


def test_a_bad_personality_is_refused_and_nothing_is_made(sb: Scopebox) -> None:
    before = container_dirs(sb)
    for verb in ("run", "create"):
        res = sb(verb, "--personality", "linux32", "busybox", "true", check=False)
        assert (res.returncode, res.stderr) == (125, "Error: invalid --personality 'linux32':"
                                                " the execution domain is LINUX or LINUX32\n")
    assert container_dirs(sb) == before


def test_seccomp_policy_image_takes_the_images_profile(sb: Scopebox) -> None:
    name = unique("secpol")
    profile = json.dumps({"defaultAction": "SCMP_ACT_ALLOW",
                          "syscalls": [{"names": ["mkdir", "mkdirat"],
                                        "action": "SCMP_ACT_ERRNO"}]})  # fmt: skip
    image = f"localhost/{name}:v1"
    sb("create", "--name", name, "busybox", "true")
    sb("commit", "-q", "--change", f"LABEL io.containers.seccomp.profile={profile}", name, image)
    try:
        res = sb("run", "--rm", "--seccomp-policy", "image", image, "mkdir", "/x", check=False)
        assert res.returncode == 1 and "Operation not permitted" in res.stderr
        sb("run", "--rm", image, "mkdir", "/x")  # the default policy: the default profile
        before = container_dirs(sb)
        res = sb("run", "--rm", "--seccomp-policy", "image", "busybox", "true", check=False)
        assert (res.returncode, res.stderr) == (125, "Error: no seccomp policy defined by image\n")
        res = sb("create", "--seccomp-policy", "nope", "busybox", "true", check=False)
        assert (res.returncode, res.stderr) == (
            125, 'Error: invalid seccomp policy "nope": valid policies are ["default" "image"]\n')
        assert container_dirs(sb) == before
    finally:
        sb("rm", name)
        sb("rmi", image)


def test_image_volume_modes_as_the_container_sees_them(sb: Scopebox) -> None:
    name = unique("imgvol")
    image = f"localhost/{name}:v1"
    sb("run", "--name", name, "busybox", "sh", "-c", "mkdir /data && echo hi > /data/f")
    sb("commit", "-q", "--change", "VOLUME /data", name, image)
    volumes = set(sb("volume", "ls", "-q").stdout.split())
    try:
        def seen(mode: str) -> tuple[str, str]:
            """(the fs type mounted on /data, or ""; /data/f's text)"""
            out = sb("run", "--rm", "--image-volume", mode, image, "sh", "-c",
                     "grep ' /data ' /proc/mounts | cut -d' ' -f3; cat /data/f").stdout
            *kind, data = out.splitlines()
            return "".join(kind), data

        assert seen("tmpfs") == ("tmpfs", "hi")  # a tmpfs, the image's files copied up
        assert seen("ignore") == ("", "hi")  # the image's own directory, no mount
        assert set(sb("volume", "ls", "-q").stdout.split()) == volumes  # neither made one
        kind, data = seen("bind")  # an anonymous volume, filled from the image
        assert kind not in ("", "tmpfs") and data == "hi"
    finally:
        sb("rm", name)
        sb("rmi", image)
        sb("volume", "prune", "-f")
