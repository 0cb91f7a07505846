"""Rootless networking (issue 17): `--network pasta`, the default for a user who is not root.

A rootless container cannot have a veth on a host bridge. As Podman (4.4+ `pasta`), each
container gets its own network namespace (`$RUNROOT/netns/<id>`, made inside the user's
namespace, so owned by it) and one `pasta` process (Debian `passt`) that copies the host's
addresses and routes into it (`--config-net`), carries its traffic through ordinary sockets
of the user on the host, and forwards each `-p HOST:CONTAINER` (TCP `-t`, UDP `-u`) from the
host's ports into the namespace. pasta runs as the user (root of the user's namespace, where
the engine runs), daemonizes, writes its pid to the run dir, and quits by itself once the
namespace file is gone; teardown also signals it.

Standard library only (the exit command runs teardown under `python3 -I -S`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from typing import TYPE_CHECKING, ClassVar

from supervisor.errors import SystemError_

if TYPE_CHECKING:
    from supervisor.container.context import Context
    from supervisor.network.request import PortMap
    from supervisor.store import ContainerRow

TUN = "/dev/net/tun"
MNT_DETACH = 2


def pasta_args(ports: tuple[PortMap, ...], netns: str, pidfile: str) -> list[str]:
    """pasta's command line: only the published ports, none of pasta's automatic ones."""
    tcp = [_spec(p) for p in ports if p.proto == "tcp"]
    udp = [_spec(p) for p in ports if p.proto == "udp"]
    args = ["--config-net", "--quiet", "--pid", pidfile]
    for flag, specs in (("-t", tcp), ("-u", udp)):
        args += [x for s in specs for x in (flag, s)] if specs else [flag, "none"]
    return [*args, "-T", "none", "-U", "none", "--netns", netns]


def _spec(p: PortMap) -> str:
    """pasta's `[ADDR/]HOST:CONTAINER`; a host port 0 forwards the same number."""
    host = p.host_port or p.container_port
    addr = f"{p.host_ip}/" if p.host_ip else ""
    return f"{addr}{host}:{p.container_port}"


class PastaResource:
    name: ClassVar[str] = "pasta"

    def setup(self, ctx: Context, row: ContainerRow) -> None:
        pasta, ns = prepare(ctx, row, "pasta", "rootless networking needs pasta: install the"
                            " passt package (or use --network none)")
        res = subprocess.run(
            [pasta, *pasta_args(row.config.net.ports, ns, _pidfile(ctx, row.id))],
            capture_output=True, text=True, stdin=subprocess.DEVNULL,
        )
        if res.returncode != 0:
            why = [ln for ln in res.stderr.splitlines() if "syslog" not in ln][-1:]
            raise SystemError_(f"pasta failed: {why[0] if why else f'exit {res.returncode}'}")

    def teardown(self, ctx: Context, row: ContainerRow) -> None:
        from supervisor.network.resource import netns_path

        ns = netns_path(ctx.paths, row.id)
        pid = process_of(_pidfile(ctx, row.id), ns)
        if pid is not None:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
        detach(ns)  # pasta may still hold the file open: a plain umount would be EBUSY
        with contextlib.suppress(OSError):
            os.unlink(_pidfile(ctx, row.id))


def prepare(ctx: Context, row: ContainerRow, tool: str, missing: str) -> tuple[str, str]:
    """What pasta and slirp4netns set-ups share: the tool's path (`missing` when there is
    none), the host side checked, the container's network namespace made; (path, netns)."""
    from supervisor.network.netlink import NetlinkError, create_netns
    from supervisor.network.resource import netns_path

    path = shutil.which(tool)
    if path is None:
        raise SystemError_(missing)
    check_host_side(row.config.net.ports)
    ns = netns_path(ctx.paths, row.id)
    try:
        create_netns(ns)
    except NetlinkError as exc:
        raise SystemError_(str(exc)) from exc
    return path, ns


def check_host_side(ports: tuple[PortMap, ...]) -> None:
    """What pasta and slirp4netns need of the host: a usable tun device, unprivileged ports."""
    if not os.access(TUN, os.R_OK | os.W_OK):
        raise SystemError_(f"rootless networking needs {TUN} usable by the user (udev's "
                           f"default mode 0666): chmod 0666 {TUN} (or use --network none)")
    below = [p.host_port or p.container_port for p in ports]
    start = _unprivileged_start()
    if below and min(below) < start:
        raise SystemError_(
            f"rootless port {min(below)} is below net.ipv4.ip_unprivileged_port_start "
            f"({start}): publish a port >= that, or lower it with sysctl "
            "net.ipv4.ip_unprivileged_port_start")


def detach(path: str) -> None:
    """Lazily unmount a namespace file and remove it (idempotent)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.umount2(path.encode(), MNT_DETACH)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _pidfile(ctx: Context, cid: str) -> str:
    return os.path.join(ctx.paths.runroot, "netns", f"{cid}.pasta.pid")


def process_of(pidfile: str, ns: str) -> int | None:
    """The helper's pid, only while that process still names this namespace file."""
    try:
        with open(pidfile, encoding="ascii") as f:
            pid = int(f.read().strip())
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().split(b"\0")
    except (OSError, ValueError):
        return None
    return pid if ns.encode() in cmdline else None


def _unprivileged_start() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_unprivileged_port_start", encoding="ascii") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 1024


PASTA = PastaResource()
