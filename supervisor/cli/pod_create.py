"""scopebox pod create [--name N] [-p ...] [--network N] [--share ...] [--infra=BOOL] ..."""

from __future__ import annotations

import os
from typing import Any

from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings


def _bool(value: str) -> bool:
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise UsageError(f"invalid boolean {value!r}")


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("pod create", "Create a new empty pod.")
    a = p.add_argument
    a("-n", "--name", default="", help="the pod's name")
    a("-p", "--publish", action="append", default=[], help="publish a port of the pod")
    a("--network", "--net", default="", help="the pod's network (bridge, none, host, NAME)")
    a("--share", default=None, help="namespaces to share: cgroup, ipc, net, pid, uts or none")
    a("--infra", default="true", help="make an infra container (default true)")
    a("--infra-image", default="", help="image of the infra container (default: catatonit)")
    a("--infra-command", default="", help="the infra container's command")
    a("--infra-name", default="", help="the infra container's name")
    a("--hostname", default="", help="the pod's host name")
    a("--add-host", action="append", default=[], help="HOST:IP in /etc/hosts")
    a("--dns", action="append", default=[], help="a nameserver for the pod")
    # issue 19 (helper "flags"): the infra's network flags and namespace settings
    a("--dns-search", action="append", default=[], help="a DNS search domain for the pod")
    a("--dns-option", action="append", default=[], help="a resolv.conf option for the pod")
    a("--no-hosts", action="store_true", help="do not write the pod's /etc/hosts")
    a("--network-alias", action="append", default=[], help="the pod's name on its network")
    a("--ip", default="", help="the pod's IPv4 address on its network")
    a("--ip6", default="", help="the pod's IPv6 address on its network")
    a("--mac-address", default="", help="the pod's MAC address on its network")
    a("--sysctl", action="append", default=[], help="a namespaced kernel parameter of the"
      " pod's shared namespaces (NAME=VALUE)")
    a("--shm-size", default="", help="size of the pod's /dev/shm (shared with --share ipc)")
    a("--userns", default="", help="the pod's user namespace, its members' unless they say"
      " otherwise: host, auto[:...], keep-id[:...], nomap, ns:PATH")  # issues 17/19
    a("--label-file", action="append", default=[], help="read key=value labels from a file")
    a("-l", "--label", action="append", default=[], help="key=value")
    a("--exit-policy", default="continue", help="continue or stop")
    a("--replace", action="store_true", help="remove a pod of the same name first")
    a("--pod-id-file", default="", help="write the pod's id to this file")
    # the pod's cgroup (helper podsx): limits on the slice or cgroup holding its containers
    a("--cpus", default="", help="CPUs the pod's containers may use together (like 1.5)")
    a("-m", "--memory", default="", help="memory limit of the pod's containers together")
    a("-c", "--cpu-shares", default="", help="CPU shares of the pod's cgroup (relative weight)")
    a("--cpuset-cpus", default="", help="CPUs the pod's containers may run on (0-3, 0,1)")
    a("--cpuset-mems", default="", help="memory nodes the pod's containers may use (0-3, 0,1)")
    a("--memory-swap", default="", help="memory plus swap of the pod's containers (-1:"
      " unlimited swap)")
    a("--cgroup-parent", default="", help="parent of the pod's cgroup (a slice with systemd)")
    a("--infra-conmon-pidfile", default="", help="write the infra's monitor pid here")
    a("--share-parent", action="store_true", default=True,
      help="the pod's cgroup is its containers' parent (default true)")
    a("--share-parent=false", dest="share_parent", action="store_false",
      help=argparse_suppress())
    add_infra_flags(p)  # helper pods
    a("name_arg", nargs="?", default="", metavar="NAME", help="the pod's name")
    ns = p.parse_args(argv)
    refuse_blkio(ns)
    from supervisor.api import pods as api
    from supervisor.cli.common import _command_line

    labels = label_files(ns.label_file)
    for item in ns.label:
        key, _, value = item.partition("=")
        labels[key] = value
    if ns.name and ns.name_arg:
        raise UsageError("cannot specify --name and a name argument: give one")
    command = tuple(ns.infra_command.split()) if ns.infra_command else ()
    req = api.PodCreateRequest(
        name=ns.name or ns.name_arg, publish=tuple(ns.publish), network=ns.network,
        share=ns.share, infra=_bool(ns.infra), infra_image=ns.infra_image,
        infra_command=command, infra_name=ns.infra_name, hostname=ns.hostname,
        add_hosts=tuple(ns.add_host), dns=tuple(ns.dns), labels=labels,
        exit_policy=ns.exit_policy, replace=ns.replace,
        create_command=tuple(_command_line()),
        **_limits(ns.cpus, ns.memory, ns.cgroup_parent),
        **_more_limits(ns),  # issue 19
        share_parent=ns.share_parent,
        dns_search=tuple(ns.dns_search), dns_options=tuple(ns.dns_option),
        no_hosts=ns.no_hosts, aliases=tuple(ns.network_alias), ip=ns.ip, ip6=ns.ip6,
        mac=ns.mac_address, sysctls=tuple(ns.sysctl), shm_size=ns.shm_size, userns=ns.userns,
        infra_conmon_pidfile=os.path.abspath(ns.infra_conmon_pidfile)
        if ns.infra_conmon_pidfile else "",
        **infra_fields(ns),  # helper pods
    )
    pod_id = api.create(settings, req)
    if ns.pod_id_file:
        with open(ns.pod_id_file, "w") as f:
            f.write(pod_id)
    print(pod_id)
    return 0


def label_files(paths: list[str]) -> dict[str, str]:
    """`--label-file`: key=value lines; blank, `#` and `=`-less lines skipped."""
    labels: dict[str, str] = {}
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read the label file {path!r}: {exc}") from None
        for line in lines:
            line = line.strip()
            key, eq, value = line.partition("=")
            if eq and not line.startswith("#"):  # Podman's pods drop a line without "="
                labels[key] = value
    return labels


def _limits(cpus: str, memory: str, parent: str) -> dict[str, Any]:
    """helper podsx: --cpus, --memory, --cgroup-parent as the request's fields."""
    from supervisor.sizes import parse_size

    out: dict[str, Any] = {"cgroup_parent": parent}
    if cpus:
        from supervisor.api.podtools import parse_cpus  # performance: only when given

        out["cpus"] = parse_cpus(cpus)
    if memory:
        out["memory"] = parse_size(memory)
        if out["memory"] < 6 * 1024 * 1024:
            raise UsageError("minimum memory limit allowed is 6MB")
    return out


def _more_limits(ns: Any) -> dict[str, Any]:
    """issue 19: --cpu-shares, --cpuset-cpus, --cpuset-mems, --memory-swap (Podman's words)."""
    if not (ns.cpuset_cpus or ns.cpuset_mems or ns.cpu_shares or ns.memory_swap):
        return {"cpuset_cpus": "", "cpuset_mems": ""}  # performance: no checks to import
    from supervisor.api.podtools import check_cpuset, check_swap
    from supervisor.sizes import parse_size

    out: dict[str, Any] = {"cpuset_cpus": check_cpuset("--cpuset-cpus", ns.cpuset_cpus),
                           "cpuset_mems": check_cpuset("--cpuset-mems", ns.cpuset_mems)}
    if ns.cpu_shares:
        if not ns.cpu_shares.isascii() or not ns.cpu_shares.isdigit():
            raise UsageError(f'invalid argument "{ns.cpu_shares}" for "-c, --cpu-shares" flag:'
                             f' strconv.ParseUint: parsing "{ns.cpu_shares}": invalid syntax')
        out["cpu_shares"] = int(ns.cpu_shares)
    if ns.memory_swap:
        swap = -1 if ns.memory_swap == "-1" else parse_size(ns.memory_swap)
        memory = parse_size(ns.memory) if ns.memory else 0
        out["memory_swap"] = check_swap(swap, memory)
    return out


def argparse_suppress() -> str:
    import argparse

    return argparse.SUPPRESS


_BLKIO = ("blkio_weight", "blkio_weight_device", "device_read_bps", "device_write_bps")


def add_infra_flags(p: Any) -> None:
    """helper pods: Podman 4.3's pod flags for the infra container (`pod create`, `pod
    clone`); the pod's members inherit --device and --volume, join --pid/--uts with --share,
    and join the user namespace of --uidmap/--gidmap/--subuidname/--subgidname."""
    a = p.add_argument
    a("--pid", default="", help="the pod's PID namespace: host, private, ns:PATH")
    a("--uts", default="", help="the pod's UTS namespace: host, private, ns:PATH")
    a("--device", action="append", default=[], help="a host device for every container of"
      " the pod (HOST[:CONTAINER][:PERMISSIONS])")
    a("-v", "--volume", action="append", default=[], help="a volume for every container of"
      " the pod (SOURCE:DEST[:OPTIONS])")
    a("--volumes-from", action="append", default=[], help="the volumes of a container, for"
      " the infra container")
    a("--security-opt", action="append", default=[], help="a security option of the infra"
      " container")
    a("--uidmap", action="append", default=[], help="UID map of the pod's user namespace")
    a("--gidmap", action="append", default=[], help="GID map of the pod's user namespace")
    a("--subuidname", default="", help="the pod's UID map from /etc/subuid")
    a("--subgidname", default="", help="the pod's GID map from /etc/subgid")
    for flag in _BLKIO:  # accepted, and refused when used with the reason (refuse_blkio)
        a(f"--{flag.replace('_', '-')}", action="append", default=[],
          help="refused: a pod's cgroup takes no block I/O limits; give it to each container")


def refuse_blkio(ns: Any) -> None:
    """Podman writes these into the pod's blkio (v1) or io (v2) cgroup files; scopebox's
    pod cgroup carries CPU and memory limits only (docs/PODS.md)."""
    for flag in _BLKIO:
        if getattr(ns, flag):
            name = flag.replace("_", "-")
            raise UsageError(f"--{name}: a pod's cgroup takes no block I/O limits in scopebox;"
                             f" give --{name} to each container (run/create --{name})")


def infra_fields(ns: Any) -> dict[str, Any]:
    return {"pid": ns.pid, "uts": ns.uts, "devices": tuple(ns.device),
            "volumes": tuple(ns.volume), "volumes_from": tuple(ns.volumes_from),
            "security_opt": tuple(ns.security_opt), "uidmap": tuple(ns.uidmap),
            "gidmap": tuple(ns.gidmap), "subuidname": ns.subuidname,
            "subgidname": ns.subgidname}
