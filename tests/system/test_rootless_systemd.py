"""Rootless under the user's own systemd (issue 17), in the bed: a real unprivileged user
with linger (a running user@UID.service), and a second user without one.

The users run this checkout's CLI as the host tier's rootless tests do
(`tests/host/test_rootless_host.py`: the system's python3, this checkout on PYTHONPATH).
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator

import pytest

from tests.clihelp import REPO, wait_for
from tests.host.test_rootless_host import (
    TUN,
    User,
    _drop_subids,
    _free_subids,
    _kill_pause,
    _missing,
)

pytestmark = [pytest.mark.systemd,
              pytest.mark.skipif(_missing() is not None, reason=str(_missing()))]


class BedUser(User):
    """The bed's /proc has read-only /proc/sys and a bind over boot_id (tests/testbed.py):
    mounts the kernel locks for a user namespace, and with them no unprivileged proc mount
    (so no rootless container, scopebox's or Podman's) is allowed. A real host has neither:
    each command runs in a mount namespace of its own with a plain /proc, which the user's
    pause process (made by the first one) keeps for every container."""

    def argv(self, *args: str) -> list[str]:
        return ["unshare", "-m", "sh", "-c", 'mount -t proc proc /proc && exec "$@"', "sh",
                *super().argv(*args)]


def _add_user(xdg: str | None) -> BedUser:
    name = f"sbrl{uuid.uuid4().hex[:6]}"
    subprocess.run(["useradd", "-m", "-s", "/bin/sh", name], check=True, capture_output=True)
    _drop_subids(name)
    start = _free_subids()
    for path in ("/etc/subuid", "/etc/subgid"):
        with open(path, "a") as f:
            f.write(f"{name}:{start}:65536\n")
    pw = pwd.getpwnam(name)
    if xdg is None:  # no user manager: a runtime dir of its own, as the host tier's
        xdg = tempfile.mkdtemp(prefix="scopebox-rootless-xdg-")
        os.chown(xdg, pw.pw_uid, pw.pw_gid)
        os.chmod(xdg, 0o700)
    return BedUser(name, pw.pw_uid, pw.pw_dir, xdg, start)


def _remove_user(u: User) -> None:
    subprocess.run(["loginctl", "disable-linger", u.name], capture_output=True)
    _kill_pause(u.xdg)
    subprocess.run(["userdel", "-r", "-f", u.name], capture_output=True)
    _drop_subids(u.name)


def _load_busybox(u: User) -> None:
    tar = os.path.join(u.home, "busybox.tar")
    subprocess.run(["sh", str(REPO / "packaging/busybox-rootfs.sh"), tar], check=True,
                   capture_output=True)
    os.chmod(tar, 0o644)
    u("import", "--change", 'CMD ["sh"]', tar, "busybox")
    os.unlink(tar)


def _persistent_journal() -> None:
    """journald keeps a journal per user (readable by that user: `journalctl --user`) only in
    persistent storage, Debian's default; the bed's journald is volatile (tests/testbed.py)."""
    conf = "/etc/systemd/journald.conf.d/zz-rootless-test.conf"
    if os.path.exists(conf):
        return
    with open(conf, "w") as f:
        f.write("[Journal]\nStorage=persistent\n")
    subprocess.run(["systemctl", "restart", "systemd-journald"], check=True, capture_output=True)
    subprocess.run(["journalctl", "--flush"], check=True, capture_output=True)


@pytest.fixture(scope="module")
def lingering() -> Iterator[BedUser]:
    """A user with linger: systemd starts user@UID.service and its runtime dir."""
    name_user = _add_user("/nonexistent")
    u = BedUser(name_user.name, name_user.uid, name_user.home, f"/run/user/{name_user.uid}",
             name_user.subid_start)
    tun_mode = os.stat(TUN).st_mode & 0o777 if os.path.exists(TUN) else None
    try:
        if tun_mode is not None:  # udev's default on a standard host; user networks need it
            os.chmod(TUN, 0o666)
        subprocess.run(["loginctl", "enable-linger", u.name], check=True, capture_output=True)
        wait_for(lambda: os.path.exists(f"{u.xdg}/systemd/private"), timeout=30,
                 what="the user's systemd manager")
        _load_busybox(u)
        # a volatile journal (the bed's) has no journal the user may read: k8s-file, as Podman
        # (the v2 lane runs this fixture once per runtime, the second time persistent)
        from supervisor.rootless.session import persistent_journal

        u("create", "--name", "volatile", "busybox", "true")
        assert u("inspect", "-f", "{{.HostConfig.LogConfig.Type}}", "volatile").stdout.strip() \
            == ("journald" if persistent_journal() else "k8s-file")
        u("rm", "volatile")
        _persistent_journal()
        yield u
        u("rm", "-a", "-f")
    finally:
        if tun_mode is not None:
            os.chmod(TUN, tun_mode)
        _remove_user(u)


@pytest.fixture(scope="module")
def other() -> Iterator[BedUser]:
    """A second user, without linger: no user manager."""
    u = _add_user(None)
    try:
        _load_busybox(u)
        yield u
    finally:
        _remove_user(u)
        shutil.rmtree(u.xdg, ignore_errors=True)


def _as(u: User, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(u.argv(*argv), capture_output=True, text=True, timeout=60, cwd="/")


def _inspect(u: User, ref: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(u("inspect", ref).stdout)[0]
    return data


def test_units_and_journal_of_the_users_systemd(lingering: User, other: User) -> None:
    u = lingering
    cid = u("run", "-d", "--network", "none", "--name", "web", "busybox",
            "sh", "-c", "echo hello-web; exec sleep 600").stdout.strip()
    # the monitor and the container are the user's units, not the system's
    for unit in (f"scopebox-{cid}.scope", f"scopebox-conmon-{cid}.scope"):
        res = _as(u, "systemctl", "--user", "is-active", unit)
        assert res.stdout.strip() == "active", (unit, res)
        assert subprocess.run(["systemctl", "is-active", unit], capture_output=True,
                              text=True).stdout.strip() != "active"
    pid = _inspect(u, "web")["State"]["Pid"]  # type: ignore[index]
    with open(f"/proc/{pid}/cgroup") as f:
        assert f"user@{u.uid}.service/user.slice/scopebox-{cid}.scope" in f.read()
    # the output is in the user's journal, and logs reads it back
    wait_for(lambda: "hello-web" in _as(u, "journalctl", "--user", "CONTAINER_NAME=web",
                                        "-o", "cat").stdout, what="the user's journal")
    assert u("logs", "web").stdout == "hello-web\n"

    # a second user sees none of it and can touch none of it
    assert other("ps", "-a", "--format", "{{.Names}}").stdout == ""
    assert other("inspect", "web", check=False).returncode == 125
    assert _as(other, "ls", u.root).returncode != 0
    assert _as(other, "ls", u.runroot).returncode != 0
    assert _as(other, "kill", "-0", str(pid)).returncode != 0
    assert _as(other, "/usr/bin/python3", "-c", "import socket,sys; s=socket.socket("
               "socket.AF_UNIX); s.connect(sys.argv[1])",
               f"{u.runroot}/containers/{cid}/attach").returncode != 0
    # ... nor by pointing its CLI at the first user's store
    res = other("--root", u.root, "--runroot", u.runroot, "ps", "-a", check=False)
    assert res.returncode == 125 and "Traceback" not in res.stderr, res
    u("stop", "-t", "0", "web")
    u("rm", "web")
    assert _as(u, "systemctl", "--user", "is-active",
               f"scopebox-{cid}.scope").stdout.strip() != "active"


def test_restart_always_by_the_users_systemd(lingering: User) -> None:
    u = lingering
    cid = u("run", "-d", "--network", "none", "--restart", "always", "--name", "again",
            "busybox", "sleep", "600").stdout.strip()
    unit = f"scopebox-{cid}.service"
    assert _as(u, "systemctl", "--user", "is-active", unit).stdout.strip() == "active"
    first = _inspect(u, "again")["State"]["Pid"]  # type: ignore[index]
    os.kill(int(first), 9)  # type: ignore[call-overload]

    def restarted() -> bool:
        state = _inspect(u, "again")
        return (state["RestartCount"] == 1  # type: ignore[comparison-overlap]
                and state["State"]["Status"] == "running"  # type: ignore[index]
                and state["State"]["Pid"] not in (0, first))  # type: ignore[index]

    wait_for(restarted, timeout=30, what="the restart by the user's systemd")
    # active once its ExecStartPost has put the container in its scope
    wait_for(lambda: _as(u, "systemctl", "--user", "is-active", unit).stdout.strip()
             == "active", what="the restarted unit")
    state = _inspect(u, "again")["State"]
    pid, monitor = state["Pid"], state["ConmonPid"]  # type: ignore[index]
    with open(f"/proc/{pid}/cgroup") as f:  # out of the service: a killed monitor spares it
        assert f"/user.slice/scopebox-{cid}.scope\n" in f.read()
    # a killed monitor: the next one adopts the running container (no restart counted)
    os.kill(int(monitor), 9)  # type: ignore[call-overload]

    def adopted() -> bool:
        s = _inspect(u, "again")
        return (s["State"]["ConmonPid"] not in (0, monitor)  # type: ignore[index]
                and s["State"]["Status"] == "running")  # type: ignore[index]

    wait_for(adopted, timeout=30, what="a new monitor")
    after = _inspect(u, "again")
    assert (after["State"]["Pid"], after["RestartCount"]) == (pid, 1)  # type: ignore[index]
    u("rm", "-f", "again")
    assert _as(u, "systemctl", "--user", "is-active", unit).stdout.strip() != "active"


class InSession(User):
    """The user's commands as a login runs them: in a unit of the user's manager
    (`systemd-run --user`). On cgroup v2 systemd moves a process into a user's unit only
    from a cgroup of that user's (AttachProcessesToUnit's rule), not from this test's."""

    def argv(self, *args: str) -> list[str]:
        passed = {k: v for k, v in os.environ.items() if k.startswith("SCOPEBOX_")}
        env = [f"--setenv={k}={v}" for k, v in {**passed, **self.env()}.items()
               if k not in ("XDG_RUNTIME_DIR", "PATH")]
        return super().argv("systemd-run", "--user", "--pipe", "--wait", "--quiet",
                            "--collect", *env, "--", *args)


def _cgroup_dir(pid: int) -> str:
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            if line.startswith("0::"):
                return "/sys/fs/cgroup" + line.strip().removeprefix("0::")
    raise AssertionError(f"no cgroup v2 line in /proc/{pid}/cgroup")


def _read(path: str) -> str:
    with open(path) as f:
        return f.read().strip()


def test_limits_need_controllers_delegated_by_systemd(lingering: User) -> None:
    """cgroup v2 with systemd's delegation (the v2 lane): --memory, --cpus and --pids-limit
    reach the kernel files of the container's scope in the user's manager; on this hybrid
    host (the bed) they are refused in one line."""
    limits = ("--memory", "64m", "--cpus", "0.5", "--pids-limit", "50")
    if not os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        res = lingering("run", "--rm", "--network", "none", *limits, "busybox", "true",
                        check=False)
        assert res.returncode == 125 and res.stderr.count("\n") == 1, res
        assert "cgroup v1 or hybrid host" in res.stderr, res
        return
    u = InSession(lingering.name, lingering.uid, lingering.home, lingering.xdg,
                  lingering.subid_start)
    cid = u("run", "-d", "--network", "none", "--name", "limited", *limits, "busybox",
            "sleep", "600").stdout.strip()
    pid = int(_inspect(u, "limited")["State"]["Pid"])  # type: ignore[index]
    cgroup = _cgroup_dir(pid)  # crun: a `container` cgroup in the scope (its Delegate=yes)
    scope = f"/user@{u.uid}.service/user.slice/scopebox-{cid}.scope"
    assert cgroup.endswith((scope, f"{scope}/container")), cgroup
    assert _read(f"{cgroup}/memory.max") == str(64 << 20)
    assert _read(f"{cgroup}/cpu.max") == "50000 100000"
    assert _read(f"{cgroup}/pids.max") == "50"
    # the user's manager knows them as its unit's properties
    show = _as(u, "systemctl", "--user", "show", "-p", "MemoryMax", "-p", "TasksMax",
               f"scopebox-{cid}.scope").stdout
    assert f"MemoryMax={64 << 20}" in show and "TasksMax=50" in show, show
    # update changes them in place (the runtime's files and the unit's properties)
    u("update", "--memory", "128m", "--pids-limit", "60", "limited")
    assert _read(f"{cgroup}/memory.max") == str(128 << 20)
    assert _read(f"{cgroup}/pids.max") == "60"
    show = _as(u, "systemctl", "--user", "show", "-p", "MemoryMax", f"scopebox-{cid}.scope")
    assert f"MemoryMax={128 << 20}" in show.stdout, show
    u("rm", "-f", "limited")
    assert not os.path.exists(cgroup.removesuffix("/container"))
    # the limit holds: a process growing past --memory is OOM-killed
    res = u("run", "--rm", "--network", "none", "--memory", "32m", "busybox", "tail",
            "/dev/zero", check=False, timeout=120)
    assert res.returncode == 137, res
    # a controller systemd does not delegate (Debian's user@.service: pids memory cpu)
    from supervisor.rootless.cgroups import delegated

    if "cpuset" not in delegated(u.uid):
        res = u("run", "--rm", "--network", "none", "--cpuset-cpus", "0", "busybox", "true",
                check=False)
        assert res.returncode == 125 and res.stderr.count("\n") == 1, res
        assert "cpuset controller is not delegated" in res.stderr, res


def test_without_a_user_manager_one_line_each(other: User) -> None:
    # a restart policy needs no manager: the container's monitor restarts it (the cgroupfs
    # manager's way, as Podman's)
    other("run", "-d", "--restart", "always", "--network", "none", "--name", "nomgr",
          "busybox", "sh", "-c", "sleep 0.2")
    wait_for(lambda: other("inspect", "-f", "{{.RestartCount}}", "nomgr").stdout.strip()
             not in ("", "0"), timeout=30, what="a restart without a user manager")
    other("rm", "-f", "-t", "0", "nomgr")
    res = other("run", "--log-driver", "journald", "--network", "none", "busybox", "true",
                check=False)
    assert res.returncode == 125 and res.stderr.count("\n") == 1, res
    assert f"loginctl enable-linger {other.name}" in res.stderr, res
    env = [f"{k}={v}" for k, v in other.env().items() if k != "XDG_RUNTIME_DIR"]
    res = subprocess.run(["unshare", "-m", "sh", "-c", 'mount -t proc proc /proc && exec "$@"',
                          "sh", "runuser", "-u", other.name, "--", "env", "-i", *env,
                          "/usr/bin/python3", "-m", "supervisor", "run", "--log-driver",
                          "journald", "busybox", "true"], capture_output=True, text=True, cwd="/")
    assert res.returncode == 125 and res.stderr.count("\n") == 1, res
    assert "XDG_RUNTIME_DIR is not set" in res.stderr


# PID 1 ignores SIGTERM without a handler: the units' stop would wait out the stop timeout
STOPS_ON_TERM = "trap exit TERM; while :; do sleep 1; done"


def _user_launcher() -> str:
    """A `scopebox` the users may run (the bed's /usr/local/bin/scopebox is the venv's, whose
    python lives under root's home) and the user Quadlet generator calling it, in /run's
    generator directory, which comes before the installed one."""
    from supervisor.install_units import render_generator

    site = [p for p in sys.path if p.endswith("site-packages")]
    launcher = "/run/scopebox-rootless-test/scopebox"
    os.makedirs(os.path.dirname(launcher), exist_ok=True)
    with open(launcher, "w") as f:
        f.write(f'#!/bin/sh\nPYTHONPATH={":".join([str(REPO), *site])} '
                'exec /usr/bin/python3 -m supervisor "$@"\n')
    os.chmod(launcher, 0o755)
    gen = "/run/systemd/user-generators/scopebox-quadlet-user-generator"
    os.makedirs(os.path.dirname(gen), exist_ok=True)
    with open(gen, "w") as f:
        f.write(render_generator(launcher, "/usr/bin/python3", str(REPO)))
    os.chmod(gen, 0o755)
    return launcher


def test_quadlet_and_generated_user_units(lingering: User) -> None:
    u = lingering
    launcher = _user_launcher()
    quadlets = os.path.join(u.home, ".config", "containers", "systemd")
    units = os.path.join(u.home, ".config", "systemd", "user")
    for d in (quadlets, units):
        subprocess.run(["runuser", "-u", u.name, "--", "mkdir", "-p", d], check=True)
    with open(os.path.join(quadlets, "qweb.container"), "w") as f:
        f.write("[Container]\nImage=localhost/busybox\nContainerName=qweb\nNetwork=none\n"
                f"Exec=sh -c '{STOPS_ON_TERM}'\n")
    # generate systemd --new for a container made by the user, as a user unit
    u("create", "--name", "gweb", "--network", "none", "busybox", "sh", "-c", STOPS_ON_TERM)
    env = [f"SCOPEBOX_BINARY={launcher}"]
    gen = _as(u, "env", *env, "/usr/bin/python3", "-m", "supervisor", "generate", "systemd",
              "--new", "--name", "gweb")
    assert gen.returncode == 0, gen
    assert "WantedBy=default.target" in gen.stdout
    with open(os.path.join(units, "container-gweb.service"), "w") as f:
        f.write(gen.stdout)
    u("rm", "gweb")
    assert _as(u, "systemctl", "--user", "daemon-reload").returncode == 0
    for unit in ("qweb.service", "container-gweb.service"):
        res = _as(u, "systemctl", "--user", "start", unit)
        assert res.returncode == 0, (unit, res, _as(u, "journalctl", "--user", "-u", unit,
                                                     "-n", "20").stdout)
    names = u("ps", "--format", "{{.Names}} {{.Status}}").stdout
    assert "qweb Up" in names and "gweb Up" in names, names
    for unit in ("qweb.service", "container-gweb.service"):
        assert _as(u, "systemctl", "--user", "stop", unit).returncode == 0
    assert u("ps", "-a", "--format", "{{.Names}}").stdout == ""


_API_CLIENT = """
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"GET /_ping HTTP/1.1\\r\\nHost: d\\r\\n\\r\\n")
print(s.recv(65536).split(b"\\r\\n")[0].decode())
s.sendall(b"GET /v1.41/images/json HTTP/1.1\\r\\nHost: d\\r\\nConnection: close\\r\\n\\r\\n")
data = b""
while chunk := s.recv(65536):
    data += chunk
print(data.split(b"\\r\\n\\r\\n", 1)[1].decode())
"""


def test_users_docker_api_socket(lingering: User, other: User) -> None:
    """The Docker API of a rootless user (issue 18): the product install ships scopebox.socket
    and scopebox.service for `systemctl --user`; enabled by the user, the socket listens in
    the user's runtime dir, the user's alone; a connection starts the user's service, which
    answers from the user's store and exits when idle."""
    u = lingering
    # the user runs this checkout with the system's python3 (the host tier's way)
    wrapper = f"/usr/local/bin/scopebox-api-test-{uuid.uuid4().hex[:6]}"
    with open(wrapper, "w") as f:
        f.write(f"#!/bin/sh\nexec env PYTHONPATH={u.env()['PYTHONPATH']} /usr/bin/python3 "
                '-m supervisor "$@"\n')  # fmt: skip
    os.chmod(wrapper, 0o755)
    user_units = ("/etc/systemd/user/scopebox.socket", "/etc/systemd/user/scopebox.service")
    try:
        res = subprocess.run([sys.executable, "-m", "supervisor.install_units", "--scopebox",
                              wrapper], capture_output=True, text=True, cwd=REPO, timeout=120)
        assert (res.returncode, res.stderr) == (0, "")
        assert all(os.path.exists(p) for p in user_units)

        def user_systemctl(*args: str) -> subprocess.CompletedProcess[str]:
            return _as(u, "systemctl", "--user", *args)

        assert user_systemctl("daemon-reload").returncode == 0
        res = user_systemctl("enable", "--now", "scopebox.socket")
        assert res.returncode == 0, res
        sock = f"{u.xdg}/scopebox/scopebox.sock"
        st = os.stat(sock)
        assert (st.st_uid, oct(st.st_mode & 0o777)) == (u.uid, "0o600")
        assert os.stat(os.path.dirname(sock)).st_uid == u.uid
        assert user_systemctl("is-active", "scopebox.service").stdout.strip() == "inactive"

        res = _as(u, "/usr/bin/python3", "-c", _API_CLIENT, sock)
        assert res.returncode == 0, res
        ping, images = res.stdout.split("\n", 1)
        assert ping == "HTTP/1.1 200 OK"
        assert any("busybox" in tag for i in json.loads(images) for tag in i["RepoTags"])
        assert user_systemctl("is-active", "scopebox.service").stdout.strip() == "active"
        # another user cannot connect (nor root's socket stands in for the user's)
        res = _as(other, "/usr/bin/python3", "-c", _API_CLIENT, sock)
        assert res.returncode != 0 and "PermissionError" in res.stderr, res
        wait_for(lambda: user_systemctl("is-active", "scopebox.service").stdout.strip()
                 == "inactive", 30, "the user's idle service to exit")  # fmt: skip
        assert user_systemctl("show", "-P", "Result", "scopebox.service").stdout.strip() == (
            "success")
        assert user_systemctl("is-active", "scopebox.socket").stdout.strip() == "active"
    finally:
        _as(u, "systemctl", "--user", "disable", "--now", "scopebox.socket", "scopebox.service")
        for path in (*user_units, wrapper):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        _as(u, "systemctl", "--user", "daemon-reload")


def test_user_network_under_the_users_systemd(lingering: User) -> None:
    """A user network (the user's network namespace, slirp4netns) where systemd is PID 1:
    DNS responders are processes of the user's (not the system's socket units), a container
    with a restart policy is reached by name again after kill -9, and the namespace goes
    with the last container."""
    if shutil.which("slirp4netns") is None:
        pytest.skip("needs slirp4netns")
    u = lingering
    u("network", "create", "rlnetsd")
    netns_dir = os.path.join(u.runroot, "netns")
    try:
        u("run", "-d", "--network", "rlnetsd", "--restart", "always", "--name", "rlweb",
          "busybox", "httpd", "-f", "-p", "80", "-h", "/etc")
        hostname = u("inspect", "-f", "{{.Config.Hostname}}", "rlweb").stdout.strip()

        def fetched() -> str:
            res = u("run", "--rm", "--network", "rlnetsd", "busybox", "wget", "-q", "-O", "-",
                    "http://rlweb/hostname", check=False)
            return res.stdout.strip()

        assert fetched() == hostname
        first = _inspect(u, "rlweb")["State"]["Pid"]  # type: ignore[index]
        os.kill(int(first), 9)  # type: ignore[call-overload]
        wait_for(lambda: _inspect(u, "rlweb")["State"]["Pid"]  # type: ignore[index]
                 not in (0, first) and fetched() == hostname, timeout=30,
                 what="the restarted container, by name")
        assert _as(u, "systemctl", "list-units", "--all", "--no-legend",
                   "scopebox-dns-rlnetsd.socket").stdout.strip() == ""
        u("rm", "-f", "-t", "0", "rlweb")
        assert os.listdir(netns_dir) == []
    finally:
        u("rm", "-f", "-t", "0", "rlweb", check=False)
        u("network", "rm", "rlnetsd")
