"""Which network namespace a container joins: its own (bridge), another container's
(`container:ID`, which must be running) or a file (`ns:PATH`)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, ClassVar

from supervisor.errors import StateError, UsageError

if TYPE_CHECKING:
    from supervisor.container.context import Context
    from supervisor.store import ContainerRow


def netns_of(engine: Context, row: ContainerRow) -> str:
    net = row.config.net
    if net.mode in ("bridge", "pasta", "slirp4netns"):  # pasta, slirp4netns: rootless
        from supervisor.network.resource import netns_path

        return netns_path(engine.paths, row.id)
    if net.mode == "ns":
        if not os.path.exists(net.target):
            raise UsageError(f"--network ns:{net.target}: no such file")
        return net.target
    if net.mode == "container":
        other = engine.refresh(engine.store.find_container(net.target))
        if not other.status.is_active or not other.pid:
            raise StateError(f"cannot join the network of container {other.name!r}: "
                             "it is not running")
        return f"/proc/{other.pid}/ns/net"
    return ""


def etc_source(engine: Context, row: ContainerRow, name: str) -> str:
    """The host file bind-mounted on /etc/NAME: the container's own, or (net6) with
    `--network container:X` X's /etc/hosts and /etc/resolv.conf, as Podman shares them (one
    network, one view of it: X's address, names and DNS servers)."""
    net = row.config.net
    if net.mode == "container" and name in ("hosts", "resolv.conf"):
        other = engine.store.find_container(net.target)
        return os.path.join(engine.paths.container_dir(other.id), name)
    return os.path.join(engine.paths.container_dir(row.id), name)


class JoinedHostsResource:
    """`--network container:X` (net6): while the container runs, X's /etc/hosts (which it
    shares) names it too, `127.0.0.1 <hostname> <name>` as Podman 4.3 adds, without a name
    the file has already (a pod member's hostname is the pod's, on the infra's line); the
    line goes at teardown. The file is bind-mounted in running containers: edited in place under a
    flock. Standard library only (the monitor's exit command runs the teardown)."""

    name: ClassVar[str] = "net-joined-hosts"

    def setup(self, ctx: Context, row: ContainerRow) -> None:
        path = _target_hosts(ctx, row)
        if path:
            _edit(path, row.name, _hostname(ctx, row), add=True)

    def teardown(self, ctx: Context, row: ContainerRow) -> None:
        path = _target_hosts(ctx, row)
        if path:
            _edit(path, row.name, "", add=False)


def _hostname(ctx: Context, row: ContainerRow) -> str:
    try:
        with open(os.path.join(ctx.paths.container_dir(row.id), "hostname")) as f:
            return f.readline().strip() or row.id[:12]
    except OSError:
        return row.id[:12]


def _ours(line: str, name: str) -> bool:
    fields = line.split()
    return len(fields) >= 2 and fields[0] == "127.0.0.1" and fields[-1] == name


def _target_hosts(ctx: Context, row: ContainerRow) -> str:
    net = row.config.net
    if net.mode != "container" or net.no_hosts:
        return ""
    from supervisor.errors import NotFoundError

    try:
        other = ctx.store.find_container(net.target)
    except NotFoundError:
        return ""  # gone: its file with it
    path = os.path.join(ctx.paths.container_dir(other.id), "hosts")
    return path if os.path.exists(path) else ""


def _edit(path: str, name: str, hostname: str, add: bool) -> None:
    import fcntl

    try:
        with open(path, "r+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            lines = [x for x in f.readlines() if not _ours(x, name)]
            if add:
                known = {n for x in lines if not x.startswith("#") for n in x.split()[1:]}
                names = [n for n in dict.fromkeys((hostname, name)) if n not in known]
                if names:
                    lines.append("127.0.0.1\t" + " ".join(names) + "\n")
            f.seek(0)
            f.write("".join(lines))
            f.truncate()
    except FileNotFoundError:
        pass
