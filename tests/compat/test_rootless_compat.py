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
