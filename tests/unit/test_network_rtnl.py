"""The rtnetlink messages `network/rtnl.py` builds, decoded field by field (the kernel's layout:
nlmsghdr, the family header, then 4-byte aligned attributes); the host tests check what the
kernel makes of them."""

from __future__ import annotations

import socket
import struct

from supervisor.network import rtnl


def attrs(data: bytes) -> dict[int, bytes]:
    out = {}
    off = 0
    while off < len(data):
        length, kind = struct.unpack_from("=HH", data, off)
        assert length >= 4
        out[kind] = data[off + 4:off + length]
        off += (length + 3) & ~3
    assert off == len(data)  # padded to the end
    return out


def header(msg: bytes) -> tuple[int, int, bytes]:
    length, kind, flags, _seq, _pid = struct.unpack_from("=IHHII", msg)
    assert length == len(msg) and length % 4 == 0
    assert flags & (rtnl.NLM_F_REQUEST | rtnl.NLM_F_ACK) == rtnl.NLM_F_REQUEST | rtnl.NLM_F_ACK
    return kind, flags, msg[16:]


def test_attribute_padding() -> None:
    assert rtnl.attr(3, b"eth0\0") == struct.pack("=HH", 9, 3) + b"eth0\0" + b"\0\0\0"
    assert len(rtnl.attr(1, b"abcd")) == 8


def test_veth_with_peer_in_another_namespace() -> None:
    kind, flags, body = header(rtnl.veth("eth0", "sbabc0", 7, 1400, "02:42:0a:58:00:02"))
    assert kind == rtnl.RTM_NEWLINK
    assert flags & rtnl.NLM_F_CREATE and flags & rtnl.NLM_F_EXCL
    family, _type, index, _flags, _change = struct.unpack_from("=BxHiII", body)
    assert (family, index) == (socket.AF_UNSPEC, 0)
    a = attrs(body[16:])
    assert a[rtnl.IFLA_IFNAME] == b"eth0\0"
    assert a[rtnl.IFLA_MTU] == struct.pack("=I", 1400)
    assert a[rtnl.IFLA_ADDRESS] == bytes([2, 0x42, 10, 0x58, 0, 2])
    info = attrs(a[rtnl.IFLA_LINKINFO])
    assert info[rtnl.IFLA_INFO_KIND] == b"veth"
    peer = attrs(info[rtnl.IFLA_INFO_DATA])[rtnl.VETH_INFO_PEER]
    peer_attrs = attrs(peer[16:])  # after the peer's own ifinfomsg
    assert peer_attrs[rtnl.IFLA_IFNAME] == b"sbabc0\0"
    assert peer_attrs[rtnl.IFLA_NET_NS_FD] == struct.pack("=I", 7)
    assert peer_attrs[rtnl.IFLA_MTU] == struct.pack("=I", 1400)
    assert rtnl.IFLA_ADDRESS not in peer_attrs  # the host end keeps the kernel's MAC


def test_link_up_master_and_hairpin_by_name() -> None:
    kind, flags, body = header(rtnl.set_link("sbabc0", up=True, master=5))
    assert kind == rtnl.RTM_NEWLINK and not flags & rtnl.NLM_F_CREATE
    _family, _type, index, ifflags, change = struct.unpack_from("=BxHiII", body)
    assert (index, ifflags, change) == (0, rtnl.IFF_UP, rtnl.IFF_UP)
    a = attrs(body[16:])
    assert (a[rtnl.IFLA_IFNAME], a[rtnl.IFLA_MASTER]) == (b"sbabc0\0", struct.pack("=I", 5))
    _, _, body = header(rtnl.set_link(index=rtnl.LOOPBACK_IFINDEX, up=True))
    assert struct.unpack_from("=BxHiII", body)[2] == 1 and attrs(body[16:]) == {}
    _, _, body = header(rtnl.hairpin("sbabc0"))
    slave = attrs(attrs(attrs(body[16:])[rtnl.IFLA_LINKINFO])[rtnl.IFLA_INFO_SLAVE_DATA])
    assert slave == {rtnl.IFLA_BRPORT_MODE: b"\x01"}


def test_addresses_and_default_routes() -> None:
    kind, _, body = header(rtnl.addr("10.88.0.2/16", 2))
    assert kind == rtnl.RTM_NEWADDR
    assert struct.unpack_from("=BBBBI", body) == (socket.AF_INET, 16, 0, 0, 2)
    a = attrs(body[8:])
    assert a[rtnl.IFA_LOCAL] == a[rtnl.IFA_ADDRESS] == socket.inet_aton("10.88.0.2")
    _, _, body = header(rtnl.addr("fd00::2/64", 3))
    assert struct.unpack_from("=BBBBI", body) == (socket.AF_INET6, 64, rtnl.IFA_F_NODAD, 0, 3)
    kind, _, body = header(rtnl.default_route("10.88.0.1", 2))
    assert kind == rtnl.RTM_NEWROUTE
    family, dst_len, _, _, table, proto, scope, rtype, _ = struct.unpack_from("=BBBBBBBBI", body)
    assert (family, dst_len, table, proto, scope, rtype) == (
        socket.AF_INET, 0, rtnl.RT_TABLE_MAIN, rtnl.RTPROT_BOOT, 0, rtnl.RTN_UNICAST)
    a = attrs(body[12:])
    assert a[rtnl.RTA_GATEWAY] == socket.inet_aton("10.88.0.1")
    assert a[rtnl.RTA_OIF] == struct.pack("=I", 2)
    _, _, body = header(rtnl.default_route("fd00::1", 2))
    assert body[0] == socket.AF_INET6
    assert attrs(body[12:])[rtnl.RTA_GATEWAY] == socket.inet_pton(socket.AF_INET6, "fd00::1")
