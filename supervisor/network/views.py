"""A container's network as `inspect`, `ps` and `port` show it (Podman 4.3's shapes).

`state_of` reads the store (leases and port claims exist while the container runs); the
rest are pure functions of the config and that state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from supervisor.format.gostruct import GoStruct

if TYPE_CHECKING:
    from supervisor.container.context import Context
    from supervisor.network.db import Lease, PortClaim
    from supervisor.network.definition import Network
    from supervisor.store import ContainerRow


class NetState(NamedTuple):
    leases: list[Lease]
    claims: list[PortClaim]
    networks: dict[str, Network]
    sandbox: str = ""  # the namespace file, while it runs


EMPTY = NetState([], [], {})


def state_of(eng: Context, row: ContainerRow) -> NetState:
    if not row.config.net.bridged:
        return EMPTY
    from supervisor.network.db import NetworkDB

    ndb = NetworkDB(eng.store)
    nets = {}
    for att in row.config.net.networks:
        name = "podman" if att.network == "bridge" else att.network
        if ndb.exists(name):
            nets[name] = ndb.get(name)
    leases = ndb.leases(row.id) if row.status.is_active else []
    claims = ndb.port_claims(row.id) if row.status.is_active else []
    from supervisor.network.resource import netns_path

    sandbox = netns_path(eng.paths, row.id) if leases else ""
    return NetState(leases, claims, nets, sandbox)


def _bindings(row: ContainerRow, st: NetState) -> list[tuple[str, str, str]]:
    """("80/tcp", host ip, host port) of each published port, in Podman's order (see
    `_podman_order`): the claims while it runs, else what was asked for (a free port is
    chosen at each start: "")."""
    if st.claims:
        given = [(c.proto, c.host_ip, c.host_port, c.container_port) for c in st.claims]
    else:
        given = [(p.proto, p.host_ip, p.host_port, p.container_port)
                 for p in row.config.net.ports]
    from supervisor.network.request import exposed_ports

    net = row.config.net
    asked = list(net.ports) + (exposed_ports(net, None) if net.publish_all else [])
    random = {(p.proto, p.host_ip, p.container_port) for p in asked if not p.host_port}
    return [(f"{ctr}/{proto}", ip, str(port or "")) for proto, ip, port, ctr in
            _podman_order(given, random)]


_PROTO_ORDER = {"tcp": 0, "udp": 1, "sctp": 2}


def _podman_order(given: list[tuple[str, str, int, int]],
                  random: set[tuple[str, str, int]]) -> list[tuple[str, str, int, int]]:
    """Podman 4.3's (ParsePortMapping): by host address (in the order given), protocol (tcp,
    udp, sctp), then the fixed host ports by number and the free ones (-p PORT, -P) last."""
    hosts = list(dict.fromkeys(ip for _, ip, _, _ in given))

    def key(item: tuple[str, str, int, int]) -> tuple[int, int, int, int]:
        proto, ip, port, ctr = item
        is_random = (proto, ip, ctr) in random or not port
        return (hosts.index(ip), _PROTO_ORDER.get(proto, 3), int(is_random),
                0 if is_random else port)

    return sorted(given, key=key)  # stable: the free ports keep their order


def port_ranges(row: ContainerRow, st: NetState) -> list[tuple[str, str, int, int, int]]:
    """(proto, host ip, host port, container port, range) as Podman groups them: consecutive
    host and container ports of one protocol and address are one range (`ps`)."""
    out: list[tuple[str, str, int, int, int]] = []
    for key, ip, port in _bindings(row, st):
        if not port:
            continue
        ctr_text, _, proto = key.partition("/")
        hp, cp = int(port), int(ctr_text)
        if out:
            lp, lip, lhp, lcp, n = out[-1]
            if (lp, lip) == (proto, ip) and (lhp + n, lcp + n) == (hp, cp):
                out[-1] = (lp, lip, lhp, lcp, n + 1)
                continue
        out.append((proto, ip, hp, cp, 1))
    return out


def ps_ports_json(row: ContainerRow, st: NetState) -> list[dict[str, Any]] | None:
    """`ps --format json`'s Ports (Podman's PortMapping objects); None without any."""
    items = [{"host_ip": ip, "container_port": cp, "host_port": hp, "range": n,
              "protocol": proto} for proto, ip, hp, cp, n in port_ranges(row, st)]
    return items or None


def port_bindings(row: ContainerRow, st: NetState) -> dict[str, Any]:
    """HostConfig.PortBindings and NetworkSettings.Ports: exposed-only ports map to null."""
    out: dict[str, Any] = {}
    for key, ip, port in _bindings(row, st):
        out.setdefault(key, []).append(GoStruct(HostIp=ip, HostPort=port))
    for key in row.config.net.expose:
        out.setdefault(key, None)
    return out


def network_mode(row: ContainerRow) -> str:
    net = row.config.net
    if net == type(net)():  # a row from before networking: its --network none|host
        return row.config.network.value
    if net.mode in ("container", "ns"):
        return f"{net.mode}:{net.target}"
    return net.mode  # Podman 4.3: "bridge" for user networks too


def network_settings(row: ContainerRow, st: NetState) -> dict[str, Any]:
    """Podman's NetworkSettings: the first network's address at the top, each network's
    under Networks (bridge mode), Ports always."""
    nets = endpoints(row, st)
    # Podman 4.3 fills the top-level fields only for a container on the default network alone
    default = list(nets) == ["podman"]
    first = nets["podman"] if default else _endpoint(row, "", [], [], None)
    top = {k: first[k] for k in ("EndpointID", "Gateway", "IPAddress", "IPPrefixLen",
                                 "IPv6Gateway", "GlobalIPv6Address", "GlobalIPv6PrefixLen",
                                 "MacAddress")}
    return {
        **top,
        "Bridge": "", "SandboxID": "", "HairpinMode": False, "LinkLocalIPv6Address": "",
        "LinkLocalIPv6PrefixLen": 0, "Ports": port_bindings(row, st),
        "SandboxKey": st.sandbox,
        **({"Networks": nets} if nets else {}),
    }


def endpoints(row: ContainerRow, st: NetState) -> dict[str, Any]:
    """Each network's entry of NetworkSettings.Networks (bridge mode; else none)."""
    nets: dict[str, Any] = {}
    leases_of: dict[str, list[Lease]] = {}
    for lease in st.leases:
        leases_of.setdefault(lease.network, []).append(lease)
    for att in row.config.net.networks if row.config.net.bridged else ():
        nets[att.network] = _endpoint(row, att.network, list(att.aliases),
                                      leases_of.get(att.network, []),
                                      st.networks.get(att.network))
    return nets


def _endpoint(row: ContainerRow, name: str, aliases: list[str], leases: list[Lease],
              net: Network | None) -> dict[str, Any]:
    """One network's entry; its IPv4 and (net6) IPv6 lease, with their subnets."""
    fields: dict[int, tuple[str, int, str]] = {4: ("", 0, ""), 6: ("", 0, "")}
    for lease in leases if net is not None else []:
        # performance (issue 16): network.kernel (netlink, nft, subprocess) only for a lease:
        # `inspect` of a container without one (--network none, host) does not load it
        from supervisor.network.kernel import subnet_of

        assert net is not None
        sub = subnet_of(net, lease.address)
        version = 6 if ":" in lease.address else 4
        if not fields[version][0]:
            fields[version] = (lease.address, sub.net.prefixlen, str(sub.gateway))
    (ip, prefix, gw), (ip6, prefix6, gw6) = fields[4], fields[6]
    mac = next((a.mac for a in row.config.net.networks if a.network == name), "")
    if not mac and ip:
        from supervisor.network.kernel import derived_mac

        mac = derived_mac(ip)
    return {
        "EndpointID": "", "Gateway": gw, "IPAddress": ip, "IPPrefixLen": prefix,
        "IPv6Gateway": gw6, "GlobalIPv6Address": ip6, "GlobalIPv6PrefixLen": prefix6,
        "MacAddress": mac if leases else "", "NetworkID": name,
        "DriverOpts": None, "IPAMConfig": None, "Links": None,
        "Aliases": [*aliases, row.id[:12]],
    }


def ps_ports(row: ContainerRow, st: NetState) -> str:
    """`ps`'s PORTS: "0.0.0.0:8080->80/tcp, 0.0.0.0:9000-9001->9000-9001/udp"."""
    out = []
    for proto, ip, hp, cp, n in port_ranges(row, st):
        host, ctr = (str(hp), str(cp)) if n == 1 else (f"{hp}-{hp + n - 1}", f"{cp}-{cp + n - 1}")
        out.append(f"{ip or '0.0.0.0'}:{host}->{ctr}/{proto}")
    return ", ".join(out)


def port_lines(row: ContainerRow, st: NetState, want: str = "", prefix: str = "") -> list[str]:
    """`port`: "80/tcp -> 0.0.0.0:8080" each; with a port asked for, "0.0.0.0:8080"."""
    if want and "/" not in want:
        want += "/tcp"
    out = []
    for key, ip, port in _bindings(row, st):
        if not port:
            continue
        if want:
            if key == want:
                out.append(f"{ip or '0.0.0.0'}:{port}")
        else:
            out.append(f"{prefix}{key} -> {ip or '0.0.0.0'}:{port}")
    return out
