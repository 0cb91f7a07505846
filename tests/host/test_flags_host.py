"""helper "flags": run/create's --preserve-fds (and exec's), --passwd, --passwd-entry and
--hostuser, checked where a user sees them: the descriptors the container's process holds,
/proc/PID/fd, /etc/passwd and /etc/group inside, HOME, the kernel's group list."""

from __future__ import annotations

import os
import pwd
import select
import subprocess
from pathlib import Path

import pytest

from tests.cases import unique
from tests.clihelp import REPO, SCOPEBOX, Scopebox

pytestmark = pytest.mark.host


def _with_fds(sb: Scopebox, fds: list[int], *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI with `fds` at 3, 4, ... (as a shell's `3<file` gives them)."""

    def place() -> None:
        for i, fd in enumerate(fds):
            os.dup2(fd, 3 + i)  # dup2 clears close-on-exec

    return subprocess.run([*SCOPEBOX, *args], capture_output=True, text=True, cwd=REPO,
                          env=sb.environ(), stdin=subprocess.DEVNULL, timeout=120,
                          preexec_fn=place, close_fds=False)


# --preserve-fds -----------------------------------------------------------------------------


def test_preserve_fds_hands_the_descriptors_to_the_container(sb: Scopebox, tmp_path: Path) -> None:
    data = tmp_path / "in.txt"
    data.write_text("from fd 3\n")
    r, w = os.pipe()
    os.write(w, b"from fd 4\n")
    os.close(w)
    with open(data) as f:
        res = _with_fds(sb, [f.fileno(), r], "run", "--rm", "--preserve-fds", "2", "busybox",
                        "sh", "-c", "cat <&3; cat <&4; ls /proc/self/fd | sort -n | tr '\\n' ' '")
    os.close(r)
    assert res.returncode == 0, res
    # 0-2, the two passed, and ls's own directory fd: nothing of scopebox's leaks in
    assert res.stdout == "from fd 3\nfrom fd 4\n0 1 2 3 4 5 ", res


def test_without_preserve_fds_nothing_leaks_in(sb: Scopebox, tmp_path: Path) -> None:
    with open(tmp_path / "x", "w") as f:
        res = _with_fds(sb, [f.fileno()], "run", "--rm", "busybox", "sh", "-c",
                        "ls /proc/self/fd | sort -n | tr '\\n' ' '")
    assert (res.returncode, res.stdout) == (0, "0 1 2 3 "), res  # 3: ls's own


def test_preserve_fds_the_monitor_keeps_no_copy(sb: Scopebox) -> None:
    """Detached: the container writes to the pipe and closes it; the reader then sees EOF, so
    neither the monitor nor the runtime still holds the write end."""
    name = unique("pfd")
    r, w = os.pipe()
    res = _with_fds(sb, [w], "run", "-d", "--name", name, "--preserve-fds", "1", "busybox",
                    "sh", "-c", "echo hello >&3; exec 3>&-; sleep 1000")
    os.close(w)
    try:
        assert res.returncode == 0, res
        got = b""
        while True:
            ready, _, _ = select.select([r], [], [], 20)
            assert ready, f"no EOF: something still holds the pipe (read {got!r})"
            chunk = os.read(r, 100)
            if not chunk:
                break
            got += chunk
        assert got == b"hello\n"
    finally:
        os.close(r)
        sb("rm", "-f", "-t", "0", name)


def test_preserve_fds_missing_is_refused_before_anything_is_made(sb: Scopebox) -> None:
    name = unique("pfd")
    res = sb("run", "--name", name, "--preserve-fds", "2", "busybox", "true", check=False)
    assert (res.returncode, res.stderr) == (125, "Error: file descriptor 3 is not available -"
                                            " the preserve-fds option requires that file"
                                            " descriptors must be passed\n")
    assert sb("ps", "-a", "--filter", f"name={name}", "-q").stdout == ""


def test_exec_preserve_fds(sb: Scopebox, tmp_path: Path) -> None:
    name = unique("pfd")
    sb("run", "-d", "--name", name, "busybox", "sleep", "1000")
    try:
        (tmp_path / "e").write_text("exec fd\n")
        with open(tmp_path / "e") as f:
            res = _with_fds(sb, [f.fileno()], "exec", "--preserve-fds", "1", name, "sh", "-c",
                            "cat <&3")
        assert (res.returncode, res.stdout) == (0, "exec fd\n"), res
        res = sb("exec", "--preserve-fds", "1", name, "true", check=False)
        assert res.returncode == 125 and "file descriptor 3 is not available" in res.stderr
    finally:
        sb("rm", "-f", "-t", "0", name)


# --passwd, --passwd-entry, --hostuser ------------------------------------------------------


def _tail(sb: Scopebox, *args: str) -> list[str]:
    out = sb("run", "--rm", *args, "busybox", "sh", "-c",
             "tail -1 /etc/passwd; tail -1 /etc/group; echo HOME=$HOME; id -G").stdout
    return out.splitlines()


def test_a_uid_the_image_lacks_gets_entries(sb: Scopebox) -> None:
    assert _tail(sb, "-u", "1234") == ["1234:*:1234:0:container user:/:/bin/sh",
                                       "1234:x:1234:1234", "HOME=/", "0"]
    assert _tail(sb, "-u", "1234:55", "-w", "/tmp") == [
        "1234:*:1234:55:container user:/tmp:/bin/sh", "55:x:55:1234", "HOME=/tmp", "55"]
    # a user the image has: nothing added (busybox's nobody), its group first in the list
    assert _tail(sb, "-u", "nobody") == ["nobody:x:65534:65534:nobody:/nonexistent:/bin/false",
                                         "nogroup:x:65534:", "HOME=/nonexistent", "65534"]


def test_passwd_false_adds_nothing(sb: Scopebox) -> None:
    lines = _tail(sb, "-u", "1234", "--passwd=false", "--hostuser", "root")
    assert lines[:2] == ["nobody:x:65534:65534:nobody:/nonexistent:/bin/false",
                         "nogroup:x:65534:"]


def test_passwd_entry_template(sb: Scopebox) -> None:
    lines = _tail(sb, "-u", "1234:55", "-w", "/home", "--passwd-entry",
                  "$USERNAME:x:$UID:$GID:$NAME:$HOME:/bin/false")
    assert lines[0] == "1234:x:1234:55:container user:/home:/bin/false"


def test_entries_once_across_restarts_and_in_a_read_only_root(sb: Scopebox) -> None:
    name = unique("pw")
    sb("create", "--name", name, "-u", "4321", "busybox", "grep", "-c", "^4321:", "/etc/passwd")
    try:
        for _ in range(2):
            sb("start", name)
            assert sb("wait", name).stdout == "0\n"
            assert sb("logs", "--tail", "1", name).stdout == "1\n"
    finally:
        sb("rm", "-f", name)
    out = sb("run", "--rm", "-u", "4321", "--read-only", "busybox", "sh", "-c",
             "grep -c ^4321: /etc/passwd; grep -E ' /etc/(passwd|group) ' /proc/mounts"
             " | cut -d' ' -f2,4 | cut -d, -f1").stdout
    assert out == "1\n/etc/group ro\n/etc/passwd ro\n"


@pytest.fixture(scope="module")
def host_account() -> pwd.struct_passwd:
    """A host account busybox's image does not have (Debian's daemon, bin, sys...)."""
    for name in ("daemon", "bin", "sys", "mail", "www-data"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    pytest.skip("no host account to copy")


def test_hostuser_copies_the_host_account(sb: Scopebox, host_account: pwd.struct_passwd
                                           ) -> None:
    a = host_account
    gecos = a.pw_gecos.split(",")[0]
    lines = _tail(sb, "--hostuser", a.pw_name, "-w", "/tmp")
    assert lines[0] == f"{a.pw_name}:*:{a.pw_uid}:{a.pw_gid}:{gecos}:/tmp:/bin/sh"
    assert lines[2] == "HOME=/tmp"
    lines = _tail(sb, "--hostuser", str(a.pw_uid), "-v", f"/tmp:{a.pw_dir}")
    assert lines[0] == f"{a.pw_name}:*:{a.pw_uid}:{a.pw_gid}:{gecos}:{a.pw_dir}:/bin/sh"
    assert lines[2] == f"HOME={a.pw_dir}"  # its home is mounted: kept
    lines = _tail(sb, "--hostuser", a.pw_name, "-e", "HOME=/elsewhere")
    assert lines[2] == "HOME=/elsewhere"  # -e wins


def test_hostuser_unknown_is_one_line_and_126(sb: Scopebox) -> None:
    name = unique("pw")
    res = sb("run", "--name", name, "--hostuser", "no-such-user-x", "busybox", "true",
             check=False)
    assert res.returncode == 126, res
    assert res.stderr.startswith("Error: creating temporary passwd file for container ")
    assert res.stderr.endswith(": user: unknown user no-such-user-x\n")
    assert res.stderr.count("\n") == 1
    sb("rm", "-f", name)


# dependencies (supervisor/depends.py) --------------------------------------------------------


def test_joining_a_created_container_starts_it_first(sb: Scopebox) -> None:
    owner, other = unique("dep"), unique("dep")
    sb("create", "--name", owner, "busybox", "sleep", "1000")
    try:
        sb("run", "-d", "--name", other, "--uts", f"container:{owner}", "--requires", owner,
           "busybox", "sleep", "1000")
        pids = [int(sb("inspect", "--format", "{{.State.Pid}}", n).stdout) for n in (owner, other)]
        assert all(pids)
        assert os.readlink(f"/proc/{pids[0]}/ns/uts") == os.readlink(f"/proc/{pids[1]}/ns/uts")
        owner_id = sb("inspect", "--format", "{{.Id}}", owner).stdout.strip()
        assert sb("inspect", "--format", "{{json .Dependencies}}", other).stdout == (
            f'["{owner_id}"]\n')
        # the owner cannot go while the other depends on it, not even with -f ...
        res = sb("rm", "-f", owner, check=False)
        assert res.returncode == 125 and "has dependent containers" in res.stderr, res
        # ... and a stop of both, then a start of the dependent starts the owner again
        sb("stop", "-t", "0", other, owner)
        sb("start", other)
        assert sb("inspect", "--format", "{{.State.Status}}", owner).stdout == "running\n"
    finally:
        res = sb("rm", "-f", "-t", "0", "--depend", owner)
        assert res.stdout.count("\n") == 2, res  # both ids: the dependent first
