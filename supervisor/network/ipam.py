"""Pure IP address management: subnets, gateways, lease ranges, allocation.

No I/O: the store (`network.db`) passes in what is taken and records what is chosen, in one
`BEGIN IMMEDIATE` transaction, so two containers never get one address.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections.abc import Collection, Iterable
from typing import NamedTuple

from supervisor.errors import ConflictError, UsageError

Net = ipaddress.IPv4Network | ipaddress.IPv6Network
Addr = ipaddress.IPv4Address | ipaddress.IPv6Address

# Podman's name rule (libnetwork/types/const.go): no unit, path or shell metacharacters.
NAME_RE = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*")
NAME_MAX = 200  # bounded so a name always fits a path component with room to spare
# netavark's pool for networks created without --subnet: 10.89.0.0/24, 10.89.1.0/24, ...
DEFAULT_POOL = ipaddress.IPv4Network("10.89.0.0/16")
AUTO_PREFIX = 24


def check_name(name: str) -> str:
    if not NAME_RE.fullmatch(name) or len(name) > NAME_MAX:
        raise UsageError(
            f"network name {name!r} invalid: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*"
            f" (at most {NAME_MAX} characters)"
        )
    return name


class Subnet(NamedTuple):
    """One subnet of a network: where leases come from (`start`..`end`, both included)."""

    net: Net
    gateway: Addr
    start: Addr
    end: Addr

    @property
    def version(self) -> int:
        return self.net.version


def parse_net(text: str, flag: str = "--subnet") -> Net:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError as exc:
        raise UsageError(f"{flag} {text!r} is not a valid subnet: {exc}") from exc


def parse_addr(text: str, flag: str) -> Addr:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError as exc:
        raise UsageError(f"{flag} {text!r} is not a valid IP address") from exc


def make_subnet(net: Net, gateway: str | None = None, ip_range: str | None = None) -> Subnet:
    """Podman's checks: the gateway and the range lie in the subnet; room for one lease."""
    if net.is_loopback or net.is_multicast or net.is_link_local or net.is_unspecified:
        raise UsageError(f"subnet {net} is a loopback, multicast or link-local range")
    if net.num_addresses < (4 if net.version == 4 else 2) or net.prefixlen >= net.max_prefixlen:
        raise UsageError(f"subnet {net} is too small for containers")
    gw = parse_addr(gateway, "--gateway") if gateway else net[1]
    if gw not in net:
        raise UsageError(f"gateway {gw} not in subnet {net}")
    start, end = net[1], net[-2] if net.version == 4 else net[-1]
    if ip_range:
        rng = parse_net(ip_range, "--ip-range")
        if rng.version != net.version or not rng.subnet_of(net):  # type: ignore[arg-type]
            raise UsageError(f"lease range start ip {rng[1] if rng.num_addresses > 1 else rng[0]}"
                             f" not in subnet {net}")
        start, end = max(rng[1] if rng.num_addresses > 2 else rng[0], start), min(rng[-1], end)
    return Subnet(net, gw, start, end)


def allocate(sub: Subnet, taken: Collection[Addr], requested: str | None = None,
             last: Addr | None = None) -> Addr:
    """The requested address if free, else the next free one of the lease range after
    `last` (the subnet's last one given out), round the range: Podman's IPAM (netavark's and
    CNI's host-local alike), so an address a container just left is not handed out again
    at once (a peer's cache or a stale DNS answer would reach the wrong container)."""
    if requested:
        addr = parse_addr(requested, "--ip")
        if addr not in sub.net or addr in (sub.gateway, sub.net[0]):
            raise UsageError(f"requested ip address {addr} is not usable in subnet {sub.net}")
        if addr in taken:
            raise ConflictError(f"requested ip address {addr} is already allocated")
        return addr
    start, end = int(sub.start), int(sub.end)
    first = int(last) + 1 if last is not None and start <= int(last) < end else start
    for cur in itertools.chain(range(first, end + 1), range(start, first)):  # lazy: IPv6
        addr = type(sub.start)(cur)
        if addr not in taken and addr != sub.gateway:
            return addr
    raise ConflictError(f"IPAM error: failed to find free IP in range: {sub.start} - {sub.end}")


def overlapping(net: Net, others: Iterable[Net]) -> Net | None:
    for other in others:
        if other.version == net.version and net.overlaps(other):
            return other
    return None


def free_subnet(used: Iterable[Net], pool: ipaddress.IPv4Network = DEFAULT_POOL) -> Net:
    """The first /24 of the pool that overlaps nothing used (networks, host routes)."""
    taken = list(used)
    for candidate in pool.subnets(new_prefix=AUTO_PREFIX):
        if overlapping(candidate, taken) is None:
            return candidate
    raise ConflictError(f"could not find a free subnet in {pool}: pass --subnet")


# Host routes (the kernel's tables as /proc shows them) -------------------------------------


def parse_route4(text: str) -> list[ipaddress.IPv4Network]:
    """/proc/net/route: destination and mask in little-endian hex; the default route skipped
    (every subnet is "routed" by it)."""
    out = []
    for line in text.splitlines()[1:]:
        f = line.split()
        if len(f) < 8 or f[7] == "00000000":
            continue
        dest = ipaddress.IPv4Address(int.from_bytes(bytes.fromhex(f[1]), "little"))
        mask = ipaddress.IPv4Address(int.from_bytes(bytes.fromhex(f[7]), "little"))
        out.append(ipaddress.IPv4Network(f"{dest}/{mask}", strict=False))
    return out


def parse_route6(text: str) -> list[ipaddress.IPv6Network]:
    """/proc/net/ipv6_route: dest hex, prefix len hex, ...; default and link-local skipped."""
    out = []
    for line in text.splitlines():
        f = line.split()
        if len(f) < 10 or int(f[1], 16) == 0:
            continue
        net = ipaddress.IPv6Network(f"{ipaddress.IPv6Address(int(f[0], 16))}/{int(f[1], 16)}")
        if not (net.is_link_local or net.is_multicast or net.is_loopback):
            out.append(net)
    return out


def host_routes(
    ignore_devices: Collection[str] = (),
) -> list[Net]:
    """The subnets this host already routes (its own bridges passed in `ignore_devices`)."""
    nets: list[Net] = []
    try:
        with open("/proc/net/route") as f:
            lines = [ln for ln in f.read().splitlines() if ln.split()[:1] and
                     ln.split()[0] not in ignore_devices]
        nets += parse_route4("\n".join(lines))
    except OSError:
        pass
    try:
        with open("/proc/net/ipv6_route") as f:
            lines = [ln for ln in f.read().splitlines() if ln.split()[-1:] and
                     ln.split()[-1] not in ignore_devices]
        nets += parse_route6("\n".join(lines))
    except OSError:
        pass
    return nets
