"""Monitor entry point: protocol step 1 with the fewest possible imports.

Everything up to ``{"monitor_pid": N}`` uses only builtin modules (``posix``, ``sys``), so the
engine learns our pid ~7 ms sooner; the rest of the monitor (:mod:`conmon.monitor`) is
imported while the engine moves us into our scope, before we block on the start fd.
"""

from __future__ import annotations

import _socket
import posix
import sys

from conmon.protocol import (
    CTL,
    MONITOR_PID,
    Options,
    UsageError,
    bind_attach,
    parse_args,
    sync_monitor_pid,
)

PR_SET_CHILD_SUBREAPER = 36


def set_child_subreaper() -> None:
    """prctl(PR_SET_CHILD_SUBREAPER): the container's init is re-parented to us.

    ``_ctypes`` directly: the ``ctypes`` package costs ~0.2 MiB more for the process' life.
    """
    import _ctypes

    class _Int(_ctypes._SimpleCData):  # type: ignore[type-arg]
        _type_ = "i"

    class _Func(_ctypes.CFuncPtr):
        _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
        _restype_ = _Int

    class _Libc:
        _handle = _ctypes.dlopen(None, posix.RTLD_NOW)  # type: ignore[arg-type]

    prctl = _Func(("prctl", _Libc()))  # type: ignore[arg-type]
    if prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        err = _ctypes.get_errno()
        raise OSError(err, f"prctl(PR_SET_CHILD_SUBREAPER): {posix.strerror(err)}")


def _report(message: str) -> None:
    try:  # noqa: SIM105 - contextlib costs the monitor memory
        posix.write(2, (message + "\n").encode("utf-8", "replace"))
    except OSError:
        pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[posix.write(fd, view) :]


def announce(opts: Options) -> _socket.socket:
    """Run dir, attach socket, ``monitor.pid`` and the first sync line (the engine waits for
    it, then may connect to ``attach`` at once)."""
    if not opts.service:
        posix.set_inheritable(opts.sync_fd, False)  # runtime and container must not hold it
        posix.set_inheritable(opts.start_fd, False)
    try:  # noqa: SIM105 - contextlib costs the monitor memory
        posix.mkdir(opts.rundir, 0o700)  # a restarted service finds it; after a reboot not
    except FileExistsError:
        pass
    posix.chdir(opts.rundir)
    if opts.terminal:  # terminals: the resize FIFO exists before any client can connect
        try:  # noqa: SIM105
            posix.mkfifo(CTL, 0o600)
        except FileExistsError:
            pass
        # ... and is held open from now on: a FIFO nobody holds drops what a client wrote
        # and closed (a foreground run's size, sent as soon as the attach socket is bound,
        # before the monitor's loop opens the FIFO), and the first command would read 0x0
        posix.open(CTL, posix.O_RDWR | posix.O_NONBLOCK | posix.O_CLOEXEC)
    listener = bind_attach()
    me = posix.getpid()
    fd = posix.open(MONITOR_PID + ".tmp", posix.O_WRONLY | posix.O_CREAT | posix.O_TRUNC, 0o644)
    try:
        _write_all(fd, b"%d\n" % me)
    finally:
        posix.close(fd)
    posix.rename(MONITOR_PID + ".tmp", MONITOR_PID)
    if opts.service:
        return listener  # no engine on the other end: systemd started us
    try:
        _write_all(opts.sync_fd, sync_monitor_pid(me))
    except OSError as exc:
        _report(f"conmon: writing to the sync fd: {exc}")  # engine gone; go on anyway
    return listener


def main() -> None:
    """Entry point: ``python3 -I -S -c "...; main()" --cid=... ...``."""
    try:
        opts = parse_args(sys.argv[1:])
    except UsageError as exc:
        _report(f"conmon: {exc}")
        posix._exit(2)
    # Under systemd (--service) we are the unit's main process: no fork, systemd made our session.
    if not opts.service:
        if posix.fork():
            posix._exit(0)  # the engine reaps the intermediate process
        try:  # noqa: SIM105
            posix.setsid()
        except OSError:
            pass  # already a session leader
    try:
        set_child_subreaper()
    except OSError as exc:
        _report(f"conmon: {exc}; the container's exit status may be lost")
    try:
        listener = announce(opts)
        from conmon.monitor import Monitor

        code = Monitor(opts, listener).run()
    except BaseException as exc:
        _report(f"conmon: fatal: {exc!r}")
        posix._exit(3)
    posix._exit(code)
