"""Service mode: a monitor that systemd restarted after the previous one died (kill -9, OOM).

The previous monitor's container may still run. It is not our child (the kernel re-parented it
to PID 1 when its monitor died), so its exit status would go to PID 1 and be lost; a ptrace
tracer is the one other process the kernel tells: after ``PTRACE_SEIZE`` our ``waitpid`` reports
the container's stops and, at its end, its full wait status. Its stdout/stderr pipes outlived
the dead monitor in systemd's fd store (``FDSTORE=1``, ``FileDescriptorStoreMax=`` of the unit),
so no line is lost and the container never sees ``EPIPE``; systemd hands them to the next
monitor as ``LISTEN_FDS`` (sd_listen_fds(3)).

Only monitors of a restart policy load this module. ``_ctypes`` is already loaded by
:mod:`conmon.main` (``PR_SET_CHILD_SUBREAPER``).
"""

from __future__ import annotations

import _socket
import posix
import select
import sys
import time

from conmon import protocol as P
from conmon import state as S
from conmon.logs import report
from conmon.protocol import STARTED
from conmon.record import rfc3339nano, write_atomic

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal as _signal
    from typing import Protocol

    from conmon.protocol import Options

    class Monitor(Protocol):
        """What adoption uses of `conmon.monitor.Monitor` (which imports this module: a
        Protocol here, so that no import goes back to it)."""

        opts: Options
        pid: int
        restarts: int

        def control_fire(self, event: S.Event) -> None: ...
        def _decide_restart(self, code: int) -> bool: ...
        def _listen(self) -> None: ...
        def _loop(self) -> None: ...
        def _watch_created(self, out_r: int, err_r: int) -> None: ...
        def _watch_sigchld(self) -> None: ...
else:
    import _signal

STDIO = ("stdout", "stderr")  # fd store names of the output pipes' read ends
PTRACE_CONT = 7
PTRACE_SEIZE = 0x4206
PTRACE_LISTEN = 0x4208
PTRACE_EVENT_STOP = 128
SD_LISTEN_FDS_START = 3


def take_over(mon: Monitor, pid: int, pidfd: int, stored: dict[str, int]) -> bool:
    """The previous monitor died. Its container still runs: adopt it and watch it to its
    end (True). It is gone too, or cannot be adopted (killed, then): its exit status is
    lost; record that, counted by the policy as a failure (False; the monitor's control
    state says whether to run it again)."""
    from conmon.restart import read_count

    mon.restarts = read_count(mon.opts.restarts_file)[0]
    if pidfd >= 0:
        seized = seize(pid)
        if not seized:
            _signal.pidfd_send_signal(pidfd, _signal.SIGKILL)
            select.select([pidfd], [], [])  # readable once it has exited
        posix.close(pidfd)
        if seized:
            adopt(mon, pid, stored)
            return True
        why = "its monitor died and it could not be adopted, so it was killed"
    else:
        why = "its monitor died, and it exited meanwhile"
    report(f"conmon: the container's exit status is unknown: {why}")
    forget_started()
    mon.control_fire(S.CONTAINER_EXITED)
    record = P.ExitRecord(P.UNKNOWN_EXIT, finished_at=rfc3339nano(time.time_ns()),
                          error=f"exit status unknown: {why}")  # fmt: skip
    record.restart = mon._decide_restart(record.exit_code)
    try:
        write_atomic(mon.opts.exit_file, record.encode())
    except OSError as exc:
        report(f"conmon: cannot write the exit record {mon.opts.exit_file!r}: {exc}")
    return False


def adopt(mon: Monitor, pid: int, stored: dict[str, int]) -> None:
    """Watch a running container we did not start: its pipes from the fd store, its exit
    status through ptrace. Not a restart: the count stays."""
    report(f"conmon: adopted the running container {pid} (its monitor died)")
    mon.pid = pid
    mon._listen()
    mon._watch_sigchld()
    # The container may have stopped for a signal (a child's SIGCHLD, say) between the seize
    # and our handler: that notice is gone and it waits for us. Look now, as if told.
    posix.kill(posix.getpid(), _signal.SIGCHLD)
    out_r, err_r = (stored.pop(name, -1) for name in STDIO)
    for fd in stored.values():
        posix.close(fd)
    # No fd store (it was full, or the unit was made without one): the container's own
    # pipes, reopened through /proc (what it wrote meanwhile may have failed with EPIPE).
    mon._watch_created(out_r if out_r >= 0 else reopen_output(pid, 1),
                       err_r if err_r >= 0 else reopen_output(pid, 2))  # fmt: skip
    mon._loop()


def start_ticks(pid: int) -> int:
    """Field 22 of /proc/<pid>/stat (start time since boot): with the pid, a process' identity."""
    try:
        fd = posix.open(f"/proc/{pid}/stat", posix.O_RDONLY | posix.O_CLOEXEC)
    except OSError:
        return 0
    try:
        text = posix.read(fd, 4096)
    finally:
        posix.close(fd)
    fields = text[text.rfind(b")") + 2 :].split()
    return int(fields[19]) if len(fields) > 19 else 0


def record_started(pid: int) -> None:
    """After `runtime start`: what the next monitor needs to find this container again."""
    data = b"%d %d\n" % (pid, start_ticks(pid))
    fd = posix.open(STARTED + ".tmp", posix.O_WRONLY | posix.O_CREAT | posix.O_TRUNC
                    | posix.O_CLOEXEC, 0o644)  # fmt: skip
    try:
        posix.write(fd, data)
    finally:
        posix.close(fd)
    posix.rename(STARTED + ".tmp", STARTED)


def find_previous() -> tuple[int, int]:
    """``(pid, pidfd)`` of the previous run's container if it still runs, ``(pid, -1)`` if
    it is gone, ``(0, -1)`` if no run was started since the last exit record."""
    try:
        with open(STARTED, "rb") as f:
            words = f.read().split()
        pid, ticks = int(words[0]), int(words[1])
    except (OSError, ValueError, IndexError):
        return 0, -1
    try:
        pidfd = posix.pidfd_open(pid)
    except OSError:
        return pid, -1
    # Opened first, compared second: the pid cannot be reused under the pidfd.
    if start_ticks(pid) != ticks:
        posix.close(pidfd)
        return pid, -1
    return pid, pidfd


def reopen_output(pid: int, fd: int) -> int:
    """A new read end of the container's stdout/stderr pipe (a pipe opened through /proc is
    the same pipe), or the read end of an empty pipe if that fails."""
    try:
        flags = posix.O_RDONLY | posix.O_NONBLOCK | posix.O_CLOEXEC
        return posix.open(f"/proc/{pid}/fd/{fd}", flags)
    except OSError as exc:
        report(f"conmon: cannot reopen the container's fd {fd}: {exc.strerror}")
    r, w = posix.pipe()
    posix.close(w)
    return r


def forget_started() -> None:
    try:  # noqa: SIM105
        posix.unlink(STARTED)
    except OSError:
        pass


def _ptrace() -> object:
    import _ctypes

    class _Long(_ctypes._SimpleCData):  # type: ignore[type-arg]
        _type_ = "l"

    class _Func(_ctypes.CFuncPtr):
        _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
        _restype_ = _Long

    class _Libc:
        _handle = _ctypes.dlopen(None, posix.RTLD_NOW)  # type: ignore[arg-type]

    func = _Func(("ptrace", _Libc()))  # type: ignore[arg-type]

    def call(request: int, pid: int, data: int) -> None:
        # glibc's ptrace is variadic: every argument must be a full long.
        if func(_Long(request), _Long(pid), _Long(0), _Long(data)) == -1:
            err = _ctypes.get_errno()
            raise OSError(err, posix.strerror(err))

    return call


_call: object = None


def ptrace(request: int, pid: int, data: int = 0) -> None:
    global _call
    if _call is None:
        _call = _ptrace()
    _call(request, pid, data)  # type: ignore[operator]


def seize(pid: int) -> bool:
    """Become the container's tracer, so that our waitpid gets its exit status."""
    try:
        ptrace(PTRACE_SEIZE, pid)
    except OSError as exc:
        report(f"conmon: cannot adopt the container (ptrace: {exc.strerror})")
        return False
    return True


def resume(pid: int, status: int) -> None:
    """A traced container stopped: give it back what stopped it. A signal-delivery stop gets
    its signal injected; a group stop (SIGSTOP, SIGTSTP) stays a stop (``PTRACE_LISTEN``)."""
    try:
        if status >> 16 == PTRACE_EVENT_STOP:
            ptrace(PTRACE_LISTEN, pid)
        else:
            ptrace(PTRACE_CONT, pid, posix.WSTOPSIG(status) if status >> 16 == 0 else 0)
    except OSError as exc:
        report(f"conmon: resuming the traced container: {exc.strerror}")


# -- systemd's fd store ------------------------------------------------------------------


def listen_fds() -> dict[str, int]:
    """The fds systemd passed us (sd_listen_fds(3)) by name, close-on-exec from now on."""
    env = posix.environ
    if env.get(b"LISTEN_PID", b"") != b"%d" % posix.getpid():
        return {}
    try:
        count = int(env.get(b"LISTEN_FDS", b"0"))
    except ValueError:
        return {}
    names = env.get(b"LISTEN_FDNAMES", b"").decode("utf-8", "replace").split(":")
    fds = {}
    for i in range(count):
        fd = SD_LISTEN_FDS_START + i
        posix.set_inheritable(fd, False)  # the runtime and the container must not get them
        name = names[i] if i < len(names) else ""
        if name in fds:
            posix.close(fd)  # a duplicate: keep one
        else:
            fds[name] = fd
    return fds


def _notify(message: bytes, fds: tuple[int, ...] = ()) -> None:
    address = posix.environ.get(b"NOTIFY_SOCKET", b"")
    if not address:
        return
    if address[:1] == b"@":
        address = b"\0" + address[1:]
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_DGRAM | _socket.SOCK_CLOEXEC)
    try:
        rights = b"".join(fd.to_bytes(4, sys.byteorder) for fd in fds)
        ancillary = [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, rights)] if fds else []
        sock.sendmsg([message], ancillary, 0, address)
    except OSError as exc:
        report(f"conmon: sd_notify {message.split(b'=')[0].decode()}: {exc}")
    finally:
        sock.close()


def store_fds(named: dict[str, int]) -> None:
    """Keep these fds in the unit's fd store: they outlive this monitor."""
    for name, fd in named.items():
        _notify(b"FDSTORE=1\nFDNAME=" + name.encode(), (fd,))


def remove_fds(names: tuple[str, ...]) -> None:
    for name in names:
        _notify(b"FDSTOREREMOVE=1\nFDNAME=" + name.encode())
