"""Bridges, veth pairs, addresses and routes: a container's namespace and veths in-process
through rtnetlink (`rtnl`), bridges and teardown's deletions through iproute2 batches
(`ip -batch -`).

Measured here: one `ip` process costs 2-5 ms, importing pyroute2 60-270 ms, the in-process
rtnetlink batches of a container ~2 ms (the namespace ~1 ms of it). Standard library only:
teardown runs from the monitor's exit command under `python3 -I -S`.

Every function takes `host`: None for this process' network namespace, or the path of a
network namespace file to act in (the tests' private "host").
"""

from __future__ import annotations

import errno
import os
import socket
import subprocess
from collections.abc import Sequence
from contextlib import suppress
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from supervisor.network import rtnl


class NetlinkError(Exception):
    pass


class Attachment(NamedTuple):
    """One container interface on one bridge network."""

    netns: str  # the container's network namespace file
    bridge: str
    host_iface: str  # the veth's host end (recorded in the lease before it is made)
    iface: str  # inside the container: eth0, eth1, ...
    addresses: tuple[str, ...]  # CIDRs: "10.88.0.2/16"
    gateways: tuple[str, ...]  # default routes (first network only); empty: none
    mtu: int = 0
    mac: str = ""  # the container end's address ("": the kernel's random one)


def _prefix(host: str | None) -> list[str]:
    return ["nsenter", f"--net={host}"] if host else []


def batch(lines: Sequence[str], host: str | None = None, force: bool = False) -> None:
    """`ip -batch -`; with `force` the remaining lines run after a failing one (teardown)."""
    argv = [*_prefix(host), "ip", *(["-force"] if force else []), "-batch", "-"]
    try:
        proc = subprocess.run(argv, input="\n".join(lines) + "\n", capture_output=True,
                              text=True)
    except FileNotFoundError as exc:
        raise NetlinkError("iproute2 is not installed (Debian: apt-get install iproute2)") from exc
    if proc.returncode != 0 and not force:
        first = (proc.stderr.strip().splitlines() or ["failed"])[0]
        raise NetlinkError(f"ip: {first}")


def link_exists(name: str, host: str | None = None) -> bool:
    if host is None:  # this netns (/sys/class/net may show another one's: unshare -n)
        try:
            socket.if_nametoindex(name)
        except OSError:
            return False
        return True
    argv = [*_prefix(host), "ip", "link", "show", "dev", name]
    return subprocess.run(argv, capture_output=True).returncode == 0


def ensure_bridge(name: str, addresses: Sequence[str], mtu: int = 0,
                  host: str | None = None) -> None:
    """The network's bridge with its gateway addresses, up; nothing done when it exists.
    `route_localnet` lets a DNATed 127.0.0.1 leave through it (published ports on localhost)."""
    if not link_exists(name, host):
        # (netdns) a MAC of its own: a bridge without one takes its lowest port's, which
        # changes as containers join, and every running container's ARP entry for the
        # gateway goes stale (DNS and the way out stall for seconds).
        # (the MTU before `type`: after it, ip reads the bridge's own options and refuses)
        lines = [f"link add {name} address {bridge_mac()}" + (f" mtu {mtu}" if mtu else "")
                 + " type bridge"]
        lines += [addr_add(a, name) for a in addresses]
        lines.append(f"link set {name} up")
        batch(lines, host)
    else:
        _ensure_gateways(name, addresses, host)
    sysctls = {f"net/ipv4/conf/{name}/route_localnet": "1", "net/ipv4/ip_forward": "1"}
    if any(":" in a for a in addresses):
        sysctls["net/ipv6/conf/all/forwarding"] = "1"
    write_sysctls(sysctls, host)


def _ensure_gateways(name: str, addresses: Sequence[str], host: str | None) -> None:
    """netavark's rule for a bridge that exists: add the gateways it lacks. Another store on
    this host may have made it for a network of another subnet (both name it after the
    default): without its gateway this network's containers have no route to the host, and
    their published ports time out. One netlink exchange, no `ip` process."""
    from supervisor.network import rtnl

    if not addresses:
        return
    with rtnl.socket_in(host) as sock:
        index = sock.index(name)
        if index:
            sock.request([rtnl.addr(a, index) for a in addresses], tolerate=(errno.EEXIST,))


def addr_add(cidr: str, dev: str) -> str:
    """IPv6 (net6) without duplicate address detection (netavark's IFA_F_NODAD): the address
    is usable at once, not "tentative" for a second or two (the DNS responder binds the
    gateway's, a container's first packets leave from its own)."""
    return f"addr add {cidr} dev {dev}" + (" nodad" if ":" in cidr else " broadcast +")


def bridge_mac() -> str:
    """Random, locally administered, unicast (as moby gives its bridges)."""
    b = bytearray(os.urandom(6))
    b[0] = (b[0] & 0xFE) | 0x02
    return ":".join(f"{x:02x}" for x in b)


def remove_bridge(name: str, host: str | None = None) -> None:
    batch([f"link del {name}"], host, force=True)


def write_sysctls(values: dict[str, str], host: str | None = None) -> None:
    if host is None:
        for key, value in values.items():
            with open(f"/proc/sys/{key}", "w") as f:
                f.write(value)
        return
    argv = [*_prefix(host), "sysctl", "-q", "-w", *(f"{k.replace('/', '.')}={v}"
                                                    for k, v in values.items())]
    if subprocess.run(argv, capture_output=True).returncode != 0:
        raise NetlinkError(f"cannot set {', '.join(values)}")


def create_attached(path: str, atts: Sequence[Attachment], host: str | None = None) -> None:
    """The namespace file and every veth, in-process (rtnetlink, `rtnl`): the namespace with
    lo up, each container end made there with its peer sent to the host's namespace, its
    addresses, up, its default routes; then the host ends on their bridges, up, hairpin on
    (a container reaching itself through a published port; netavark too)."""
    from supervisor.network import rtnl

    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    with open(path, "a"):
        pass
    try:
        with rtnl.socket_in(host) as outside:
            stale = [a.host_iface for a in atts if outside.index(a.host_iface)]
            if stale:  # a previous run's, still being deleted (see `detach_later`)
                outside.request([rtnl.del_link(name) for name in stale], (errno.ENODEV,))
            host_fd = os.open(host or "/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
            try:
                with rtnl.new_netns(path) as inside:
                    _make_inside(inside, atts, host_fd)
            finally:
                os.close(host_fd)
            _host_side(outside, atts)
    except OSError as exc:
        raise NetlinkError(f"cannot make the network namespace at {path!r}: "
                           f"{exc.strerror}") from exc


def _make_inside(inside: rtnl.Socket, atts: Sequence[Attachment], host_fd: int) -> None:
    from supervisor.network import rtnl

    inside.request([rtnl.veth(a.iface, a.host_iface, host_fd, a.mtu, a.mac) for a in atts])
    msgs = []
    for a in atts:
        index = inside.index(a.iface)
        msgs += [rtnl.addr(cidr, index) for cidr in a.addresses]
        msgs.append(rtnl.set_link(index=index, up=True))
        msgs += [rtnl.default_route(gw, index) for gw in a.gateways]
    inside.request(msgs)


def _host_side(outside: rtnl.Socket, atts: Sequence[Attachment]) -> None:
    from supervisor.network import rtnl

    bridges = {b: outside.index(b) for b in {a.bridge for a in atts}}
    for bridge, index in bridges.items():
        if not index:
            raise NetlinkError(f"bridge {bridge} is missing")
    outside.request([m for a in atts for m in (
        rtnl.set_link(a.host_iface, up=True, master=bridges[a.bridge]),
        rtnl.hairpin(a.host_iface))])


def attach(a: Attachment, host: str | None = None) -> None:
    """`network connect` of a running container: one more veth into its namespace, made as
    `create_attached` makes them."""
    from supervisor.network import rtnl

    try:
        with rtnl.socket_in(host) as outside:
            host_fd = os.open(host or "/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
            try:
                with rtnl.socket_in(a.netns) as inside:
                    _make_inside(inside, [a], host_fd)
            finally:
                os.close(host_fd)
            _host_side(outside, [a])
    except OSError as exc:
        raise NetlinkError(f"cannot attach {a.iface} to {a.bridge}: {exc.strerror}") from exc


def detach_later(host_iface: str, host: str | None = None, keep: Sequence[int] = ()) -> None:
    """Teardown's: deleting a veth waits out an RCU grace period (~25 ms here), and the kernel
    deletes the pair anyway when the namespace goes; a process of its own (not waited for)
    makes sure of it even if another container still holds the namespace (container:ID).
    `keep`: descriptors it inherits and closes last (see `kernel.teardown`)."""
    with suppress(OSError):
        subprocess.Popen([*_prefix(host), "ip", "link", "del", host_iface],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True, pass_fds=keep)


def detach(host_iface: str, host: str | None = None) -> None:
    """Idempotent: deleting the host end deletes its peer; an absent link is fine."""
    batch([f"link del {host_iface}"], host, force=True)


# Network namespace files -----------------------------------------------------------------


def create_netns(path: str) -> None:
    """A new network namespace kept alive by a bind mount on `path` (util-linux unshare)."""
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    with open(path, "a"):
        pass
    proc = subprocess.run(["unshare", f"--net={path}", "true"], capture_output=True, text=True)
    if proc.returncode != 0:
        os.unlink(path)
        raise NetlinkError(f"cannot create a network namespace at {path!r}: "
                           f"{proc.stderr.strip()}")


def remove_netns(path: str) -> None:
    """Idempotent: unmounts the namespace file (the kernel frees the namespace, and the veth
    ends inside it, with its last user) and removes it."""
    if not os.path.exists(path):
        return
    _umount(path)
    with suppress(FileNotFoundError):
        os.unlink(path)


def _umount(path: str) -> None:
    """umount2(2) through ctypes (stdlib): one process less than umount(8) per teardown."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.umount2(path.encode(), 0) != 0 and ctypes.get_errno() not in (22, 2):  # EINVAL
        subprocess.run(["umount", path], capture_output=True)  # say why, or try harder
