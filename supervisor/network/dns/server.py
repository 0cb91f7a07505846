"""The network's DNS responder: UDP and TCP on the gateway's port 53 (anyio, asyncio backend).

It never binds anything itself: its listening sockets come ready-made, from systemd's socket
unit (`LISTEN_FDS`, socket activation) or from `lifecycle.ensure` (`--fd`), so a query sent
before the process is up waits in the kernel's queue instead of being lost.

Names come from the store on every query (`records.read`); other names are forwarded to the
nameservers of a resolv.conf (the host's, re-read on each forward; our own addresses skipped)
over the transport the query came on, and the upstream's reply is relayed unchanged.

Exit: after `--idle` seconds without a query. Under systemd the socket stays and the next query
starts a new process (~0.2 s); when the network has no container left, the last one out also
stops its socket unit. As a plain process (no systemd) it holds the only sockets, so it exits
only when no container is left on the network.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import anyio
import anyio.abc
from anyio.streams.buffered import BufferedByteReceiveStream

from supervisor.network.dns import lifecycle, message, records

UPSTREAM_TIMEOUT = 2.0
SD_LISTEN_FDS_START = 3


@dataclass
class Config:
    db: str
    network: str
    locks: str
    resolv_conf: str = "/etc/resolv.conf"
    idle: float = 60.0  # seconds without a query before exiting (0: never)
    unit: str = ""  # the socket unit to stop when no container is left (systemd mode)
    own: set[str] = field(default_factory=set)  # our listening addresses: never upstreams


class Responder:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.conn = records.connect(cfg.db)
        self.last = time.monotonic()

    def decide(self, data: bytes, peer: str = "") -> message.Decision | None:
        """`peer`: the querying address (its container's other networks resolve too)."""
        self.last = time.monotonic()
        info = records.network_info(self.conn, self.cfg.network)
        internal = info is not None and info[1]
        return message.decide(data, records.read(self.conn, self.cfg.network, peer),
                              internal=internal)

    def upstreams(self) -> list[str]:
        return [a for a in lifecycle.nameservers(self.cfg.resolv_conf) if a not in self.cfg.own]

    # UDP ---------------------------------------------------------------------------------

    async def serve_udp(self, sock: anyio.abc.UDPSocket) -> None:
        async with anyio.create_task_group() as tg:
            async for data, peer in sock:
                tg.start_soon(self._udp_one, sock, data, peer)

    async def _udp_one(self, sock: anyio.abc.UDPSocket, data: bytes,
                       peer: tuple[str, int]) -> None:
        with _contained("udp", peer):
            await self._udp_answer(sock, data, peer)

    async def _udp_answer(self, sock: anyio.abc.UDPSocket, data: bytes,
                          peer: tuple[str, int]) -> None:
        decision = self.decide(data, str(peer[0]))
        if isinstance(decision, message.Forward):
            reply = await self.forward_udp(data, decision.query)
        elif decision is None:
            return
        else:
            reply = decision.data
        await sock.sendto(reply, peer[0], peer[1])

    async def forward_udp(self, data: bytes, q: message.Query) -> bytes:
        for server in self.upstreams():
            with anyio.move_on_after(UPSTREAM_TIMEOUT):
                async with await anyio.create_connected_udp_socket(server, 53) as up:
                    await up.send(data)
                    while True:  # a fresh socket and port per query; match the id anyway
                        reply = await up.receive()
                        if len(reply) >= 2 and reply[:2] == data[:2]:
                            return reply
        return message.servfail(q)

    # TCP ---------------------------------------------------------------------------------

    async def serve_tcp(self, listener: anyio.abc.SocketListener) -> None:
        await listener.serve(self._tcp_conn)

    async def _tcp_conn(self, stream: anyio.abc.SocketStream) -> None:
        remote = stream.extra(anyio.abc.SocketAttribute.remote_address, "")
        with _contained("tcp", remote):
            await self._tcp_answer(stream, str(remote[0]) if isinstance(remote, tuple) else "")

    async def _tcp_answer(self, stream: anyio.abc.SocketStream, peer: str = "") -> None:
        buf = BufferedByteReceiveStream(stream)
        async with stream:
            with anyio.move_on_after(10):  # RFC 7766: close idle connections
                while True:
                    try:
                        data = await _read_framed(buf)
                    except (anyio.EndOfStream, anyio.IncompleteRead):
                        return
                    decision = self.decide(data, peer)
                    if decision is None:
                        return
                    if isinstance(decision, message.Forward):
                        reply = await self.forward_tcp(data, decision.query)
                    else:
                        reply = decision.data
                    await stream.send(struct.pack("!H", len(reply)) + reply)

    async def forward_tcp(self, data: bytes, q: message.Query) -> bytes:
        for server in self.upstreams():
            with anyio.move_on_after(UPSTREAM_TIMEOUT):
                try:
                    async with await anyio.connect_tcp(server, 53) as up:
                        await up.send(struct.pack("!H", len(data)) + data)
                        return await _read_framed(BufferedByteReceiveStream(up))
                except (OSError, anyio.EndOfStream, anyio.IncompleteRead):
                    continue
        return message.servfail(q)

    # Lifetime ----------------------------------------------------------------------------

    async def watch_idle(self, scope: anyio.CancelScope, activated: bool) -> None:
        """Exit when idle; see the module's docstring for the two modes."""
        if self.cfg.idle <= 0:
            return
        while True:
            await anyio.sleep(max(0.05, self.last + self.cfg.idle - time.monotonic()))
            if time.monotonic() - self.last < self.cfg.idle:
                continue
            if self._may_exit(activated):
                scope.cancel()
                return
            self.last = time.monotonic()

    def _may_exit(self, activated: bool) -> bool:
        with lifecycle.network_lock(self.cfg.locks, self.cfg.network):
            gone = records.users(self.conn, self.cfg.network) == 0
            if activated and gone and self.cfg.unit:
                # The socket unit too: nothing of ours stays for a network with no container.
                # --no-block: stopping it stops this service, which systemd waits for.
                subprocess.run(["systemctl", "stop", "--no-block", self.cfg.unit],
                               capture_output=True)
            return activated or gone


@contextlib.contextmanager
def _contained(proto: str, peer: object) -> Iterator[None]:
    """One client's trouble (a reset, a store locked too long) never stops the responder: it
    is logged (the journal, under systemd) and that query goes unanswered."""
    try:
        yield
    except (anyio.BrokenResourceError, anyio.ClosedResourceError, ConnectionError):
        pass
    except Exception as exc:  # the server must outlive any one query
        print(f"scopebox-dns: {proto} query from {peer}: {type(exc).__name__}: {exc}",
              file=sys.stderr, flush=True)


async def _read_framed(buf: BufferedByteReceiveStream) -> bytes:
    (n,) = struct.unpack("!H", await buf.receive_exactly(2))
    return await buf.receive_exactly(n)


def inherited_sockets(fds: Sequence[int]) -> tuple[list[socket.socket], list[socket.socket]]:
    """(datagram, stream) sockets from file descriptors we were given."""
    udp: list[socket.socket] = []
    tcp: list[socket.socket] = []
    for fd in fds:
        s = socket.socket(fileno=fd)
        (udp if s.type == socket.SOCK_DGRAM else tcp).append(s)
    return udp, tcp


def systemd_fds() -> list[int]:
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        return []
    n = int(os.environ.get("LISTEN_FDS", "0"))
    for key in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        os.environ.pop(key, None)
    return list(range(SD_LISTEN_FDS_START, SD_LISTEN_FDS_START + n))


async def run(cfg: Config, fds: Sequence[int], activated: bool) -> None:
    udp_socks, tcp_socks = inherited_sockets(fds)
    cfg.own |= {s.getsockname()[0] for s in udp_socks + tcp_socks}
    responder = Responder(cfg)
    async with anyio.create_task_group() as tg:
        for s in udp_socks:
            tg.start_soon(responder.serve_udp, await anyio.abc.UDPSocket.from_socket(s))
        for s in tcp_socks:
            tg.start_soon(responder.serve_tcp, await anyio.abc.SocketListener.from_socket(s))
        tg.start_soon(responder.watch_idle, tg.cancel_scope, activated)


def parse_args(argv: Sequence[str]) -> tuple[Config, list[int]]:
    p = argparse.ArgumentParser(prog="scopebox-dns")
    p.add_argument("--db", required=True)
    p.add_argument("--network", required=True)
    p.add_argument("--locks", required=True)
    p.add_argument("--resolv-conf", default="/etc/resolv.conf")
    p.add_argument("--idle", type=float, default=60.0)
    p.add_argument("--unit", default="")
    p.add_argument("--fd", type=int, action="append", default=[])
    a = p.parse_args(argv)
    return Config(a.db, a.network, a.locks, a.resolv_conf, a.idle, a.unit), a.fd


def main(argv: Sequence[str] | None = None) -> None:
    cfg, fds = parse_args(sys.argv[1:] if argv is None else argv)
    activated = not fds
    if activated:
        fds = systemd_fds()
    if not fds:
        sys.exit("scopebox-dns: no listening socket was passed (systemd's or --fd)")
    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(run, cfg, fds, activated, backend="asyncio")
