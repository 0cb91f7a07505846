"""A container's /etc/hosts and resolv.conf as its network options make them.

`write_static` runs at create for every mode (`--add-host`, `--dns*`); `write_for_run` at
each start of a bridged container, once its addresses are leased. Pure text builders plus a
small writer; standard library only.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from supervisor.model import ContainerConfig
    from supervisor.network.kernel import Plan
    from supervisor.network.request import NetConfig
    from supervisor.store import ContainerRow

HOST_ALIAS = "host.containers.internal"
LOCALHOST = "127.0.0.1\tlocalhost\n::1\tlocalhost\n"  # Podman 4.3's (libnetwork/etchosts)
FALLBACK_DNS = ("8.8.8.8", "8.8.4.4")  # Podman's, when the host has only local servers


def hosts_text(names: Sequence[str], addresses: Sequence[str], gateway: str,
               add_hosts: Sequence[str], base: str = "", internal_ip: str = "") -> str:
    """`names`: hostname first, then the container's name and aliases. Podman 4.3's order
    and rules (libnetwork/etchosts): --add-host lines, the base file's entries (`base`: its
    text, containers.conf's base_hosts_file), then what no entry above names yet: localhost,
    host.containers.internal (containers.conf's host_containers_internal_ip, else the
    gateway), the container's own addresses."""
    head = add_host_lines(add_hosts, gateway) + base_entries(base)
    named = {n for line in head.splitlines() for n in line.split()[1:]}
    lines = [head]
    if "localhost" not in named:
        lines.append(LOCALHOST)
    internal = internal_ip or gateway
    if internal and HOST_ALIAS not in named:
        lines.append(f"{internal}\t{HOST_ALIAS}\n")
    if not named & set(names):
        for addr in addresses or ["127.0.1.1"]:
            lines.append(f"{addr}\t{' '.join(dict.fromkeys(names))}\n")
    return "".join(lines)


def base_entries(text: str) -> str:
    """A hosts file's entries as Podman copies them: comments dropped, `ADDR<TAB>NAMES`."""
    out = []
    for line in text.splitlines():
        words = line.partition("#")[0].split()
        if len(words) >= 2:
            out.append(f"{words[0]}\t{' '.join(words[1:])}\n")
    return "".join(out)


def add_host_lines(add_hosts: Sequence[str], gateway: str) -> str:
    """"name:addr" items (a name has no colon; an IPv6 address may)."""
    out = []
    for item in add_hosts:
        name, _, addr = item.partition(":")
        if addr == "host-gateway":
            addr = gateway or "127.0.0.1"
        out.append(f"{addr}\t{name}\n")
    return "".join(out)


def resolv_text(host_resolv: str, net: NetConfig, nameservers: Sequence[str]) -> str:
    """--dns wins; else `nameservers` (the networks' DNS responders) or the host's servers
    that a container can reach (loopback ones cannot be: Podman's fallback then)."""
    search, options, servers = [], [], []
    for line in host_resolv.splitlines():
        words = line.split()
        if words[:1] in (["search"], ["domain"]):
            search += words[1:]
        elif words[:1] == ["options"]:
            options += words[1:]
        elif words[:1] == ["nameserver"] and len(words) > 1:
            servers.append(words[1])
    if net.dns:
        servers = list(net.dns)
    elif nameservers:
        servers = list(nameservers)
        search = ["dns.podman", *(d for d in search if d != "dns.podman")]  # as aardvark's
    else:
        servers = [s for s in servers if not s.startswith("127.") and s != "::1"] \
            or list(FALLBACK_DNS)
    if net.dns_search:
        search = [] if net.dns_search == (".",) else list(net.dns_search)
    if net.dns_options:
        options = list(net.dns_options)
    out = [f"search {' '.join(search)}\n"] if search else []
    out += [f"nameserver {s}\n" for s in servers]
    out += [f"options {' '.join(options)}\n"] if options else []
    return "".join(out)


def write_static(cdir: str, config: ContainerConfig, name: str = "") -> None:
    """At create: --add-host and --dns* for the modes without a run-time network part;
    slirp4netns's files (its addresses are known from its cidr)."""
    net = config.net
    if net.mode == "slirp4netns":
        _write_slirp(cdir, net, name)
        return
    if net.add_hosts and not net.bridged:
        with open(os.path.join(cdir, "hosts"), "a") as f:
            f.write(add_host_lines(net.add_hosts, ""))
    if (net.dns or net.dns_search or net.dns_options) and net.mode in ("none", "ns", "host"):
        _write(os.path.join(cdir, "resolv.conf"), resolv_text(_host_resolv(), net, ()))


SLIRP_CIDR = "10.0.2.0/24"  # slirp4netns's default: the container .100, DNS .3


def _write_slirp(cdir: str, net: NetConfig, name: str) -> None:
    """Podman 4.3's for slirp4netns: the container's .100 named by its hostname and name,
    host.containers.internal the host's own address (slirp4netns keeps the host's loopback
    away; with allow_host_loopback the gateway .2 reaches it), the slirp DNS .3 first."""
    import ipaddress

    from supervisor.network.request import slirp_option

    cidr = ipaddress.IPv4Network(slirp_option(net.target, "cidr") or SLIRP_CIDR)
    base = cidr.network_address
    gateway = str(base + 2) if slirp_option(net.target, "allow_host_loopback") == "true" \
        else _host_address()
    hostname = _read(os.path.join(cdir, "hostname")).strip()
    names = " ".join(n for n in (hostname, name) if n)  # both, as Podman's: even when equal
    text = LOCALHOST + f"{base + 100}\t{names}\n"
    text += f"{gateway}\t{HOST_ALIAS}\n" if gateway else ""
    text += add_host_lines(net.add_hosts, gateway)
    _write(os.path.join(cdir, "hosts"), text)
    text = resolv_text(_host_resolv(), net, ())
    if not net.dns:  # slirp4netns's DNS forwarder before the host's servers
        first = next((i for i, line in enumerate(text.splitlines(True))
                      if line.startswith("nameserver")), len(text.splitlines()))
        lines = text.splitlines(True)
        lines.insert(first, f"nameserver {base + 3}\n")
        text = "".join(lines)
    _write(os.path.join(cdir, "resolv.conf"), text)


def _host_address() -> str:
    """The host's address on its default route (no packet is sent): "" without one."""
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("203.0.113.1", 9))  # TEST-NET-3: any address the default route takes
            return str(s.getsockname()[0])
    except OSError:
        return ""


def addresses_of(plan: Plan) -> tuple[list[str], str]:
    """The container's addresses and its first network's gateway."""
    addresses = [cidr.split("/")[0] for a in plan.attachments for cidr in a.addresses]
    gateway = plan.networks[0].gateways[0].split("/")[0] if plan.networks and \
        plan.networks[0].gateways else ""
    return addresses, gateway


def write_for_run(cdir: str, row: ContainerRow, addresses: Sequence[str], gateway: str,
                  dns_servers: Sequence[str], base_file: str = "",
                  internal_ip: str = "") -> None:
    """`base_file`: containers.conf's base_hosts_file ("": the host's /etc/hosts, "none":
    no base, as Podman's)."""
    net = row.config.net
    hostname = _read(os.path.join(cdir, "hostname")).strip() or row.id[:12]
    aliases = [a for att in net.networks for a in att.aliases]
    base = "" if base_file == "none" else _read(base_file or "/etc/hosts")
    _write(os.path.join(cdir, "hosts"),
           hosts_text([hostname, row.name, *aliases], addresses, gateway, net.add_hosts, base,
                      internal_ip))
    _write(os.path.join(cdir, "resolv.conf"), resolv_text(_host_resolv(), net, dns_servers))


def _host_resolv() -> str:
    return _read("/etc/resolv.conf")


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def _write(path: str, text: str) -> None:
    """In place: a running container has the file bind-mounted (`network connect`)."""
    with open(path, "w") as f:
        f.write(text)
