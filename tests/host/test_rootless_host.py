"""Rootless mode (issue 17) end to end: a real unprivileged user, with its own /etc/subuid and
/etc/subgid ranges, runs the CLI of this checkout (`runuser`), as a user types it.

The user's interpreter is the system's /usr/bin/python3 with this checkout and the venv's
site-packages on PYTHONPATH: the venv's own python usually links into a root-only /root.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.clihelp import REPO, wait_for

SITE = [p for p in sys.path if p.endswith("site-packages")]
TUN = "/dev/net/tun"


def _missing() -> str | None:
    for tool in ("useradd", "userdel", "runuser", "newuidmap", "newgidmap", "unshare"):
        if shutil.which(tool) is None:
            return f"rootless tests need {tool} (apt-get install uidmap passwd util-linux)"
    system = os.path.realpath("/usr/bin/python3")
    if not system.endswith(f"python{sys.version_info.major}.{sys.version_info.minor}"):
        return f"rootless tests need /usr/bin/python3 of this venv's version ({system})"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=str(_missing()))


@dataclass
class User:
    name: str
    uid: int
    home: str
    xdg: str
    subid_start: int

    def env(self) -> dict[str, str]:
        return {"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME": self.home,
                "XDG_RUNTIME_DIR": self.xdg, "PYTHONPATH": ":".join([str(REPO), *SITE]),
                "LANG": "C.UTF-8"}

    def argv(self, *args: str) -> list[str]:
        env = [f"{k}={v}" for k, v in self.env().items()]
        return ["runuser", "-u", self.name, "--", "env", "-i", *env, *args]

    def __call__(self, *args: str, check: bool = True,
                 timeout: float = 60) -> subprocess.CompletedProcess[str]:
        res = subprocess.run(self.argv("/usr/bin/python3", "-m", "supervisor", *args),
                             capture_output=True, text=True, timeout=timeout, cwd="/",
                             stdin=subprocess.DEVNULL)
        if check and res.returncode != 0:
            raise AssertionError(f"scopebox {' '.join(args)} exited {res.returncode}\n"
                                 f"stdout: {res.stdout}\nstderr: {res.stderr}")
        return res

    @property
    def runroot(self) -> str:
        return os.path.join(self.xdg, "scopebox")

    @property
    def root(self) -> str:
        return os.path.join(self.home, ".local", "share", "scopebox")


def _drop_subids(name: str) -> None:
    for path in ("/etc/subuid", "/etc/subgid"):
        with open(path) as f:
            lines = [ln for ln in f if not ln.startswith(f"{name}:")]
        with open(path, "w") as f:
            f.writelines(lines)


def _free_subids() -> int:
    """A start after every range granted so far (useradd may grant its own)."""
    end = 100000
    for path in ("/etc/subuid", "/etc/subgid"):
        with open(path) as f:
            for line in f:
                parts = line.strip().split(":")
                if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
                    end = max(end, int(parts[1]) + int(parts[2]))
    return end


@pytest.fixture(scope="module")
def user() -> Iterator[User]:
    name = f"sbrl{uuid.uuid4().hex[:6]}"
    subprocess.run(["useradd", "-m", "-s", "/bin/sh", name], check=True, capture_output=True)
    xdg = tempfile.mkdtemp(prefix="scopebox-rootless-xdg-")
    tun_mode = os.stat(TUN).st_mode & 0o777 if os.path.exists(TUN) else None
    try:
        _drop_subids(name)
        start = _free_subids()
        for path in ("/etc/subuid", "/etc/subgid"):
            with open(path, "a") as f:
                f.write(f"{name}:{start}:65536\n")
        pw = pwd.getpwnam(name)
        os.chown(xdg, pw.pw_uid, pw.pw_gid)
        os.chmod(xdg, 0o700)
        if tun_mode is not None:  # udev's default on a standard host; pasta needs it
            os.chmod(TUN, 0o666)
        u = User(name, pw.pw_uid, pw.pw_dir, xdg, start)
        tar = os.path.join(xdg, "busybox.tar")
        subprocess.run(["sh", str(REPO / "packaging/busybox-rootfs.sh"), tar], check=True,
                       capture_output=True)
        os.chmod(tar, 0o644)
        u("import", "--change", 'CMD ["sh"]', tar, "busybox")
        os.unlink(tar)
        yield u
        u("rm", "-a", "-f")
        assert u("ps", "-aq").stdout == ""
        _assert_nothing_left(u)
    finally:
        _kill_pause(xdg)
        subprocess.run(["userdel", "-r", "-f", name], capture_output=True)
        _drop_subids(name)
        shutil.rmtree(xdg, ignore_errors=True)
        if tun_mode is not None:
            os.chmod(TUN, tun_mode)


def _assert_nothing_left(u: User) -> None:
    """No mount in the user's namespace, runtime state or namespace file of a container."""
    pause = int(Path(u.runroot, "pause.pid").read_text().split()[0])
    with open(f"/proc/{pause}/mountinfo") as f:
        mounts = [line.split()[4] for line in f if u.root in line or u.runroot in line]
    assert mounts == [], mounts
    for sub in ("runc", "netns"):
        path = os.path.join(u.runroot, sub)
        assert not os.path.isdir(path) or os.listdir(path) == [], (path, os.listdir(path))


def _kill_pause(xdg: str) -> None:
    try:
        pid = int(Path(xdg, "scopebox", "pause.pid").read_text().split()[0])
        os.kill(pid, 9)
    except (OSError, ValueError, IndexError):
        pass


def test_info_says_rootless_and_where(user: User) -> None:
    host = json.loads(user("info", "--format", "json").stdout)
    assert host["host"]["security"]["rootless"] is True
    assert host["store"]["graphRoot"] == user.root
    assert host["store"]["runRoot"] == user.runroot
    uidmap = host["host"]["idMappings"]["uidmap"]
    assert uidmap[0] == {"container_id": 0, "host_id": user.uid, "size": 1}
    assert uidmap[1] == {"container_id": 1, "host_id": user.subid_start, "size": 65536}
    # the store is the user's, and no other user can read it
    for path in (user.root, user.runroot):
        st = os.stat(path)
        assert (st.st_uid, st.st_mode & 0o077) == (user.uid, 0), path


def test_root_in_the_container_is_the_user_outside(user: User) -> None:
    res = user("run", "--rm", "--network", "none", "busybox", "grep", "Uid", "/proc/self/status")
    assert res.stdout.split() == ["Uid:", "0", "0", "0", "0"]
    assert user("run", "--rm", "--network", "none", "busybox", "sh", "-c", "exit 3",
                check=False).returncode == 3
    cid = user("run", "-d", "--network", "none", "--name", "lived", "busybox",
               "sh", "-c", "echo started; exec sleep 600").stdout.strip()
    wait_for(lambda: "started" in user("logs", "lived").stdout, what="the container's log")
    pid = json.loads(user("inspect", cid).stdout)[0]["State"]["Pid"]
    owner = subprocess.run(["ps", "-o", "user=", "-p", str(pid)], capture_output=True,
                           text=True).stdout.strip()
    assert owner == user.name
    assert "lived" in user("ps").stdout
    assert user("exec", "lived", "id", "-u").stdout.strip() == "0"
    top = user("top", "lived").stdout.splitlines()  # its pid namespace, not the user's cgroup
    assert len(top) == 2 and top[1].split()[-2:] == ["sleep", "600"], top
    for verb, said in (("stats", "stats is not supported in rootless mode without cgroups v2"),
                       ("pause", "pause is not supported for cgroupv1 rootless containers")):
        res = user(verb, *(["--no-stream"] if verb == "stats" else []), "lived", check=False)
        assert (res.returncode, res.stderr) == (125, f"Error: {said}\n"), res
    res = user("update", "--memory", "64m", "lived", check=False)
    assert res.returncode == 125 and "cgroup v1 or hybrid host" in res.stderr, res
    user("stop", "-t", "0", "lived")
    assert json.loads(user("inspect", "lived").stdout)[0]["State"]["Status"] == "exited"
    user("rm", "lived")
    assert user("ps", "-aq").stdout == ""


def test_layer_ownership_is_mapped_to_subids(user: User) -> None:
    tar = os.path.join(user.xdg, "owned.tar")
    with tarfile.open(tar, "w") as tf:
        for name, uid in (("owned-by-1000", 1000), ("owned-by-root", 0)):
            info = tarfile.TarInfo(name)
            info.uid = info.gid = uid
            tf.addfile(info)
    os.chmod(tar, 0o644)
    user("import", tar, "owned")
    os.unlink(tar)
    found = {}
    for dirpath, _, files in os.walk(os.path.join(user.root, "layers")):
        for f in files:
            if f.startswith("owned-by-"):
                found[f] = os.stat(os.path.join(dirpath, f)).st_uid
    assert found == {"owned-by-1000": user.subid_start + 999, "owned-by-root": user.uid}
    user("rmi", "owned")
    with tarfile.open(tar, "w") as tf:  # an id beyond the user's 65537 ids: one line
        info = tarfile.TarInfo("too-high")
        info.uid = info.gid = 70000
        tf.addfile(info)
    os.chmod(tar, 0o644)
    res = user("import", tar, "toohigh", check=False)
    os.unlink(tar)
    assert res.returncode == 125 and "/etc/subuid" in res.stderr, res
    assert res.stderr.count("\n") == 1, res


def test_limits_are_refused_without_a_delegated_cgroup(user: User) -> None:
    res = user("run", "--rm", "--network", "none", "--memory", "64m", "busybox", "true",
               check=False)
    assert res.returncode == 125 and "delegated" in res.stderr, res
    assert res.stderr.count("\n") == 1, res
    if not os.path.exists("/sys/fs/cgroup/cgroup.controllers"):  # this machine: hybrid
        assert "cgroup v1 or hybrid host" in res.stderr, res


def _slirps(u: User, forwarder: bool = False) -> list[int]:
    """The user's slirp4netns processes of the rootless network namespace (or its TCP port
    forwarders), zombies left out."""
    ns = os.path.join(u.runroot, "netns", "rootless-netns").encode()
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if forwarder:
            if ns in cmd and any(b"portfwd" in a for a in cmd):
                out.append(int(pid))
        elif cmd and cmd[0].endswith(b"slirp4netns") and ns in cmd:
            out.append(int(pid))
    return out


def _host_address() -> str:
    """An address of this host's that is not loopback (slirp4netns hides the host's
    loopback from containers, as Podman's --disable-host-loopback)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.254", 9))  # no packet: only the route is looked up
        return str(s.getsockname()[0])


def _rootless_netns_gone(u: User) -> bool:
    return _slirps(u) == _slirps(u, forwarder=True) == [] and \
        os.listdir(os.path.join(u.runroot, "netns")) == []


def test_user_network_by_name_out_and_from_the_host(user: User) -> None:
    """Podman's rootless netns: two containers on a user network reach each other by name,
    go out through slirp4netns, publish a port to the host; the namespace and its
    slirp4netns go with the last container."""
    if shutil.which("slirp4netns") is None:
        pytest.skip("needs slirp4netns")
    user("network", "create", "rlneta")
    port = _free_port()
    try:
        user("run", "-d", "--name", "rla", "--network", "rlneta", "-p", f"{port}:80",
             "busybox", "httpd", "-f", "-p", "80", "-h", "/etc")
        assert len(_slirps(user)) == 1
        hostname = user("inspect", "-f", "{{.Config.Hostname}}", "rla").stdout.strip()
        got = user("run", "--rm", "--network", "rlneta", "busybox", "wget", "-q", "-O", "-",
                   "http://rla/hostname")
        assert got.stdout.strip() == hostname
        url = f"http://127.0.0.1:{port}/hostname"

        def served() -> bool:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    return r.read().strip().decode() == hostname
            except OSError:
                return False

        wait_for(served, what="the published port")
        assert f"0.0.0.0:{port}->80/tcp" in user("ps").stdout
        # outbound: a server of the host's, reached through slirp4netns
        with socket.socket() as srv:
            srv.bind(("0.0.0.0", 0))
            srv.listen(1)
            srv.settimeout(20)
            addr = f"{_host_address()}:{srv.getsockname()[1]}"
            proc = subprocess.Popen(user.argv("/usr/bin/python3", "-m", "supervisor", "run",
                                              "--rm", "--network", "rlneta", "busybox", "sh",
                                              "-c", f"echo out | nc {addr.replace(':', ' ')}"),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd="/")
            conn, _ = srv.accept()
            with conn:
                conn.settimeout(20)
                assert conn.recv(16) == b"out\n"
            proc.communicate(timeout=30)
        # unshare --rootless-netns: the bridges are there, not on the host
        bridge = json.loads(user("network", "inspect", "rlneta").stdout)[0]["network_interface"]
        links = user("unshare", "--rootless-netns", "ip", "-o", "link").stdout
        assert f" {bridge}:" in links and " tap0:" in links, links
        assert not os.path.exists(f"/sys/class/net/{bridge}")
        user("rm", "-f", "-t", "0", "rla")
        assert _rootless_netns_gone(user)
        assert not served()
    finally:
        user("rm", "-f", "-t", "0", "rla", check=False)
        user("network", "rm", "rlneta")


def test_user_network_connect_disconnect(user: User) -> None:
    if shutil.which("slirp4netns") is None:
        pytest.skip("needs slirp4netns")
    user("network", "create", "rlnetb")
    user("network", "create", "rlnetc")
    try:
        user("run", "-d", "--name", "rlb", "--network", "rlnetb", "busybox", "httpd", "-f",
             "-p", "80", "-h", "/etc")
        user("network", "connect", "rlnetc", "rlb")
        assert "eth1" in user("exec", "rlb", "ip", "-o", "link").stdout
        got = user("run", "--rm", "--network", "rlnetc", "busybox", "wget", "-q", "-O", "-",
                   "http://rlb/hostname")
        assert got.stdout.strip()
        user("network", "disconnect", "rlnetc", "rlb")
        assert "eth1" not in user("exec", "rlb", "ip", "-o", "link").stdout
    finally:
        user("rm", "-f", "-t", "0", "rlb", check=False)
        user("network", "rm", "rlnetb", "rlnetc")


def test_user_network_killed_helpers_and_failed_steps(user: User) -> None:
    if shutil.which("slirp4netns") is None:
        pytest.skip("needs slirp4netns")
    user("network", "create", "rlnetb")
    port = _free_port()
    try:
        user("run", "-d", "--name", "rlb", "--network", "rlnetb", "-p", f"{port}:80",
             "busybox", "httpd", "-f", "-p", "80", "-h", "/etc")
        # a killed slirp4netns and port forwarder: the next container's start makes them
        # again, with the ports already published
        (old,) = _slirps(user)
        (fwd,) = _slirps(user, forwarder=True)
        os.kill(old, 9)
        os.kill(fwd, 9)
        wait_for(lambda: old not in _slirps(user) and not _slirps(user, forwarder=True),
                 what="slirp4netns and the forwarder to die")
        user("run", "--rm", "--network", "rlnetb", "busybox", "true")
        assert len(_slirps(user)) == len(_slirps(user, forwarder=True)) == 1
        url = f"http://127.0.0.1:{port}/hostname"
        with urllib.request.urlopen(url, timeout=5) as r:
            assert r.read().strip()
        # a step that fails leaves nothing: a host port held by another program
        with socket.socket() as held:
            held.bind(("0.0.0.0", 0))
            held.listen(1)
            res = user("run", "--rm", "--network", "rlnetb", "-p",
                       f"{held.getsockname()[1]}:80", "busybox", "true", check=False)
        assert res.returncode == 126, res  # run's start failed after the create: Podman's 126
        assert res.stderr.count("\n") == 1 and "already in use" in res.stderr, res
        user("rm", "-f", "-t", "0", "rlb")
        assert _rootless_netns_gone(user)
        # a privileged host port is one line naming the sysctl, nothing made
        res = user("run", "--rm", "--network", "rlnetb", "-p", "80:80", "busybox", "true",
                   check=False)
        assert res.returncode == 125 and "ip_unprivileged_port_start" in res.stderr, res
        assert _rootless_netns_gone(user)
    finally:
        user("rm", "-f", "-t", "0", "rlb", check=False)
        user("network", "rm", "rlnetb")


def test_user_network_after_kill_9_of_monitor_and_container(user: User) -> None:
    """No teardown ran: the next command's reconcile takes the container's part, and with the
    last container the user's namespace, slirp4netns and forwarder go; `network reload`
    restores a flushed table in the user's namespace."""
    if shutil.which("slirp4netns") is None:
        pytest.skip("needs slirp4netns")
    user("network", "create", "rlnetk")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/hostname"

    def served() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return bool(r.read().strip())
        except OSError:
            return False

    try:
        user("run", "-d", "--name", "rlk", "--network", "rlnetk", "-p", f"{port}:80",
             "busybox", "httpd", "-f", "-p", "80", "-h", "/etc")
        wait_for(served, what="the published port")
        def table() -> str:
            return user("unshare", "--rootless-netns", "nft", "list", "tables").stdout

        assert "inet scopebox" in table()
        user("unshare", "--rootless-netns", "nft", "flush", "ruleset")
        assert "inet scopebox" not in table()
        assert served()  # the forwarder connects to the container itself: no NAT
        user("network", "reload", "--all")
        assert "inet scopebox" in table()
        assert served()
        state = json.loads(user("inspect", "rlk").stdout)[0]["State"]
        for pid in (state["ConmonPid"], state["Pid"]):
            os.kill(pid, 9)
        wait_for(lambda: "Exited" in user("ps", "-a").stdout, what="the reconcile")
        assert _rootless_netns_gone(user)
        assert not served()
    finally:
        user("rm", "-f", "-t", "0", "rlk", check=False)
        user("network", "rm", "rlnetk")


def test_user_network_udp_port_through_slirp4netns(user: User) -> None:
    """busybox has no UDP listener: a python3 of the user's, in the container's network
    namespace (`unshare` + nsenter), hears what the host sends to the published port."""
    if shutil.which("slirp4netns") is None:
        pytest.skip("needs slirp4netns")
    user("network", "create", "rlnetu")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    try:
        cid = user("run", "-d", "--name", "rlu", "--network", "rlnetu", "-p",
                   f"{port}:53/udp", "busybox", "sleep", "60").stdout.strip()
        assert f"53/udp -> 0.0.0.0:{port}" in user("port", "rlu").stdout
        listen = ("import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);"
                  " s.bind(('0.0.0.0', 53)); s.settimeout(20); print(s.recv(64).decode())")
        proc = subprocess.Popen(user.argv(
            "/usr/bin/python3", "-m", "supervisor", "unshare", "nsenter",
            f"--net={user.runroot}/netns/{cid}", "/usr/bin/python3", "-c", listen),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd="/")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            while proc.poll() is None:
                s.sendto(b"ping-udp", ("127.0.0.1", port))
                time.sleep(0.2)
        assert proc.communicate()[0] == "ping-udp\n", proc.stderr
        user("rm", "-f", "-t", "0", "rlu")
        assert _rootless_netns_gone(user)
    finally:
        user("rm", "-f", "-t", "0", "rlu", check=False)
        user("network", "rm", "rlnetu")


def test_bad_setups_say_what_to_do_in_one_line(user: User) -> None:
    def scopebox_as(name: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["runuser", "-u", name, "--", "env", "-i",
                               *[f"{k}={v}" for k, v in env.items()],
                               "/usr/bin/python3", "-m", "supervisor", "ps"],
                              capture_output=True, text=True, cwd="/", timeout=60)

    # no newuidmap (PATH lacks it): a run root of its own has no pause process to join yet
    xdg = tempfile.mkdtemp(prefix="scopebox-rootless-xdg-")
    try:
        os.chown(xdg, user.uid, -1)
        res = scopebox_as(user.name, {**user.env(), "XDG_RUNTIME_DIR": xdg, "PATH": "/nowhere"})
        assert res.returncode == 125 and res.stderr.count("\n") == 1, res
        assert "newuidmap not found: install the uidmap package" in res.stderr, res
    finally:
        shutil.rmtree(xdg, ignore_errors=True)
    # no /etc/subuid entry: the line to add, before anything is made
    name = f"sbns{uuid.uuid4().hex[:6]}"
    subprocess.run(["useradd", "-M", "-d", "/nonexistent", "-s", "/bin/sh", name], check=True,
                   capture_output=True)
    try:
        _drop_subids(name)
        res = scopebox_as(name, {**user.env(), "HOME": "/nonexistent", "XDG_RUNTIME_DIR": ""})
        assert res.returncode == 125 and res.stderr.count("\n") == 1, res
        assert f"no subordinate ids for user {name!r} in /etc/subuid" in res.stderr, res
    finally:
        subprocess.run(["userdel", "-f", name], capture_output=True)
        _drop_subids(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("network", ["", "pasta"])
def test_published_port_from_the_host(user: User, network: str) -> None:
    """The default (slirp4netns, as Podman 4.3's) and pasta forward -p into the container."""
    helper = {"": "slirp4netns", "pasta": "pasta"}[network]
    if shutil.which(helper) is None:
        pytest.skip(f"needs {helper} (apt-get install {'passt' if helper == 'pasta' else helper})")
    port = _free_port()
    flags = ["--network", network] if network else []
    user("run", "-d", "--name", "web", *flags, "-p", f"{port}:80", "busybox",
         "httpd", "-f", "-p", "80", "-h", "/etc")
    url = f"http://127.0.0.1:{port}/hostname"

    def served() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return bool(r.read().strip())
        except OSError:
            return False

    wait_for(served, what="the published port")
    assert f"80/tcp -> 0.0.0.0:{port}" in user("port", "web").stdout
    assert f"0.0.0.0:{port}->80/tcp" in user("ps").stdout
    mode = user("inspect", "-f", "{{.HostConfig.NetworkMode}}", "web").stdout.strip()
    assert mode == (network or "slirp4netns")
    user("rm", "-f", "web")
    assert os.listdir(os.path.join(user.runroot, "netns")) == []
    assert not served()
    # -P: the exposed ports on free host ports chosen at create (Podman's), shown by port
    user("run", "-d", "--name", "all", *flags, "-P", "--expose", "8080", "busybox",
         "httpd", "-f", "-p", "8080", "-h", "/etc")
    shown = user("port", "all").stdout.strip()
    assert shown.startswith("8080/tcp -> 0.0.0.0:"), shown
    url = f"http://127.0.0.1:{shown.rpartition(':')[2]}/hostname"
    wait_for(served, what="the port -P published")
    user("rm", "-f", "all")


def test_keep_id_and_nomap_own_the_bind_mounts_files(user: User) -> None:
    """--userns keep-id: the user is the same uid inside, and what it writes to a bind
    mount is the user's outside; keep-id:uid= another uid inside; nomap: the user is not
    mapped, root inside is the first sub-id (issues 17/19)."""
    d = tempfile.mkdtemp(dir=user.xdg)
    os.chown(d, user.uid, -1)
    os.chmod(d, 0o777)  # nomap's root is a sub-id: "others" here
    script = ("id -u; id -g; grep -v '^ *0 *1 ' /proc/self/uid_map | head -1; touch /d/$X;"
              " echo $(id -un) $HOME")
    ids, names = [], []
    for userns, name in (("keep-id", "k"), ("keep-id:uid=1000,gid=1000", "u"), ("nomap", "n")):
        res = user("run", "--rm", "--network", "none", "--userns", userns, "-e", f"X={name}",
                   "-v", f"{d}:/d", "busybox", "sh", "-c", script, check=False)
        assert res.returncode == 0, (userns, res)
        ids.append(" ".join(res.stdout.splitlines()[:-1]).split())
        names.append(res.stdout.splitlines()[-1])
    pw = pwd.getpwnam(user.name)
    # keep-id's entry is the user's own (its home as --hostuser's: the workdir unless mounted)
    assert names == [f"{user.name} /", "1000 /", "root /root"]
    assert ids[0] == [str(user.uid), str(pw.pw_gid), str(user.uid), "0", "1"]
    assert ids[1] == ["1000", "1000", "1000", "0", "1"]
    assert ids[2] == ["0", "0"]  # its only map line is "0 1 65536"
    owners = {f: os.stat(os.path.join(d, f)).st_uid for f in os.listdir(d)}
    assert owners == {"k": user.uid, "u": user.uid, "n": user.subid_start}
    inspect = json.loads(user("create", "--userns", "keep-id", "busybox", "true").stdout and
                         user("inspect", "-l").stdout)[0]["HostConfig"]
    assert inspect["UsernsMode"] == "private"
    assert inspect["IDMappings"]["UidMap"][0] == f"{user.uid}:0:1"
    user("rm", "-l")


def test_unshare_runs_in_the_users_namespace(user: User) -> None:
    res = user("unshare", "cat", "/proc/self/uid_map")
    rows = [line.split() for line in res.stdout.splitlines()]
    assert rows[0] == ["0", str(user.uid), "1"]
    res = user("unshare", "no-such-command", check=False)
    assert res.returncode == 127 and res.stderr.count("\n") == 1, res
    res = subprocess.run([sys.executable, "-m", "supervisor", "unshare", "true"],
                         capture_output=True, text=True, cwd=REPO)
    assert res.returncode == 125 and "rootless" in res.stderr


def test_a_run_root_of_another_user_is_refused(user: User) -> None:
    """/tmp/scopebox-run-UID is guessable: one that another user made is never used."""
    other = tempfile.mkdtemp(prefix="scopebox-rootless-other-")
    os.chmod(other, 0o755)
    try:
        res = user("--runroot", other, "ps", check=False)
        assert res.returncode == 125 and "not a directory of this user's" in res.stderr, res
        assert os.listdir(other) == []
    finally:
        os.rmdir(other)


def test_the_users_registries_conf_replaces_the_systems(user: User) -> None:
    conf = Path(user.home, ".config", "containers", "registries.conf")
    subprocess.run(user.argv("mkdir", "-p", str(conf.parent)), check=True)
    subprocess.run(user.argv("sh", "-c", f"printf '[aliases]\\n\"zzalias\" = "
                             f"\"127.0.0.1:1/zz/alias\"\\n' > {conf}"), check=True)
    try:
        res = user("pull", "zzalias", check=False)
        assert res.returncode == 125 and "127.0.0.1:1" in res.stderr, res
    finally:
        conf.unlink()


def test_a_killed_pause_process_is_replaced_in_the_containers_namespace(user: User) -> None:
    user("run", "-d", "--network", "none", "--name", "kept", "busybox", "sleep", "600")
    pidfile = Path(user.runroot, "pause.pid")
    old = int(pidfile.read_text().split()[0])
    os.kill(old, 9)
    wait_for(lambda: not Path(f"/proc/{old}/ns").exists() or
             Path(f"/proc/{old}/stat").read_text().split()[2] == "Z", what="the pause to die")
    assert user("exec", "kept", "echo", "still-here").stdout == "still-here\n"
    new = int(pidfile.read_text().split()[0])
    assert new != old
    assert os.readlink(f"/proc/{new}/ns/user") == os.readlink(
        f"/proc/{json.loads(user('inspect', 'kept').stdout)[0]['State']['Pid']}/ns/user")
    user("rm", "-f", "-t", "0", "kept")
