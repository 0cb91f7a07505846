"""The user's namespace: made once, held by a pause process, joined by every engine process.

Why a long-lived namespace (Podman's choice too): the overlay mounts of running containers, the
runtime's state and the network namespaces of rootless containers live in ONE user namespace
and mount namespace, so a later `ps`, `exec`, `stop` or `rm` (another process) must find the
same ones. A per-command namespace would lose the mounts when the command exits.

- The namespace: a child of the first engine process unshares a user and a mount namespace;
  the parent maps it with the setuid helpers `newuidmap`/`newgidmap` (uidmap package) from
  the user's `/etc/subuid` and `/etc/subgid` ranges: 0 -> the user, 1.. -> the ranges. The
  child then execs `catatonit -P` (or `sleep infinity`): the pause process, in its own session,
  holding no file of ours. `<runroot>/pause.pid` records "<pid> <start ticks>" (pid reuse
  cannot fool it); `<runroot>/pause.lock` serialises its creation.
- Joining: `setns(2)` into its user namespace, then its mount namespace, in-process (the CLI
  is single-threaded here): no re-exec, so a rootless verb costs ~1 ms more than a rootful one.
  Inside, the engine runs as root of the namespace: it mounts overlays, runs runc (which sees
  the user namespace and turns to its rootless cgroup handling) and starts monitors, which
  inherit the namespace.
- The pause process lives until killed (a reboot clears the runtime dir); `scopebox unshare`
  runs any command in the namespace, e.g. to remove files owned by sub-ids.

Nothing here is setuid or runs as root: the kernel checks the helpers' ranges.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator

from supervisor.errors import SystemError_
from supervisor.procs import alive, start_time
from supervisor.rootless import in_user_namespace, user_name
from supervisor.rootless.subids import Range, mapping_args, read

CLONE_NEWUSER = 0x10000000
CLONE_NEWNS = 0x00020000
MS_REC = 0x4000
MS_SLAVE = 0x80000
SUBUID = "/etc/subuid"
SUBGID = "/etc/subgid"


def ensure_joined(runroot: str) -> None:
    """Join the user's namespace (made if needed); nothing when already inside one."""
    if in_user_namespace():
        return
    _check_runroot(runroot, missing_ok=True)  # before reading pause.pid from it
    if pause_pid(runroot) is None:
        id_ranges()  # a user without sub-ids gets the one line before anything is made
    try:
        os.makedirs(runroot, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise SystemError_(f"cannot create the run root {runroot!r}: {exc.strerror}") from exc
    _check_runroot(runroot)
    with _locked(os.path.join(runroot, "pause.lock")):
        pid = pause_pid(runroot)
        if pid is None:
            holder = _live_monitor(runroot)
            if holder is None:
                pid = _start_pause(runroot)
            else:  # join the monitor's own namespaces: the new pause may not be in them yet
                _restart_pause(runroot, holder)
                pid = holder
        fds = [os.open(f"/proc/{pid}/ns/{ns}", os.O_RDONLY | os.O_CLOEXEC)
               for ns in ("user", "mnt")]
    try:
        _join(fds)
    finally:
        for fd in fds:
            os.close(fd)


def _check_runroot(runroot: str, missing_ok: bool = False) -> None:
    """/tmp/scopebox-run-UID is guessable: a directory made by another user, or one others
    may write, must not be used."""
    try:
        st = os.lstat(runroot)
    except FileNotFoundError:
        if missing_ok:
            return
        raise SystemError_(f"the run root {runroot!r} vanished") from None
    except OSError as exc:
        raise SystemError_(f"cannot use the run root {runroot!r}: {exc.strerror}") from exc
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
        raise SystemError_(f"the run root {runroot!r} is not a directory of this user's that "
                           "only they can write: remove it, or set XDG_RUNTIME_DIR")


def pause_pid(runroot: str) -> int | None:
    """The live pause process of this run root, or None."""
    try:
        with open(os.path.join(runroot, "pause.pid"), encoding="ascii") as f:
            pid_text, started = f.read().split()
        pid = int(pid_text)
    except (OSError, ValueError):
        return None
    return pid if alive(pid, started) else None


def id_ranges() -> tuple[list[Range], list[Range]]:
    """The user's subuid and subgid ranges; one line naming what to add when one is missing."""
    uid = os.geteuid()
    name = user_name(uid)
    uids, gids = read(SUBUID, name, uid), read(SUBGID, name, uid)
    for path, found in ((SUBUID, uids), (SUBGID, gids)):
        if not found:
            raise SystemError_(
                f"no subordinate ids for user {name!r} in {path}: as root, add a line such as"
                f" \"{name}:100000:65536\" to {path} (usermod --add-subuids 100000-165535"
                f" --add-subgids 100000-165535 {name})"
            )
    return uids, gids


@contextlib.contextmanager
def _locked(path: str) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _join(fds: list[int]) -> None:
    libc = _libc()
    try:
        cwd: str | None = os.getcwd()
    except OSError:
        cwd = None
    for fd, kind in zip(fds, (CLONE_NEWUSER, CLONE_NEWNS), strict=True):
        if libc.setns(fd, kind) != 0:
            err = ctypes.get_errno()
            raise SystemError_(f"cannot join the user's namespace: {os.strerror(err)}")
    if cwd is not None:
        with contextlib.suppress(OSError):
            os.chdir(cwd)


def _helpers() -> tuple[str, str]:
    found = [shutil.which(h) for h in ("newuidmap", "newgidmap")]
    for name, path in zip(("newuidmap", "newgidmap"), found, strict=True):
        if path is None:
            raise SystemError_(f"{name} not found: install the uidmap package (rootless mode"
                               " maps the user's sub-ids with it)")
    return found[0] or "", found[1] or ""


def _pause_argv() -> list[str]:
    catatonit = shutil.which("catatonit")
    if catatonit:
        return [catatonit, "-P"]
    return [shutil.which("sleep") or "/bin/sleep", "infinity"]


def _start_pause(runroot: str) -> int:
    uids, gids = id_ranges()
    newuidmap, newgidmap = _helpers()
    argv = _pause_argv()
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child execs or exits
        _pause_child(ready_w, go_r, argv)
    os.close(ready_w)
    os.close(go_r)
    try:
        status = os.read(ready_r, 64)
        if status != b"1":
            raise SystemError_("cannot create a user namespace: "
                               f"{status[1:].decode(errors='replace') or 'the child died'}")
        _map(newuidmap, pid, mapping_args(os.geteuid(), uids))
        _map(newgidmap, pid, mapping_args(os.getegid(), gids))
        _write_pidfile(runroot, pid)
        os.write(go_w, b"1")
    except BaseException:
        with contextlib.suppress(OSError):
            os.kill(pid, 9)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        raise
    finally:
        os.close(ready_r)
        os.close(go_w)
    return pid


def _live_monitor(runroot: str) -> int | None:
    """A running monitor of this run root, when the pause process was killed: its user and
    mount namespaces are still the ones holding the containers (Podman joins a conmon's)."""
    import glob

    mine = os.readlink("/proc/self/ns/user")
    for path in glob.glob(os.path.join(runroot, "containers", "*", "monitor.pid")):
        try:
            with open(path, encoding="ascii") as f:
                pid = int(f.read().strip())
            if os.stat(f"/proc/{pid}").st_uid == os.geteuid() and \
                    os.readlink(f"/proc/{pid}/ns/user") != mine:
                return pid
        except (OSError, ValueError):
            continue
    return None


def _restart_pause(runroot: str, holder: int) -> None:
    """A new pause process in the namespaces `holder` is in."""
    fds = [os.open(f"/proc/{holder}/ns/{ns}", os.O_RDONLY | os.O_CLOEXEC)
           for ns in ("user", "mnt")]
    argv = _pause_argv()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child execs or exits
        try:
            libc = _libc()
            for fd, kind in zip(fds, (CLONE_NEWUSER, CLONE_NEWNS), strict=True):
                if libc.setns(fd, kind) != 0:
                    os._exit(1)
            _become_pause(argv)
        finally:
            os._exit(127)
    for fd in fds:
        os.close(fd)
    _write_pidfile(runroot, pid)


def _become_pause(argv: list[str]) -> None:  # pragma: no cover - in the child
    os.setsid()
    null = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.closerange(3, 65536)
    os.chdir("/")
    os.execv(argv[0], argv)


def _pause_child(ready_w: int, go_r: int, argv: list[str]) -> None:  # pragma: no cover
    try:
        libc = _libc()
        if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0:
            os.write(ready_w, b"E" + os.strerror(ctypes.get_errno()).encode())
            os._exit(1)
        os.write(ready_w, b"1")
        os.close(ready_w)
        if os.read(go_r, 1) != b"1":
            os._exit(1)
        # Host mounts keep propagating in; ours never propagate out.
        libc.mount(b"none", b"/", None, MS_REC | MS_SLAVE, None)
        _become_pause(argv)
    finally:
        os._exit(127)


def _map(helper: str, pid: int, args: list[str]) -> None:
    res = subprocess.run([helper, str(pid), *args], capture_output=True, text=True)
    if res.returncode != 0:
        why = (res.stderr.strip().splitlines() or ["failed"])[-1]
        raise SystemError_(f"{os.path.basename(helper)} refused the user's sub-ids: {why}")


def _write_pidfile(runroot: str, pid: int) -> None:
    path = os.path.join(runroot, "pause.pid")
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(f"{pid} {start_time(pid)}\n")
    os.replace(tmp, path)


# A monitor started by the user's systemd (a restart policy's scopebox-<id>.service, issue
# 17) begins outside the user's namespace: this boot joins it (making the pause process again
# if it is gone) and execs the monitor, which keeps its pid (the unit's main process).
JOIN_BOOT = (
    "import sys; sys.path.insert(0, sys.argv.pop(1));"
    " from supervisor.rootless.userns import exec_joined; exec_joined(sys.argv[1:])"
)


def joined_command(runroot: str, argv: list[str]) -> list[str]:
    """`argv` run in the user's namespace of `runroot`, for a unit's ExecStart."""
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return [argv[0], "-I", "-S", "-c", JOIN_BOOT, package_root, runroot, *argv]


def exec_joined(args: list[str]) -> None:  # pragma: no cover - execs
    runroot, argv = args[0], args[1:]
    try:
        ensure_joined(runroot)
    except SystemError_ as exc:
        os.write(2, f"{exc}\n".encode())
        os._exit(125)
    os.execv(argv[0], argv)
