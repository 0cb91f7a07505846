"""Rootless user networks (issue 17): one network namespace per user, Podman 4.3's "rootless
netns".

A user cannot make bridges, veths or nftables rules in the host's network namespace. So, as
Podman, the user's bridge networks live in one network namespace of the user's own
(`$RUNROOT/netns/rootless-netns`, made inside the user's namespace, which owns it), joined
to the outside by one `slirp4netns` (tap0, 10.0.2.100/24: its outbound traffic is the
user's). Inside it the engine's own code makes bridges, veths, the `inet scopebox` table and
the DNS responders, exactly as root's does on the host: callers run
`kernel.setup`/`teardown` from a thread that entered it (`run_in`). Each forward's element
matches the port alone (`pf4_any`: every host address arrives on 10.0.2.100). A published
TCP port is a listening socket made in the host's namespace and handed to the user's port
forwarder (`portfwd.py`, one process per user living in the namespace, Podman's
rootlessport), which connects from inside straight to the container's address and port:
slirp4netns's own forwarder (a userspace TCP stack) moved ~22 MiB/s here against ~60 for
this and for rootlessport. A UDP port is an `add_hostfwd` on the slirp4netns (host
`ADDR:PORT` -> 10.0.2.100:PORT, DNATed in prerouting). The namespace, its slirp4netns and
its forwarder go when the user's last container on a bridge network leaves (`release`, from
each container's teardown), as Podman cleans its netns up.

Everything is under `<locks>/rootless-netns.lock`; a container's lease is recorded before
`ensure` and released before `release`, so a container joining while the last one leaves
finds the namespace made again. A killed slirp4netns or forwarder is replaced by the next
`ensure`, with every recorded port forwarded again. Standard library only (the monitor's
exit command runs `release` under `python3 -I -S`).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from supervisor.errors import SystemError_

if TYPE_CHECKING:
    from supervisor.network.db import NetworkDB, PortClaim
    from supervisor.network.nft import Forward
    from supervisor.paths import Paths

T = TypeVar("T")
NAME = "rootless-netns"
TUN = "/dev/net/tun"
GUEST = "10.0.2.100"  # slirp4netns's address for the namespace (tap0), Podman's too
# slirp4netns as Podman starts it for its rootless netns (MTU 65520, no host loopback)
SLIRP_OPTS = ("--configure", "--mtu=65520", "--disable-host-loopback", "--netns-type=path")


def path(runroot: str) -> str:
    return os.path.join(runroot, "netns", NAME)


def _pidfile(runroot: str) -> str:
    return path(runroot) + ".slirp.pid"


def _api(runroot: str) -> str:
    return path(runroot) + ".slirp"


@contextlib.contextmanager
def _lock(locks: str) -> Iterator[None]:
    os.makedirs(locks, mode=0o700, exist_ok=True)
    fd = os.open(os.path.join(locks, f"{NAME}.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def mounted(ns: str) -> bool:
    """The file holds a network namespace (a bind mount of nsfs), not just an empty file."""
    try:
        return os.stat(ns).st_dev == os.stat("/proc/self/ns/net").st_dev
    except OSError:
        return False


def current(paths: Paths) -> str | None:
    """The user's namespace when it exists (teardown, `network rm`, reload); else None."""
    ns = path(paths.runroot)
    return ns if mounted(ns) else None


def ensure(paths: Paths, ndb: NetworkDB, publishing: str = "") -> str:
    """The namespace, with a live slirp4netns and forwarder forwarding every recorded port
    (but the TCP ports of container `publishing`, whose `publish` follows); its path."""
    ns = path(paths.runroot)
    with _lock(paths.locks):
        if not mounted(ns):
            _kill(paths.runroot)  # a slirp4netns of a namespace that is gone
            _make(ns)
        try:
            if _slirp_pid(paths.runroot) is None:
                _start_slirp(paths.runroot, ns)
                _forward(paths.runroot, [c for c in ndb.port_claims() if c.proto == "udp"])
            tcp = [c for c in ndb.port_claims() if c.proto == "tcp"]
            # only while a TCP port is published (this container's are recorded already)
            if tcp and _pid(_fwd_pidfile(paths.runroot), ns) is None:
                _start_forwarder(paths.runroot, ns)
                _fwd_add(paths.runroot, [c for c in tcp if c.container != publishing])
        except BaseException:  # after a kill: every recorded port again, or nothing
            _remove(paths.runroot)
            raise
    return ns


def release(paths: Paths, ndb: NetworkDB) -> None:
    """The namespace and its slirp4netns go when no container holds a lease (idempotent)."""
    ns = path(paths.runroot)
    if not os.path.exists(ns) and not os.path.exists(_pidfile(paths.runroot)):
        return
    with _lock(paths.locks):
        if ndb.leases():
            return
        _remove(paths.runroot)


def publish(paths: Paths, claims: Sequence[PortClaim]) -> None:
    """A container's published ports: TCP by the user's forwarder (`portfwd.py`), UDP by
    the namespace's slirp4netns."""
    _fwd_add(paths.runroot, [c for c in claims if c.proto == "tcp"])
    _forward(paths.runroot, [c for c in claims if c.proto == "udp"])


def unpublish(paths: Paths, claims: Sequence[PortClaim]) -> None:
    """Idempotent: the forwards of these claims go (none left when their process is gone)."""
    for c in claims:
        if c.proto == "tcp":
            with contextlib.suppress(OSError, ValueError):
                _fwd_call(paths.runroot, {"remove": [c.host_ip, c.host_port]})
    claims = [c for c in claims if c.proto == "udp"]
    api = _api(paths.runroot)
    if not claims or _slirp_pid(paths.runroot) is None:
        return
    with contextlib.suppress(OSError, ValueError):
        wanted = {(c.proto, c.host_ip or "0.0.0.0", c.host_port) for c in claims}
        for e in _listed(api):
            if (e.get("proto"), e.get("host_addr"), e.get("host_port")) in wanted:
                _call(api, {"execute": "remove_hostfwd", "arguments": {"id": e["id"]}})


def user_forwards(fwds: Iterable[Forward]) -> tuple[Forward, ...]:
    """In the namespace a forwarded port arrives on 10.0.2.100, whatever host address
    slirp4netns took it on: the DNAT element matches the port alone (`pf4_any`)."""
    return tuple(f._replace(host_ip="") for f in fwds)


def run_in(ns: str, fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in a thread of its own that enters the namespace: its sockets, `ip`
    processes and /proc/sys/net writes act there. A thread, because nothing in the user's
    namespace may enter the host's network namespace again (it belongs to the host's user
    namespace): the thread ends there instead. `fn` must not use the store's connection
    (sqlite's belong to their thread)."""
    import threading

    from supervisor.network import rtnl

    out: list[T] = []
    err: list[BaseException] = []

    def body() -> None:
        try:
            fd = os.open(ns, os.O_RDONLY | os.O_CLOEXEC)
            try:
                rtnl._check(rtnl._libc().setns(fd, rtnl.CLONE_NEWNET),
                            "cannot enter the rootless network namespace")
            finally:
                os.close(fd)
            out.append(fn(*args))
        except BaseException as exc:  # raised again in the caller's thread
            err.append(exc)

    t = threading.Thread(target=body, name=NAME)
    t.start()
    t.join()
    if err:
        if isinstance(err[0], rtnl.RtnlError):
            raise SystemError_(f"rootless network namespace: {err[0].strerror}") from err[0]
        raise err[0]
    return out[0]


# Making and unmaking -------------------------------------------------------------------------


def _make(ns: str) -> None:
    from supervisor.network.netlink import NetlinkError, create_netns

    try:
        create_netns(ns)  # a process: this one could not come back to its own namespace
    except NetlinkError as exc:
        raise SystemError_(str(exc).replace("a network namespace", "the rootless network "
                                            "namespace")) from exc
    run_in(ns, _lo_up)


def _lo_up() -> None:
    from supervisor.network import rtnl

    with rtnl.Socket() as s:
        s.request([rtnl.set_link(index=rtnl.LOOPBACK_IFINDEX, up=True)])


def _start_slirp(runroot: str, ns: str) -> None:
    slirp = shutil.which("slirp4netns")
    if slirp is None:
        raise SystemError_("rootless bridge networks need slirp4netns: install the slirp4netns "
                           "package (or use --network pasta or none)")
    if not os.access(TUN, os.R_OK | os.W_OK):  # (create checked it; a mode changed since)
        raise SystemError_(f"rootless networking needs {TUN} usable by the user (udev's "
                           f"default mode 0666): chmod 0666 {TUN} (or use --network none)")
    from supervisor.network.slirp4netns import launch

    api = _api(runroot)
    launch(lambda ready_fd: [slirp, *SLIRP_OPTS, f"--api-socket={api}",
                             f"--ready-fd={ready_fd}", ns, "tap0"], api, _pidfile(runroot))


def _fwd_pidfile(runroot: str) -> str:
    return path(runroot) + ".ports.pid"


def _fwd_ctl(runroot: str) -> str:
    return path(runroot) + ".ports"


FWD_BOOT = ("import sys; sys.path.insert(0, sys.argv.pop(1));"
            " from supervisor.rootless.portfwd import main; main(sys.argv[1:])")


def _start_forwarder(runroot: str, ns: str) -> None:
    """The forwarder, started from a thread in the namespace (so it lives there), with its
    control socket made here and handed over: a request never races its start."""
    import sys

    ctl_path = _fwd_ctl(runroot)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(ctl_path)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as ctl:
        ctl.bind(ctl_path)
        ctl.listen(16)
        argv = [sys.executable, "-I", "-S", "-c", FWD_BOOT, root, str(ctl.fileno()), ns]
        proc = run_in(ns, functools.partial(
            subprocess.Popen, argv, pass_fds=(ctl.fileno(),), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
    with open(_fwd_pidfile(runroot), "w", encoding="ascii") as f:
        f.write(f"{proc.pid}\n")


def _fwd_add(runroot: str, claims: Iterable[PortClaim]) -> None:
    """Each claim's listening socket, made here in the host's namespace, to the forwarder."""
    for c in claims:
        family = socket.AF_INET6 if ":" in c.host_ip else socket.AF_INET
        lis = socket.socket(family, socket.SOCK_STREAM)
        try:
            lis.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            lis.bind((c.host_ip or "0.0.0.0", c.host_port))
            lis.listen(128)
            _fwd_call(runroot, {"add": [c.host_ip, c.host_port],
                                "to": [c.container_ip, c.container_port]}, lis.fileno())
        except (OSError, ValueError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise SystemError_(f"cannot publish port {c.host_port}: {why}") from exc
        finally:
            lis.close()


def _fwd_call(runroot: str, request: dict[str, object], fd: int = -1) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(_fwd_ctl(runroot))
        socket.send_fds(s, [json.dumps(request).encode()], [fd] if fd >= 0 else [])
        if s.recv(2) != b"ok":
            raise ValueError("the port forwarder did not answer")


def _forward(runroot: str, claims: Iterable[PortClaim]) -> None:
    """Idempotent: a claim already forwarded (a slirp4netns made again just now forwarded
    every recorded one, this container's too) is left alone."""
    api = _api(runroot)
    done = {(e.get("proto"), e.get("host_addr"), e.get("host_port")) for e in _listed(api)}
    for c in claims:
        if c.proto not in ("tcp", "udp") or (c.proto, c.host_ip or "0.0.0.0",
                                             c.host_port) in done:
            continue  # slirp4netns forwards tcp and udp only (Podman refuses sctp rootless)
        try:
            answer = _call(api, {"execute": "add_hostfwd", "arguments": {
                "proto": c.proto, "host_addr": c.host_ip or "0.0.0.0",
                "host_port": c.host_port, "guest_addr": GUEST, "guest_port": c.host_port}})
        except (OSError, ValueError) as exc:
            raise SystemError_(f"cannot publish port {c.host_port}: slirp4netns: {exc}") from exc
        if "error" in answer:
            err = answer["error"]
            raise SystemError_(f"cannot publish port {c.host_port}: "
                               f"{err.get('desc', err) if isinstance(err, dict) else err}")


def _listed(api: str) -> list[dict[str, Any]]:
    try:
        ret = _call(api, {"execute": "list_hostfwd"})
    except (OSError, ValueError):
        return []
    inner = ret.get("return")  # slirp4netns 1.2 answers {"entries": [...]} at the top
    entries = (inner if isinstance(inner, dict) else ret).get("entries", [])
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, dict)]


def _call(api: str, request: dict[str, object]) -> dict[str, object]:
    from supervisor.network.slirp4netns import exchange

    reply = exchange(api, request)
    answer = json.loads(reply or b"{}")
    if not isinstance(answer, dict):
        raise ValueError(f"unexpected answer {reply!r}")
    return answer


def _slirp_pid(runroot: str) -> int | None:
    return _pid(_pidfile(runroot), path(runroot))


def _pid(pidfile: str, ns: str) -> int | None:
    """A helper's pid, only while that process still names our namespace file (a pid reused
    by another program is not signalled) and is not a zombie."""
    try:
        with open(pidfile, encoding="ascii") as f:
            pid = int(f.read().strip())
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().split(b"\0")
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rpartition(b")")[2].split()[0]
    except (OSError, ValueError, IndexError):
        return None
    return pid if ns.encode() in cmdline and state != b"Z" else None


def _kill(runroot: str) -> None:
    for pidfile in (_pidfile(runroot), _fwd_pidfile(runroot)):
        pid = _pid(pidfile, path(runroot))
        if pid is not None:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
    for p in (_pidfile(runroot), _api(runroot), _fwd_pidfile(runroot), _fwd_ctl(runroot)):
        with contextlib.suppress(OSError):
            os.unlink(p)


def _remove(runroot: str) -> None:
    import ctypes

    _kill(runroot)
    ns = path(runroot)
    # lazily (MNT_DETACH): a DNS responder may still be closing its sockets
    ctypes.CDLL(None, use_errno=True).umount2(ns.encode(), 2)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(ns)
