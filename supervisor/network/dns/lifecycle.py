"""When a network's responder exists: `ensure` on a container's network setup, `release` on its
teardown. stdlib only (sqlite3, subprocess, fcntl): `release` runs from the monitor's exit
command under `python3 -I -S`.

Two modes, one rule -- nothing of ours runs for a network with no container on it:

- systemd (systemd is the system manager and answers: see `systemd_manager`): a transient
  socket unit `scopebox-dns-<network>.socket` on the
  gateway's port 53 (UDP and TCP, `FreeBind=yes`) with its service, made by `systemd-run`.
  The first query starts the responder; it exits after an idle period, the socket stays. The
  socket unit is stopped by `release` when the network's last lease is gone (or by an idle
  responder that finds none); transient units vanish at reboot.
- a plain process (no systemd: a bare host, a container host without an init): `ensure` binds
  the sockets itself and starts a detached responder that inherits them (and the lock on
  `<runroot>/dns/<network>.pid`, which says "a responder is alive" for as long as it lives).
  It exits when idle with no container left; `release` stops it at once when none is left.

`ensure` and `release` run under `<locks>/dns-<network>.lock`, and so does the responder's
decision to exit, so a container joining while the last one leaves never finds its responder
gone: its lease is recorded before `ensure` takes the lock, and `release` counts leases
under it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from typing import Protocol

PORT = 53
IDLE = 60.0
BOOT = ("import sys; sys.path[:0] = sys.argv.pop(1).split(':');"
        " from supervisor.network.dns.server import main; main(sys.argv[1:])")
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
BOOTED_MARKER = "/run/systemd/system"
PRIVATE_SOCKET = "/run/systemd/private"  # what systemd-run and systemctl use as root


class PathsLike(Protocol):
    """What of `supervisor.paths.Paths` is used (a `Paths` is one)."""

    @property
    def db(self) -> str: ...
    @property
    def locks(self) -> str: ...
    @property
    def runroot(self) -> str: ...


class DNSError(Exception):
    """The responder could not be started (its message is one line for the user)."""


def unit_name(network: str) -> str:
    """Network names match [a-zA-Z0-9][a-zA-Z0-9_.-]*: valid in a unit name as they are."""
    return f"scopebox-dns-{network}"


def mode() -> str:
    """'systemd' or 'process'; SCOPEBOX_DNS_MODE overrides (tests, odd hosts)."""
    chosen = os.environ.get("SCOPEBOX_DNS_MODE", "")
    if chosen in ("systemd", "process"):
        return chosen
    if _rootless():  # issue 17: the responder binds in the user's network namespace
        return "process"
    if systemd_manager() and shutil.which("systemd-run"):
        return "systemd"
    return "process"


def systemd_manager(marker: str = BOOTED_MARKER, private: str = PRIVATE_SOCKET) -> bool:
    """systemd runs as the system manager: sd_booted()'s directory *and* the manager's own
    socket. The directory alone is no proof: anything that installs a unit file in
    /run/systemd/system makes it (Podman's tests do), and then systemd-run only says
    "Failed to connect to bus" (the responder runs as a plain process there, as Podman's
    aardvark-dns always does)."""
    if not os.path.isdir(marker):
        return False
    try:
        return stat.S_ISSOCK(os.stat(private).st_mode)
    except OSError:
        return False


def _rootless() -> bool:
    """In a user namespace (rootless): the system's systemd is not ours to ask, and the
    gateways are in the user's network namespace, where only a process of ours can bind."""
    if os.geteuid() != 0:
        return True
    try:
        with open("/proc/self/uid_map", encoding="ascii") as f:
            return f.readline().split() != ["0", "0", "4294967295"]
    except OSError:
        return False


@contextlib.contextmanager
def network_lock(locks: str, network: str) -> Iterator[None]:
    os.makedirs(locks, mode=0o700, exist_ok=True)
    fd = os.open(os.path.join(locks, f"dns-{network}.lock"),
                 os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def nameservers(path: str) -> list[str]:
    """The `nameserver` lines of a resolv.conf (missing file: none)."""
    out = []
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[0] == "nameserver":
                    out.append(parts[1].split("%")[0])
    except OSError:
        pass
    return out


# The store, read with sqlite3 alone --------------------------------------------------------


def _read(db: str, sql: str, args: tuple[str, ...]) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return list(conn.execute(sql, args).fetchall())
    except sqlite3.OperationalError:  # no network table yet: no network, no lease
        return []
    finally:
        conn.close()


def gateways(db: str, network: str) -> list[str] | None:
    """The gateways the responder listens on; None: the network has DNS disabled (or is
    gone)."""
    rows = _read(db, "SELECT data FROM networks WHERE name = ?", (network,))
    if not rows:
        return None
    data = json.loads(str(rows[0][0]))
    if not data.get("dns_enabled"):
        return None
    return [s["gateway"] for s in data.get("subnets", []) if s.get("gateway")]


def users(db: str, network: str) -> int:
    rows = _read(db, "SELECT COUNT(DISTINCT container) FROM net_leases WHERE network = ?",
                 (network,))
    return int(str(rows[0][0])) if rows else 0


# ensure / release --------------------------------------------------------------------------


def ensure(paths: PathsLike, network: str, *, resolv_conf: str = "/etc/resolv.conf",
           idle: float = IDLE) -> None:
    """A responder answers on the network's gateways (idempotent; nothing for a network with
    DNS disabled). Call it after the container's lease is recorded and the bridge is up."""
    gws = gateways(paths.db, network)
    if not gws:
        return
    with network_lock(paths.locks, network):
        if mode() == "systemd":
            _ensure_unit(paths, network, gws, resolv_conf, idle)
        else:
            _ensure_process(paths, network, gws, resolv_conf, idle)


def release(paths: PathsLike, network: str) -> None:
    """Stop the network's responder if no container is left on it (idempotent; safe to call
    for every network a container leaves, DNS or not). The responder would also go by itself
    when idle; this frees port 53 on the gateway at once."""
    with network_lock(paths.locks, network):
        if users(paths.db, network):
            return
        if mode() == "systemd":
            unit = unit_name(network)
            subprocess.run(["systemctl", "stop", f"{unit}.socket", f"{unit}.service"],
                           capture_output=True)
        # Also in systemd mode: a responder started as a process before systemd came up
        # (none: the pid file is not locked, one cheap check) must not outlive its network.
        _stop_process(paths, network)


def _search_path() -> str:
    """Our package, and where anyio is (`-I` ignores PYTHONPATH, which may be how this
    interpreter found it: a rootless user's system python beside a venv, say)."""
    import importlib.util

    spec = importlib.util.find_spec("anyio")
    extra = [os.path.dirname(os.path.dirname(spec.origin))] if spec and spec.origin else []
    return ":".join(dict.fromkeys([PACKAGE_ROOT, *extra]))


def _server_args(paths: PathsLike, network: str, resolv_conf: str, idle: float) -> list[str]:
    return [sys.executable, "-I", "-c", BOOT, _search_path(), "--db", paths.db, "--network",
            network, "--locks", paths.locks, "--resolv-conf", resolv_conf, "--idle", str(idle)]


def _listen(address: str) -> str:
    return f"[{address}]:{PORT}" if ":" in address else f"{address}:{PORT}"


def _ensure_unit(paths: PathsLike, network: str, gws: list[str], resolv_conf: str,
                 idle: float) -> None:
    unit = unit_name(network)
    state = subprocess.run(["systemctl", "is-active", f"{unit}.socket"], capture_output=True,
                           text=True).stdout.strip()
    if state in ("active", "activating"):
        return
    subprocess.run(["systemctl", "reset-failed", f"{unit}.socket", f"{unit}.service"],
                   capture_output=True)
    props = ["FreeBind=yes"]
    for gw in gws:
        props += [f"ListenDatagram={_listen(gw)}", f"ListenStream={_listen(gw)}"]
    argv = ["systemd-run", "--quiet", f"--unit={unit}",
            f"--description=scopebox DNS responder of network {network}",
            *(f"--socket-property={p}" for p in props),
            *_server_args(paths, network, resolv_conf, idle), "--unit", f"{unit}.socket"]
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or ["failed"])[0]
        raise DNSError(f"starting the DNS responder of network {network}: {first}")


def _pid_file(paths: PathsLike, network: str) -> str:
    return os.path.join(paths.runroot, "dns", f"{network}.pid")


def _ensure_process(paths: PathsLike, network: str, gws: list[str], resolv_conf: str,
                    idle: float) -> None:
    pid_file = _pid_file(paths, network)
    os.makedirs(os.path.dirname(pid_file), mode=0o700, exist_ok=True)
    lock = os.open(pid_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # the responder holds it: alive
        socks = _bind(network, gws)
        try:
            fds = [s.fileno() for s in socks]
            argv = _server_args(paths, network, resolv_conf, idle)
            argv += [x for fd in fds for x in ("--fd", str(fd))]
            log = pid_file[:-len(".pid")] + ".log"  # what the journal holds under systemd
            with open(os.devnull, "r+b") as null, open(log, "ab") as err:
                # The lock travels with the inherited descriptor: held while the child lives.
                proc = subprocess.Popen(argv, stdin=null, stdout=null, stderr=err,
                                        pass_fds=[*fds, lock], start_new_session=True)
            os.ftruncate(lock, 0)
            os.pwrite(lock, f"{proc.pid}\n".encode(), 0)
        finally:
            for s in socks:
                s.close()
    finally:
        os.close(lock)


def _bind(network: str, gws: list[str]) -> list[socket.socket]:
    socks: list[socket.socket] = []
    try:
        for gw in gws:
            family = socket.AF_INET6 if ":" in gw else socket.AF_INET
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                s = socket.socket(family, kind)
                socks.append(s)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.setsockopt(socket.SOL_IP, 15, 1)  # IP_FREEBIND: the bridge may come later
                s.bind((gw, PORT))
                if kind == socket.SOCK_STREAM:
                    s.listen(64)
    except OSError as exc:
        for s in socks:
            s.close()
        why = "another program holds it" if exc.errno == errno.EADDRINUSE else exc.strerror
        raise DNSError(f"cannot listen for DNS of network {network} on port {PORT}: {why}") \
            from exc
    return socks


def _stop_process(paths: PathsLike, network: str) -> None:
    """Under the network's lock (as `ensure`, which makes the files): once no responder
    holds the pid file, it goes, and so does an empty log (a network's files do not outlive
    its last container; a log with something in it stays to be read)."""
    pid_file = _pid_file(paths, network)
    try:
        lock = os.open(pid_file, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # the responder holds it
            try:
                pid = int(os.pread(lock, 32, 0).split()[0])
            except (ValueError, IndexError):
                return
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when it has exited: port 53 is free
        os.unlink(pid_file)
        log = pid_file[:-len(".pid")] + ".log"
        with contextlib.suppress(OSError):
            if os.path.getsize(log) == 0:
                os.unlink(log)
    finally:
        os.close(lock)
