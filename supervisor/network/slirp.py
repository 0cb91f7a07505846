"""Rootless networking (issue 17): `--network slirp4netns`, Podman 4.3's rootless default.

The same namespace file as pasta's (`$RUNROOT/netns/<id>`); one `slirp4netns` per container,
in its own session, configuring `tap0` (10.0.2.100/24, gateway 10.0.2.2, DNS 10.0.2.3, MTU
65520, the host's loopback not reachable: Podman's defaults). It does not daemonize: the
engine starts it detached and waits for its ready byte; each `-p` is an `add_hostfwd` request
on its API socket (slirp4netns's own port handler, Podman's `port_handler=slirp4netns`).
Teardown signals it (it is found by its pid file and its command line) and removes the
namespace file, as pasta's. Standard library only.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from typing import TYPE_CHECKING, ClassVar

from supervisor.errors import SystemError_

if TYPE_CHECKING:

    from supervisor.container.context import Context
    from supervisor.network.request import PortMap
    from supervisor.store import ContainerRow


def slirp_args(netns: str, api: str, ready_fd: int, options: str = "") -> list[str]:
    """`options`: `--network slirp4netns:OPTIONS` (request.slirp_options checked them)."""
    from supervisor.network.request import slirp_option

    cidr = slirp_option(options, "cidr")
    loopback = slirp_option(options, "allow_host_loopback") == "true"
    return ["--configure", f"--mtu={slirp_option(options, 'mtu') or 65520}",
            *([] if loopback else ["--disable-host-loopback"]),
            *([f"--cidr={cidr}"] if cidr else []), "--netns-type=path",
            f"--api-socket={api}", f"--ready-fd={ready_fd}", netns, "tap0"]


def hostfwd_request(p: PortMap) -> dict[str, object]:
    return {"execute": "add_hostfwd",
            "arguments": {"proto": p.proto, "host_addr": p.host_ip or "0.0.0.0",
                          "host_port": p.host_port or p.container_port,
                          "guest_port": p.container_port}}


class SlirpResource:
    name: ClassVar[str] = "slirp4netns"

    def setup(self, ctx: Context, row: ContainerRow) -> None:
        from supervisor.network.pasta import prepare

        slirp, ns = prepare(ctx, row, "slirp4netns", "--network slirp4netns needs slirp4netns:"
                            " install the slirp4netns package (or use pasta)")
        api = _api(ctx, row.id)
        from supervisor.network.slirp4netns import launch

        target = row.config.net.target
        launch(lambda ready_fd: [slirp, *slirp_args(ns, api, ready_fd, target)], api,
               _pidfile(ctx, row.id))  # fmt: skip
        for p in row.config.net.ports:
            _api_call(api, hostfwd_request(p))

    def teardown(self, ctx: Context, row: ContainerRow) -> None:
        from supervisor.network.pasta import detach, process_of
        from supervisor.network.resource import netns_path

        ns = netns_path(ctx.paths, row.id)
        pid = process_of(_pidfile(ctx, row.id), ns)
        if pid is not None:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
        detach(ns)
        for path in (_pidfile(ctx, row.id), _api(ctx, row.id)):
            with contextlib.suppress(OSError):
                os.unlink(path)


def _api_call(api: str, request: dict[str, object]) -> None:
    from supervisor.network.slirp4netns import exchange

    reply = exchange(api, request)
    try:
        answer = json.loads(reply or b"{}")
    except ValueError:
        answer = {"error": {"desc": reply.decode(errors="replace")}}
    if "error" in answer:
        args = request["arguments"]
        assert isinstance(args, dict)
        raise SystemError_(f"cannot publish port {args['host_port']}: "
                           f"{answer['error'].get('desc', answer['error'])}")


def _pidfile(ctx: Context, cid: str) -> str:
    return os.path.join(ctx.paths.runroot, "netns", f"{cid}.slirp.pid")


def _api(ctx: Context, cid: str) -> str:
    # the short id: a unix socket's path must fit in 108 bytes
    return os.path.join(ctx.paths.runroot, "netns", f"{cid[:12]}.slirp")


SLIRP = SlirpResource()
