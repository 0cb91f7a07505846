"""Rootless beside rootless podman, as the same real user (issue 17): where the two differ on
purpose (docs/DIFFERENCES.md, "Rootless limits on a cgroup v1 or hybrid host"), both sides are
asserted, so a change in either shows."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clihelp import REPO
from tests.host.test_rootless_host import User, _missing
from tests.host.test_rootless_host import user as user  # the fixture

pytestmark = [pytest.mark.host, pytest.mark.compat,
              pytest.mark.skipif(_missing() is not None, reason=str(_missing()))]

HYBRID = not os.path.exists("/sys/fs/cgroup/cgroup.controllers")


def _podman(u: User, *args: str) -> subprocess.CompletedProcess[str]:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    argv = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs", *args[:1],
            *(["--ulimit", f"nofile={hard}:{hard}"] if args[:1] == ("run",) else []),
            *args[1:]]
    return subprocess.run(u.argv(*argv), capture_output=True, text=True, timeout=120, cwd="/",
                          stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def podman_user(user: User) -> Iterator[User]:
    """The user with busybox in podman's store too; podman's pause process ends after."""
    tar = os.path.join(user.xdg, "busybox-podman.tar")
    subprocess.run(["sh", str(REPO / "packaging/busybox-rootfs.sh"), tar], check=True,
                   capture_output=True)
    os.chmod(tar, 0o644)
    try:
        res = _podman(user, "import", "--change", 'CMD ["sh"]', tar, "busybox")
        assert res.returncode == 0, res
        yield user
    finally:
        os.unlink(tar)
        _podman(user, "rm", "-a", "-f")
        try:
            pid = int(Path(user.xdg, "libpod/tmp/pause.pid").read_text().split()[0])
            os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass


@pytest.mark.skipif(not HYBRID, reason="the difference is a cgroup v1/hybrid host's")
def test_limits_on_a_hybrid_host_are_refused_where_podman_ignores_them(
        podman_user: User) -> None:
    u = podman_user
    limits = ("--memory", "64m", "--cpus", "0.5", "--pids-limit", "50")
    theirs = _podman(u, "run", "--rm", "--network", "none", *limits, "localhost/busybox",
                     "echo", "ran")
    # Podman 4.3: a warning, and the container runs without any limit
    assert theirs.returncode == 0 and theirs.stdout == "ran\n", theirs
    assert ("Resource limits are not supported and ignored on cgroups V1 rootless systems"
            in theirs.stderr), theirs
    ours = u("run", "--rm", "--network", "none", *limits, "busybox", "echo", "ran",
             check=False)
    # scopebox: refused in one line, nothing run (a limit asked for is never dropped silently)
    assert ours.returncode == 125 and ours.stdout == "", ours
    assert ours.stderr.count("\n") == 1 and "cgroup v1 or hybrid host" in ours.stderr, ours
    assert u("ps", "-a", "--format", "{{.Names}}").stdout == ""


def test_user_networks_beside_podman(podman_user: User) -> None:
    """Rootless user networks (Podman's rootless netns): the same user runs both, each on a
    network of its own store; exit codes, the container's view and the host's are alike.
    (Names across containers are not compared: podman here has CNI without the dnsname
    plugin, so its containers cannot resolve each other; scopebox's test does.)"""
    import re
    import socket
    import urllib.request

    from tests.clihelp import wait_for

    u = podman_user

    def both(*args: str) -> tuple[subprocess.CompletedProcess[str],
                                  subprocess.CompletedProcess[str]]:
        theirs = _podman(u, *[("localhost/busybox" if a == "busybox" else a) for a in args])
        return theirs, u(*args, check=False)

    def free_port() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])

    def served(port: int) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/hostname", timeout=2) as r:
                return bool(r.read().strip())
        except OSError:
            return False

    theirs, ours = both("network", "create", "rlnetcmp")
    assert (theirs.returncode, theirs.stdout) == (ours.returncode, ours.stdout) == \
        (0, "rlnetcmp\n"), (theirs, ours)
    try:
        theirs, ours = both("run", "--rm", "--network", "rlnetcmp", "busybox", "sh", "-c",
                            "exit 3")
        assert theirs.returncode == ours.returncode == 3, (theirs, ours)
        theirs, ours = both("run", "--rm", "--network", "rlnetcmp", "busybox", "ip", "-o",
                            "-4", "addr", "show", "eth0")
        for res in (theirs, ours):  # the address after the last one given (IPAM's history)
            assert re.search(r"eth0 +inet 10\.89\.\d+\.\d+/24 ", res.stdout), res
        ports = (free_port(), free_port())
        httpd = ("httpd", "-f", "-p", "80", "-h", "/etc")
        theirs = _podman(u, "run", "-d", "--name", "rlcmp", "--network", "rlnetcmp", "-p",
                         f"{ports[0]}:80", "localhost/busybox", *httpd)
        ours = u("run", "-d", "--name", "rlcmp", "--network", "rlnetcmp", "-p",
                 f"{ports[1]}:80", "busybox", *httpd, check=False)
        assert theirs.returncode == ours.returncode == 0, (theirs, ours)
        for port in ports:
            wait_for(lambda port=port: served(port), what=f"port {port}")  # type: ignore[misc]
        # a container on slirp4netns cannot join a network: Podman's words and code
        theirs, ours = both("run", "-d", "--name", "rlslirp", "--network", "slirp4netns",
                            "busybox", "sleep", "60")
        assert theirs.returncode == ours.returncode == 0, (theirs, ours)
        theirs, ours = both("network", "connect", "rlnetcmp", "rlslirp")
        assert (theirs.returncode, theirs.stderr.splitlines()[-1:]) == \
            (ours.returncode, ours.stderr.splitlines()) == \
            (125, ['Error: "slirp4netns" is not supported: invalid network mode']), \
            (theirs, ours)
        # unshare --rootless-netns: the command's exit code; its links, tap0 among them
        theirs, ours = both("unshare", "--rootless-netns", "sh", "-c",
                            "ip -o link | cut -d: -f2; exit 7")
        for res in (theirs, ours):
            assert res.returncode == 7 and " tap0" in res.stdout.splitlines(), res
    finally:
        for rm in (lambda *a: _podman(u, *a), lambda *a: u(*a, check=False)):
            rm("rm", "-f", "-t", "0", "rlcmp", "rlslirp")
            rm("network", "rm", "rlnetcmp")
        _kill_podman_netns(u)  # podman 4.3 may keep its after `unshare --rootless-netns`
    assert not served(ports[1])
    assert u("ps", "-a", "--format", "{{.Names}}").stdout == ""


def _kill_podman_netns(u: User) -> None:
    ns = os.path.join(u.xdg, "netns", "rootless-netns-").encode()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if cmd.startswith(b"/usr/bin/slirp4netns\0") and ns in cmd:
            os.kill(int(pid), signal.SIGKILL)
