"""A new container's network part, checked against the store at create (its networks exist,
the image's ExposedPorts join --expose, container: names a container)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from supervisor.errors import NotFoundError, UsageError

if TYPE_CHECKING:
    from supervisor.container.context import Context
    from supervisor.model import ContainerConfig


def checked(ctx: Context, config: ContainerConfig, img_cfg: dict[str, Any]) -> ContainerConfig:
    from supervisor.network.request import parse_expose

    net = config.net
    if net.bridged:
        _rootless_bridge(net)
        from supervisor.network.db import NetworkDB

        ndb = NetworkDB(ctx.store)
        for att in net.networks:
            try:
                ndb.get(att.network)
            except NotFoundError:
                raise UsageError(f"unable to find network with name or ID {att.network}: "
                                 "network not found") from None
        if net.networks:  # net6: a host address of a family the first network lacks
            versions = {s.version for s in ndb.get(net.networks[0].network).subnets}
            for p in net.ports:
                if p.host_ip and (6 if ":" in p.host_ip else 4) not in versions:
                    raise UsageError(f"cannot publish on host address {p.host_ip}: network "
                                     f"{net.networks[0].network} has no IPv"
                                     f"{6 if ':' in p.host_ip else 4} subnet")
    if net.mode == "container":
        ctx.store.find_container(net.target)
    image_ports = [k for k in sorted(img_cfg.get("ExposedPorts") or {})]
    extra = []
    for key in image_ports:
        try:
            extra += parse_expose(key)
        except UsageError:
            continue  # an image's odd key is not the user's error
    expose = tuple(dict.fromkeys(net.expose + tuple(extra)))
    net = replace(net, expose=expose)
    if net.mode in ("pasta", "slirp4netns"):  # rootless (issue 17)
        net = replace(net, ports=_own_host_ports(net))
    return replace(config, net=net)


def _rootless_bridge(net: Any) -> None:
    """Rootless (issue 17): bridge networks live in the user's network namespace, joined to
    the host by slirp4netns (`rootless/netns.py`); what it needs of the host (the tun device,
    unprivileged host ports) is one line now, before anything is made."""
    from supervisor.rootless import is_rootless

    if is_rootless():
        from supervisor.network.pasta import check_host_side

        check_host_side(net.ports)


def _own_host_ports(net: Any) -> tuple[Any, ...]:
    """Rootless (issue 17): pasta and slirp4netns forward fixed host ports, so -P's exposed
    ports and a -p without a host port get a free one now, at create, as Podman picks them;
    `port`, `ps` and inspect show them (the same ports on every start)."""
    import socket

    from supervisor.network.request import exposed_ports

    ports = list(net.ports) + (exposed_ports(net, None) if net.publish_all else [])
    out = []
    for p in ports:
        if not p.host_port:
            kind = socket.SOCK_DGRAM if p.proto == "udp" else socket.SOCK_STREAM
            family = socket.AF_INET6 if ":" in p.host_ip else socket.AF_INET
            with socket.socket(family, kind) as s:
                s.bind((p.host_ip or "", 0))
                p = replace(p, host_port=s.getsockname()[1])
        out.append(p)
    return tuple(out)
