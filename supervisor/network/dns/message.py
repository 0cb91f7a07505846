"""DNS messages (RFC 1035) for the network's responder: parse a query, decide, build the reply.

Sans-IO and stdlib only: bytes in, a `Decision` out (a reply to send back, or "forward this
query upstream"). The server (`server.py`) does the sockets. Only what a stub resolver in a
container sends is understood: one question, class IN, opcode QUERY; anything else gets the
matching error code, never an exception.

Names answered (as Podman's aardvark-dns): a container's name, its 12-hex short id and its
aliases on this network, bare or under the search domain `dns.podman`, case-insensitively;
PTR for the network's addresses. Names under `dns.podman` that are not ours are NXDOMAIN
(we are authoritative there); every other name is forwarded to the host's resolvers, except on
an `--internal` network, which has no way out (REFUSED: the stub tries its next server).
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

DOMAIN = "dns.podman"
TTL = 60  # aardvark-dns's default
MAX_UDP = 512  # without EDNS; our answers are far smaller


class RType(IntEnum):
    A = 1
    PTR = 12
    AAAA = 28
    ANY = 255


class RCode(IntEnum):
    NOERROR = 0
    FORMERR = 1
    SERVFAIL = 2
    NXDOMAIN = 3
    NOTIMP = 4
    REFUSED = 5


CLASS_IN = 1
_QR, _AA, _TC, _RD, _RA = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080


class MalformedError(ValueError):
    """Not a DNS message we can even answer with FORMERR (too short to hold an id)."""


@dataclass(frozen=True)
class Query:
    id: int
    flags: int
    qname: str  # lowercase, no trailing dot
    qtype: int
    qclass: int
    question: bytes  # the question section as sent (its case kept: 0x20 encoding)


@dataclass(frozen=True)
class Records:
    """What the responder knows of one network: lowercase name -> addresses, address -> names
    (the container's name first). Built from the store by `records.read`."""

    by_name: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    by_address: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, entries: Iterable[tuple[str, Sequence[str]]]) -> Records:
        """`entries`: (address, [name, short id, aliases...]) per container lease."""
        by_name: dict[str, list[str]] = {}
        by_address: dict[str, list[str]] = {}
        for address, names in entries:
            addr = str(ipaddress.ip_address(address))
            for n in names:
                if not n:
                    continue
                key = n.lower()
                if addr not in by_name.setdefault(key, []):
                    by_name[key].append(addr)
                if n not in by_address.setdefault(addr, []):
                    by_address[addr].append(n)
        return cls({k: tuple(v) for k, v in by_name.items()},
                   {k: tuple(v) for k, v in by_address.items()})


@dataclass(frozen=True)
class Reply:
    data: bytes


@dataclass(frozen=True)
class Forward:
    """Send the query as it came to an upstream resolver; relay its answer unchanged."""

    query: Query


Decision = Reply | Forward


# Parsing -------------------------------------------------------------------------------------


def parse_query(data: bytes) -> Query:
    """The header and the single question; raises MalformedError (no id) or ValueError."""
    if len(data) < 12:
        raise MalformedError("shorter than a DNS header")
    qid, flags, qdcount = struct.unpack_from("!HHH", data)
    if flags & _QR:
        raise ValueError("a response, not a query")
    if qdcount != 1:
        raise ValueError(f"{qdcount} questions")
    labels, end = _read_name(data, 12)
    if end + 4 > len(data):
        raise ValueError("question cut short")
    qtype, qclass = struct.unpack_from("!HH", data, end)
    name = ".".join(labels).lower()
    return Query(qid, flags, name, qtype, qclass, data[12:end + 4])


def _read_name(data: bytes, pos: int) -> tuple[list[str], int]:
    labels: list[str] = []
    total = 0
    while True:
        if pos >= len(data):
            raise ValueError("name cut short")
        n = data[pos]
        if n == 0:
            return labels, pos + 1
        if n & 0xC0:  # a compression pointer has no place in a question
            raise ValueError("compressed or extended label in the question")
        label = data[pos + 1:pos + 1 + n]
        if len(label) != n:
            raise ValueError("label cut short")
        total += n + 1
        if total > 255:
            raise ValueError("name longer than 255 octets")
        labels.append(label.decode("ascii", "replace"))
        pos += 1 + n


def encode_name(name: str) -> bytes:
    out = bytearray()
    for label in name.rstrip(".").split("."):
        raw = label.encode("ascii")
        if not 0 < len(raw) < 64:
            raise ValueError(f"label {label!r} is empty or longer than 63 octets")
        out += bytes([len(raw)]) + raw
    return bytes(out + b"\0")


# Deciding ------------------------------------------------------------------------------------


def decide(data: bytes, records: Records, *, internal: bool = False) -> Decision | None:
    """What to do with one datagram; None: drop it (not even an id to answer to)."""
    try:
        q = parse_query(data)
    except MalformedError:
        return None
    except ValueError:
        return Reply(error_reply(data, RCode.FORMERR))
    if (q.flags >> 11) & 0xF != 0:
        return Reply(build(q, RCode.NOTIMP))
    if q.qclass != CLASS_IN:
        return Forward(q) if not internal else Reply(build(q, RCode.REFUSED))
    return answer(q, records, internal=internal)


def answer(q: Query, records: Records, *, internal: bool = False) -> Decision:
    name, ours = _local_part(q.qname)
    if q.qtype == RType.PTR:
        addr = reverse_address(q.qname)
        if addr is not None and addr in records.by_address:
            names = [f"{n}.{DOMAIN}" for n in records.by_address[addr]]
            return Reply(build(q, RCode.NOERROR, [(RType.PTR, encode_name(n)) for n in names]))
    addrs = records.by_name.get(name)
    if addrs is not None:
        return Reply(build(q, RCode.NOERROR, _address_records(addrs, q.qtype)))
    if ours:
        rcode = RCode.NOERROR if name == "" else RCode.NXDOMAIN
        return Reply(build(q, rcode))
    if internal:
        return Reply(build(q, RCode.REFUSED))
    return Forward(q)


def _local_part(qname: str) -> tuple[str, bool]:
    """('web', True) for 'web.dns.podman'; ('web', False) for 'web'."""
    if qname == DOMAIN:
        return "", True
    if qname.endswith("." + DOMAIN):
        return qname[:-len(DOMAIN) - 1], True
    return qname, False


def _address_records(addrs: Sequence[str], qtype: int) -> list[tuple[int, bytes]]:
    out: list[tuple[int, bytes]] = []
    for a in addrs:
        ip = ipaddress.ip_address(a)
        rtype = RType.A if ip.version == 4 else RType.AAAA
        if qtype in (rtype, RType.ANY):
            out.append((rtype, ip.packed))
    return out  # empty for another type: NOERROR with no answer (NODATA)


def reverse_address(qname: str) -> str | None:
    """'4.3.2.1.in-addr.arpa' -> '1.2.3.4' (and ip6.arpa nibbles); None if not one."""
    try:
        if qname.endswith(".in-addr.arpa"):
            parts = qname[:-len(".in-addr.arpa")].split(".")
            if len(parts) == 4:
                return str(ipaddress.IPv4Address(".".join(reversed(parts))))
        if qname.endswith(".ip6.arpa"):
            nibbles = qname[:-len(".ip6.arpa")].split(".")
            if len(nibbles) == 32 and all(len(n) == 1 for n in nibbles):
                return str(ipaddress.IPv6Address(int("".join(reversed(nibbles)), 16)))
    except ValueError:
        return None
    return None


# Building ------------------------------------------------------------------------------------


def build(q: Query, rcode: RCode, answers: Sequence[tuple[int, bytes]] = ()) -> bytes:
    """A reply to `q`: its id and question, RD copied, RA set, AA for names we answer."""
    flags = _QR | (q.flags & (_RD | 0x7800)) | _RA | int(rcode)
    if rcode in (RCode.NOERROR, RCode.NXDOMAIN):
        flags |= _AA
    out = bytearray(struct.pack("!HHHHHH", q.id, flags, 1, len(answers), 0, 0))
    out += q.question
    for rtype, rdata in answers:  # 0xC00C: the question's name, at offset 12
        out += struct.pack("!HHHIH", 0xC00C, rtype, CLASS_IN, TTL, len(rdata)) + rdata
    if len(out) > MAX_UDP:  # cannot happen with a handful of names; stay within RFC 1035
        out = bytearray(out[:12 + len(q.question)])
        struct.pack_into("!HH", out, 2, flags | _TC, 1)
        struct.pack_into("!HHH", out, 6, 0, 0, 0)
    return bytes(out)


def error_reply(data: bytes, rcode: RCode) -> bytes:
    """A header-only reply (no question echoed) for a query we could not parse."""
    qid, flags = struct.unpack_from("!HH", data)
    return struct.pack("!HHHHHH", qid, _QR | (flags & (_RD | 0x7800)) | _RA | int(rcode),
                       0, 0, 0, 0)


def servfail(q: Query) -> bytes:
    return build(q, RCode.SERVFAIL)


# A client side, for tests and the benchmark (stdlib only) ------------------------------------


def make_query(name: str, qtype: int = RType.A, qid: int = 0x1234, rd: bool = True) -> bytes:
    header = struct.pack("!HHHHHH", qid, _RD if rd else 0, 1, 0, 0, 0)
    return header + encode_name(name) + struct.pack("!HH", qtype, CLASS_IN)


@dataclass(frozen=True)
class Parsed:
    """A reply as a test reads it."""

    id: int
    rcode: int
    authoritative: bool
    answers: tuple[tuple[int, str], ...]  # (type, text: address or name)


def parse_reply(data: bytes) -> Parsed:
    qid, flags, qd, an = struct.unpack_from("!HHHH", data)
    pos = 12
    for _ in range(qd):
        pos = _skip_name(data, pos) + 4
    answers = []
    for _ in range(an):
        pos = _skip_name(data, pos)
        rtype, _cls, _ttl, rdlen = struct.unpack_from("!HHIH", data, pos)
        pos += 10
        rdata = data[pos:pos + rdlen]
        if rtype in (RType.A, RType.AAAA):
            text = str(ipaddress.ip_address(rdata))
        elif rtype == RType.PTR:
            text = ".".join(_read_name(rdata, 0)[0])
        else:
            text = rdata.hex()
        answers.append((rtype, text))
        pos += rdlen
    return Parsed(qid, flags & 0xF, bool(flags & _AA), tuple(answers))


def _skip_name(data: bytes, pos: int) -> int:
    while True:
        n = data[pos]
        if n == 0:
            return pos + 1
        if n & 0xC0 == 0xC0:
            return pos + 2
        pos += 1 + n
