"""rtnetlink in-process: a container's namespace, veths, addresses and routes without an `ip`
process (each costs ~2-4 ms here, three per container before this module).

Message builders are pure (`link`, `addr`, `route`: bytes as the kernel reads them, checked by
unit tests against what iproute2 sends); `Socket` sends a batch of them at once and reads one
acknowledgement per message. `entered` runs a block in another network namespace (this thread
only: a socket made there stays there) and `new_netns` makes a namespace kept by a bind mount.
Standard library only (socket, struct, ctypes): `kernel.teardown` runs under `python3 -I -S`.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import struct
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

# linux/netlink.h, linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h, linux/veth.h
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400
RTM_NEWLINK = 16
RTM_DELLINK = 17
RTM_GETLINK = 18
RTM_NEWADDR = 20
RTM_NEWROUTE = 24
IFLA_ADDRESS = 1
IFLA_IFNAME = 3
IFLA_MTU = 4
IFLA_MASTER = 10
IFLA_LINKINFO = 18
IFLA_NET_NS_FD = 28
IFLA_INFO_KIND = 1
IFLA_INFO_DATA = 2
IFLA_INFO_SLAVE_KIND = 4
IFLA_INFO_SLAVE_DATA = 5
IFLA_BRPORT_MODE = 4  # hairpin
VETH_INFO_PEER = 1
IFA_ADDRESS = 1
IFA_LOCAL = 2
IFA_BROADCAST = 4
IFA_F_NODAD = 0x02
RTA_OIF = 4
RTA_GATEWAY = 5
RT_TABLE_MAIN = 254
RTPROT_BOOT = 3
RTN_UNICAST = 1
IFF_UP = 0x1
ENODEV = 19
LOOPBACK_IFINDEX = 1  # lo, in every network namespace
CLONE_NEWNET = 0x40000000
MS_BIND = 0x1000


class RtnlError(OSError):
    """The kernel refused a request (errno and strerror as for a system call)."""


# Pure builders -------------------------------------------------------------------------------


def attr(kind: int, payload: bytes) -> bytes:
    """One rtattr, padded to 4 bytes."""
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * (-length % 4)


def _name(name: str) -> bytes:
    return name.encode() + b"\0"


def _ifinfo(index: int = 0, up: bool = False) -> bytes:
    # family, pad, type, index, flags, change
    return struct.pack("=BxHiII", socket.AF_UNSPEC, 0, index, IFF_UP if up else 0,
                       IFF_UP if up else 0)


def message(kind: int, flags: int, body: bytes) -> bytes:
    """An nlmsghdr and its body; the sequence number is set by `Socket.request`."""
    return struct.pack("=IHHII", 16 + len(body), kind, flags | NLM_F_REQUEST | NLM_F_ACK, 0,
                       0) + body


def mac_bytes(mac: str) -> bytes:
    return bytes(int(x, 16) for x in mac.split(":"))


def veth(name: str, peer: str, peer_netns_fd: int, mtu: int = 0, mac: str = "") -> bytes:
    """`ip link add NAME [mtu M] [address MAC] type veth peer name PEER [mtu M] netns FD`."""
    own = attr(IFLA_IFNAME, _name(name))
    peer_attrs = attr(IFLA_IFNAME, _name(peer)) + attr(IFLA_NET_NS_FD,
                                                       struct.pack("=I", peer_netns_fd))
    if mtu:
        own += attr(IFLA_MTU, struct.pack("=I", mtu))
        peer_attrs += attr(IFLA_MTU, struct.pack("=I", mtu))
    if mac:
        own += attr(IFLA_ADDRESS, mac_bytes(mac))
    info = attr(IFLA_INFO_KIND, b"veth") + attr(
        IFLA_INFO_DATA, attr(VETH_INFO_PEER, _ifinfo() + peer_attrs))
    return message(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL,
                   _ifinfo() + own + attr(IFLA_LINKINFO, info))


def set_link(name: str = "", index: int = 0, up: bool = False, master: int = 0) -> bytes:
    """`ip link set DEV [master BRIDGE] [up]`: by index, or by name when index is 0."""
    body = _ifinfo(index, up)
    if not index:
        body += attr(IFLA_IFNAME, _name(name))
    if master:
        body += attr(IFLA_MASTER, struct.pack("=I", master))
    return message(RTM_NEWLINK, 0, body)


def hairpin(name: str) -> bytes:
    """`ip link set DEV type bridge_slave hairpin on` (DEV is already a bridge's port)."""
    info = attr(IFLA_INFO_SLAVE_KIND, b"bridge") + attr(
        IFLA_INFO_SLAVE_DATA, attr(IFLA_BRPORT_MODE, b"\x01"))
    return message(RTM_NEWLINK, 0, _ifinfo() + attr(IFLA_IFNAME, _name(name))
                   + attr(IFLA_LINKINFO, info))


def get_link(name: str) -> bytes:
    return message(RTM_GETLINK, 0, _ifinfo() + attr(IFLA_IFNAME, _name(name)))


def del_link(name: str) -> bytes:
    return message(RTM_DELLINK, 0, _ifinfo() + attr(IFLA_IFNAME, _name(name)))


def addr(cidr: str, index: int) -> bytes:
    """`ip addr add CIDR dev DEV`, IPv6 with `nodad` (see `netlink.addr_add`)."""
    iface = ipaddress.ip_interface(cidr)
    v6 = iface.version == 6
    family = socket.AF_INET6 if v6 else socket.AF_INET
    packed = iface.ip.packed
    # family, prefixlen, flags, scope, index
    body = struct.pack("=BBBBI", family, iface.network.prefixlen, IFA_F_NODAD if v6 else 0,
                       0, index)
    body += attr(IFA_LOCAL, packed) + attr(IFA_ADDRESS, packed)
    if not v6 and iface.network.prefixlen < 31:  # netavark's: `ip a` shows `brd`
        body += attr(IFA_BROADCAST, iface.network.broadcast_address.packed)
    return message(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, body)


def default_route(gateway: str, index: int) -> bytes:
    """`ip route add default via GATEWAY dev DEV`."""
    gw = ipaddress.ip_address(gateway)
    family = socket.AF_INET6 if gw.version == 6 else socket.AF_INET
    # family, dst_len, src_len, tos, table, protocol, scope (universe), type, flags
    body = struct.pack("=BBBBBBBBI", family, 0, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT, 0,
                       RTN_UNICAST, 0)
    body += attr(RTA_GATEWAY, gw.packed) + attr(RTA_OIF, struct.pack("=I", index))
    return message(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, body)


# I/O -------------------------------------------------------------------------------------------


class Socket:
    """An rtnetlink socket in the network namespace it was made in."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)  # NETLINK_ROUTE
        self.sock.bind((0, 0))
        self.seq = 0

    def __enter__(self) -> Socket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def request(self, messages: Sequence[bytes], tolerate: Sequence[int] = ()) -> None:
        """Send the messages at once (the kernel runs them in order), then read one
        acknowledgement for each; the first refusal not in `tolerate` (errnos) raises."""
        if not messages:
            return
        first = self.seq + 1
        out = bytearray()
        for m in messages:
            self.seq += 1
            out += m[:8] + struct.pack("=I", self.seq) + m[12:]
        self.sock.sendall(bytes(out))
        pending = set(range(first, self.seq + 1))
        failure: RtnlError | None = None
        while pending:
            data = self.sock.recv(65536)
            off = 0
            while off + 16 <= len(data):
                length, kind, _, seq, _ = struct.unpack_from("=IHHII", data, off)
                if kind == NLMSG_ERROR and seq in pending:
                    pending.discard(seq)
                    err = -struct.unpack_from("=i", data, off + 16)[0]
                    if err and err not in tolerate and failure is None:
                        failure = RtnlError(err, os.strerror(err))
                off += (length + 3) & ~3 if length else len(data)
        if failure is not None:
            raise failure

    def index(self, name: str) -> int:
        """The interface's index, 0 when there is none."""
        self.seq += 1
        m = get_link(name)
        self.sock.sendall(m[:8] + struct.pack("=I", self.seq) + m[12:])
        found = 0
        while True:  # the answer (RTM_NEWLINK), then the acknowledgement; or an error
            data = self.sock.recv(65536)
            off = 0
            while off + 16 <= len(data):
                length, kind, _, seq, _ = struct.unpack_from("=IHHII", data, off)
                if seq == self.seq and kind == RTM_NEWLINK:
                    found = struct.unpack_from("=i", data, off + 20)[0]
                elif seq == self.seq and kind == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", data, off + 16)[0]
                    if err == 0:
                        return found
                    if err == ENODEV:
                        return 0
                    raise RtnlError(err, os.strerror(err))
                off += (length + 3) & ~3 if length else len(data)


def socket_in(netns: str | None) -> Socket:
    with entered(netns):
        return Socket()


# Namespaces ------------------------------------------------------------------------------------


def _libc() -> Any:
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _check(rc: int, what: str) -> None:
    if rc != 0:
        import ctypes

        err = ctypes.get_errno()
        raise RtnlError(err, f"{what}: {os.strerror(err)}")


@contextmanager
def entered(netns: str | None) -> Iterator[None]:
    """This thread in the network namespace `netns` (a file) for the block, then back in its
    own; None: stay."""
    if netns is None:
        yield
        return
    libc = _libc()
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        target = os.open(netns, os.O_RDONLY | os.O_CLOEXEC)
        try:
            _check(libc.setns(target, CLONE_NEWNET),
                   f"cannot enter the network namespace {netns!r}")
        finally:
            os.close(target)
        try:
            yield
        finally:
            _check(libc.setns(own, CLONE_NEWNET),
                   "cannot return to the own network namespace")
    finally:
        os.close(own)


def new_netns(path: str) -> Socket:
    """A new network namespace kept by a bind mount on `path` (an existing empty file, as
    `unshare --net=PATH` keeps one), with lo up; returns a socket in it. This thread makes
    it and comes back to its own namespace."""
    libc = _libc()
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        _check(libc.unshare(CLONE_NEWNET), "cannot make a network namespace")
        try:
            _check(libc.mount(b"/proc/thread-self/ns/net",
                              path.encode(), None, MS_BIND, None),
                   f"cannot keep the network namespace at {path!r}")
            sock = Socket()
        finally:
            _check(libc.setns(own, CLONE_NEWNET),
                   "cannot return to the own network namespace")
    finally:
        os.close(own)
    try:
        sock.request([set_link(index=LOOPBACK_IFINDEX, up=True)])
    except BaseException:
        sock.close()
        raise
    return sock
