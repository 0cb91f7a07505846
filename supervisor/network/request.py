"""What a container asks of the network (`run/create --network/-p/-P/--expose/--ip/...`),
parsed and checked before anything is made. Pure: no store, no kernel.

`build` turns the flags into a `NetConfig`, stored in the container's config (frozen
dataclasses with defaults: rows written before a field existed decode without it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from supervisor.errors import UsageError

PROTOCOLS = ("tcp", "udp", "sctp")
MODES = ("bridge", "none", "host", "container", "ns", "pasta", "slirp4netns")  # rootless
DEFAULT_NETWORK = "podman"  # Podman's default network (Docker calls it "bridge")
_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
_HOSTNAME = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$")
# Podman takes `my_db` (a compose service name); the DNS responder matches names as bytes.
_ALIAS = re.compile(r"^[a-zA-Z0-9_]([a-zA-Z0-9_.-]*[a-zA-Z0-9_])?$")
_MAC = re.compile(r"^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$")


@dataclass(frozen=True)
class Attach:
    """One network the container joins (with `NAME:ip=...,alias=...,mac=...`)."""

    network: str = DEFAULT_NETWORK
    ip: str = ""
    mac: str = ""
    aliases: tuple[str, ...] = ()
    ip6: str = ""  # net6: `ip6=` / --ip6


@dataclass(frozen=True)
class PortMap:
    """One published port: host side -> container side; host_port 0: a free one."""

    container_port: int = 0
    proto: str = "tcp"
    host_port: int = 0
    host_ip: str = ""


@dataclass(frozen=True)
class NetConfig:
    """A container's network, as asked (the mode and its networks, ports, DNS, hosts)."""

    mode: str = "none"  # bridge | none | host | container | ns
    networks: tuple[Attach, ...] = ()  # bridge mode: in the order given (eth0, eth1, ...)
    target: str = ""  # container:ID (its reference) or ns:PATH
    ports: tuple[PortMap, ...] = ()
    expose: tuple[str, ...] = ()  # "80/tcp": --expose (the image's are added at create)
    publish_all: bool = False
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    dns_options: tuple[str, ...] = ()
    add_hosts: tuple[str, ...] = ()  # "name:ip"
    no_hosts: bool = False

    @property
    def bridged(self) -> bool:
        return self.mode == "bridge"


@dataclass(frozen=True)
class NetFlags:
    """The network flags as typed (the CLI's strings; validated by `build`)."""

    publish: tuple[str, ...] = ()
    publish_all: bool = False
    expose: tuple[str, ...] = ()
    ip: str = ""
    mac: str = ""
    aliases: tuple[str, ...] = ()
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    dns_options: tuple[str, ...] = ()
    add_hosts: tuple[str, ...] = ()
    no_hosts: bool = False
    ip6: str = ""  # net6: --ip6


PORTS_DISCARDED = ("Port mappings have been discarded as one of the Host, Container, Pod, and"
                   " None network modes are in use")


def build(network: str, flags: NetFlags, default_mode: str) -> NetConfig:
    """`network`: --network as typed ("": the default mode)."""
    mode, target, nets = parse_network(network or default_mode)
    ports = tuple(p for text in flags.publish for p in parse_publish(text))  # syntax first
    if mode == "bridge":
        nets = _with_global_options(nets, flags)
    else:
        for name, given in (("--ip", flags.ip), ("--mac-address", flags.mac),
                            ("--network-alias", flags.aliases), ("--ip6", flags.ip6)):
            if given:
                raise UsageError(f"{name} can only be used with a bridge network, not "
                                 f"--network {network or default_mode}")
        if (flags.publish or flags.publish_all) and mode not in ("pasta", "slirp4netns"):
            # Podman 4.3 runs the container without them, with this warning
            from supervisor.notices import notice

            notice(PORTS_DISCARDED, podman_words=True)
            ports, flags = (), replace(flags, publish=(), publish_all=False)
    if mode == "container" and flags.add_hosts:  # net6: the hosts file is the other's
        raise UsageError("cannot set extra host entries when the container is joined to "
                         "another container's network namespace")
    # Podman 4.3 takes them with --network host (the container's own resolv.conf)
    if mode == "container" and (flags.dns or flags.dns_search or flags.dns_options):
        raise UsageError(f"--dns and --dns-search/--dns-option cannot be used with "
                         f"--network {mode}")
    _no_duplicates(ports)  # rootless (issue 17): free host ports come at create (create.py)
    return NetConfig(
        mode=mode, networks=nets, target=target, ports=ports,
        expose=tuple(e for text in flags.expose for e in parse_expose(text)),
        publish_all=flags.publish_all,
        dns=tuple(_address(d, "--dns") for d in flags.dns),
        dns_search=tuple(_domain(d) for d in flags.dns_search),
        dns_options=tuple(_dns_option(o) for o in flags.dns_options),
        add_hosts=tuple(parse_add_host(h) for h in flags.add_hosts),
        no_hosts=flags.no_hosts,
    )


def parse_network(value: str) -> tuple[str, str, tuple[Attach, ...]]:
    """`bridge|none|host|NAME[,NAME...]|container:ID|ns:PATH`; NAME may carry
    `:ip=...,alias=...,mac=...` (Podman's per-network options)."""
    if value in ("none", "host", "pasta", "slirp4netns"):
        return value, "", ()
    for prefix in ("container", "ns"):
        if value.startswith(prefix + ":"):
            target = value[len(prefix) + 1:]
            if not target or (prefix == "ns" and not target.startswith("/")):
                raise UsageError(f"invalid --network {value!r}: {prefix}: needs "
                                 f"{'an absolute path' if prefix == 'ns' else 'a container'}")
            return prefix, target, ()
    if value.startswith("slirp4netns:"):
        return "slirp4netns", slirp_options(value[len("slirp4netns:"):]), ()
    if value == "private":  # Podman's: a namespace of its own, the default kind for this user
        from supervisor.rootless import is_rootless

        return parse_network("slirp4netns" if is_rootless() else "bridge")
    if value.startswith("pasta:"):
        raise UsageError(f"--network {value} is not supported by scopebox (use bridge, none, "
                         "host, a network name, container:ID or ns:PATH)")
    nets: list[Attach] = []
    for item in _split_networks(value):
        nets.append(_attach(item, value))
    names = [n.network for n in nets]
    if len(set(names)) != len(names):
        raise UsageError(f"invalid --network {value!r}: a network is named twice")
    return "bridge", "", tuple(nets)


SLIRP_OPTIONS = ("cidr", "mtu", "allow_host_loopback", "port_handler=slirp4netns")


def slirp_options(text: str) -> str:
    """`slirp4netns:cidr=10.0.3.0/24,mtu=1500,allow_host_loopback=true` (Podman's keys; the
    others it has are refused by name). Kept as typed, checked here."""
    import ipaddress

    for item in text.split(","):
        key, eq, value = item.partition("=")
        if not eq or key not in ("cidr", "mtu", "allow_host_loopback", "enable_ipv6",
                                 "outbound_addr", "outbound_addr6", "port_handler"):
            raise UsageError(f'unknown option for slirp4netns: "{item}"')
        if key == "port_handler":  # slirp4netns's own is what scopebox uses (slirp.py)
            if value not in ("slirp4netns", "rootlesskit"):
                raise UsageError(f'unknown port_handler for slirp4netns: "{value}"')
            if value == "rootlesskit":
                raise UsageError("slirp4netns option port_handler=rootlesskit is not "
                                 "supported by scopebox (only port_handler=slirp4netns)")
            continue
        if key not in SLIRP_OPTIONS:
            raise UsageError(f"slirp4netns option {key} is not supported by scopebox "
                             f"(only {', '.join(SLIRP_OPTIONS)})")
        if key == "cidr":
            try:
                net = ipaddress.IPv4Network(value)
            except ValueError:
                raise UsageError(f'invalid cidr "{value}"') from None
            if net.prefixlen > 25:  # .100 and .3 must fit (slirp4netns's own rule)
                raise UsageError(f'invalid cidr "{value}": a /25 at most (.100 must fit)')
        elif key == "mtu" and not (value.isdigit() and 68 <= int(value) <= 65521):
            raise UsageError(f"invalid mtu for slirp4netns: {value!r}")
        elif key == "allow_host_loopback" and value not in ("true", "false"):
            raise UsageError(f"invalid allow_host_loopback for slirp4netns: {value!r}")
    return text


def slirp_option(target: str, key: str) -> str:
    for item in target.split(",") if target else ():
        k, _, v = item.partition("=")
        if k == key:
            return v
    return ""


def _split_networks(value: str) -> list[str]:
    """`a,b` is two networks; `a:ip=1.2.3.4,alias=x` is one with options (Podman's split:
    a comma starts a new network unless what follows is a key=value)."""
    out: list[str] = []
    for part in value.split(","):
        if out and ":" in out[-1] and re.match(r"^(ip|ip6|alias|mac|interface_name)=", part):
            out[-1] += "," + part
        else:
            out.append(part)
    return out


def _attach(item: str, whole: str) -> Attach:
    name, colon, opts = item.partition(":")
    if name == "bridge":
        name = DEFAULT_NETWORK
    if not name or not _NAME.match(name):
        raise UsageError(f"invalid --network {whole!r}: {name!r} is not a network name")
    ip, mac, aliases, ip6 = "", "", [], ""
    for opt in opts.split(",") if colon else []:
        key, eq, val = opt.partition("=")
        if not eq or not val:
            raise UsageError(f"invalid --network option {opt!r}: expected ip=, alias= or mac=")
        if key == "ip":
            ip = _ipv4(val, "ip")
        elif key == "ip6":
            ip6 = _ipv6(val, "ip6")
        elif key == "mac":
            mac = _mac(val)
        elif key == "alias":
            aliases.append(_alias(val))
        else:
            raise UsageError(f"unsupported --network option {key!r} (ip, ip6, alias, mac)")
    return Attach(name, ip, mac, tuple(aliases), ip6)


def _with_global_options(nets: tuple[Attach, ...], flags: NetFlags) -> tuple[Attach, ...]:
    """--ip, --mac-address and --network-alias apply to the one network joined."""
    if not (flags.ip or flags.mac or flags.aliases or flags.ip6):
        return nets
    if len(nets) != 1:
        raise UsageError("--ip, --ip6, --mac-address and --network-alias need exactly one "
                         "network (use NAME:ip=...,ip6=...,alias=... per network)")
    (n,) = nets
    if (flags.ip and n.ip) or (flags.mac and n.mac) or (flags.ip6 and n.ip6):
        raise UsageError("--ip, --ip6 or --mac-address given twice (flag and network option)")
    return (Attach(n.network, _ipv4(flags.ip, "--ip") if flags.ip else n.ip,
                   _mac(flags.mac) if flags.mac else n.mac,
                   n.aliases + tuple(_alias(a) for a in flags.aliases),
                   _ipv6(flags.ip6, "--ip6") if flags.ip6 else n.ip6),)


def parse_publish(text: str) -> list[PortMap]:
    """Docker's `[hostIP:][hostPort:]ctrPort[/tcp|udp|sctp]`, ports or ranges (`8000-8010`);
    an empty or 0 host port: a free one. IPv6 host addresses in brackets (net6)."""
    bad = f"invalid -p/--publish {text!r}"
    spec, slash, protos = text.partition("/")
    proto_list = protos.split(",") if slash else ["tcp"]
    for p in proto_list:
        if p not in PROTOCOLS:
            raise UsageError(f"{bad}: protocol must be tcp, udp or sctp")
    host_ip = ""
    if spec.startswith("["):  # net6: [IPv6 host address]:[hostPort]:containerPort
        inside, close, rest = spec[1:].partition("]")
        if not close or not rest.startswith(":") or rest.count(":") != 2 or \
                not rest.split(":")[-1]:
            raise UsageError(f"{bad}: expected [IPv6 address]:[hostPort]:containerPort")
        host_ip = _ipv6(inside, "-p host address")
        import ipaddress  # performance (issue 16): not at import, the model loads this module

        if ipaddress.IPv6Address(host_ip).is_loopback:
            raise UsageError(f"{bad}: ::1 cannot be forwarded to a container (the kernel "
                             "does not route IPv6 loopback traffic out; use [::] or the "
                             "host's address)")
        if ipaddress.IPv6Address(host_ip).is_unspecified:
            host_ip = ""
        parts = rest[1:].split(":")
    else:
        parts = spec.split(":")
        if len(parts) > 3 or not parts[-1]:
            raise UsageError(f"{bad}: expected [hostIP:][hostPort:]containerPort[/protocol]")
        host_ip = _ipv4(parts[0], "-p host address") if len(parts) == 3 and parts[0] else ""
    host_text = parts[-2] if len(parts) >= 2 else ""
    ctr = _range(parts[-1], bad, "container")
    host = _range(host_text, bad, "host") if host_text and host_text != "0" else None
    if host is not None and host[1] - host[0] != ctr[1] - ctr[0]:
        raise UsageError(f"{bad}: host and container port ranges have different lengths: "
                         f"{host[1] - host[0] + 1} vs {ctr[1] - ctr[0] + 1}")
    out = []
    for proto in proto_list:
        for i in range(ctr[1] - ctr[0] + 1):
            out.append(PortMap(ctr[0] + i, proto, host[0] + i if host else 0, host_ip))
    return out


def _range(text: str, bad: str, side: str) -> tuple[int, int]:
    lo, dash, hi = text.partition("-")
    first = _port(lo, bad, side)
    last = _port(hi, bad, side) if dash else first
    if last < first:
        raise UsageError(f"{bad}: {side} port range {text!r} ends before it starts")
    return first, last


def _port(text: str, bad: str, side: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise UsageError(f"{bad}: {side} port numbers must be between 1 and 65535 "
                         f"(inclusive), got {text or 'nothing'}")
    return int(text)


def parse_expose(text: str) -> list[str]:
    """`--expose 80`, `80/udp`, `8000-8010`: "port/proto" keys as the image's ExposedPorts."""
    bad = f"invalid --expose {text!r}"
    spec, slash, proto = text.partition("/")
    proto = proto if slash else "tcp"
    if proto not in PROTOCOLS:
        raise UsageError(f"{bad}: protocol must be tcp, udp or sctp")
    lo, hi = _range(spec, bad, "container")
    return [f"{p}/{proto}" for p in range(lo, hi + 1)]


def exposed_ports(cfg: NetConfig, image_exposed: dict[str, object] | None) -> list[PortMap]:
    """-P: every exposed port (flags' and the image's) not published yet, on a free host port."""
    keys = list(cfg.expose) + sorted(image_exposed or {})
    taken = {(p.container_port, p.proto) for p in cfg.ports}
    out = []
    for key in keys:
        port_text, _, proto = key.partition("/")
        if not port_text.isdigit() or (int(port_text), proto or "tcp") in taken:
            continue
        taken.add((int(port_text), proto or "tcp"))
        out.append(PortMap(int(port_text), proto or "tcp"))
    return out


def _no_duplicates(ports: tuple[PortMap, ...]) -> None:
    seen: set[tuple[str, int, str]] = set()
    for p in ports:
        if not p.host_port:
            continue
        key = (p.proto, p.host_port, p.host_ip)
        if key in seen or any(s[:2] == key[:2] and (not s[2] or not p.host_ip) for s in seen):
            raise UsageError(f"host port {p.host_port}/{p.proto} is published twice")
        seen.add(key)


def parse_add_host(text: str) -> str:
    """`--add-host name:ip` (Docker's `name=ip` too; `host-gateway` is the host's address
    on the container's first network, filled in at start)."""
    sep = "=" if "=" in text and ":" not in text.split("=")[0] else ":"
    name, found, addr = text.partition(sep)
    if not found or not name or not _HOSTNAME.match(name):
        raise UsageError(f"invalid --add-host {text!r}: expected name:ip")
    if addr != "host-gateway":
        addr = _address(addr, "--add-host")
    return f"{name}:{addr}"


def _address(text: str, flag: str) -> str:
    import ipaddress

    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise UsageError(f"invalid {flag} {text!r}: not an IP address") from None


def _ipv4(text: str, flag: str) -> str:
    import ipaddress

    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        raise UsageError(f"invalid {flag} {text!r}: not an IPv4 address") from None


def _ipv6(text: str, flag: str) -> str:
    """net6: Podman's words for a value that is no address at all."""
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise UsageError(f'"{text}" is not an ip address') from None
    try:
        return str(ipaddress.IPv6Address(text))
    except ValueError:
        raise UsageError(f"invalid {flag} {text!r}: not an IPv6 address") from None


def _mac(text: str) -> str:
    if not _MAC.match(text) or int(text[:2], 16) & 1:
        raise UsageError(f"invalid MAC address {text!r}")
    return text.lower()


def _alias(text: str) -> str:
    if not _ALIAS.match(text):
        raise UsageError(f"invalid network alias {text!r}")
    return text


def _domain(text: str) -> str:
    if text != "." and not _HOSTNAME.match(text):
        raise UsageError(f"invalid --dns-search {text!r}")
    return text


def _dns_option(text: str) -> str:
    if not text or any(c.isspace() for c in text):
        raise UsageError(f"invalid --dns-option {text!r}")
    return text


def default_mode(configured: str | None, root: bool) -> str:
    """containers.conf `[containers] netns` (Podman's default `bridge` as root; rootless
    (issue 17): `slirp4netns` as Podman 4.3's, where it is installed, else `pasta`). Measured
    here: a slirp4netns holds ~0.6 MiB private memory per container, a pasta ~29 MiB."""
    if configured:
        return configured
    if root:
        return "bridge"
    import shutil

    return "pasta" if shutil.which("slirp4netns") is None and shutil.which("pasta") else \
        "slirp4netns"
