"""The service's HTTP reading on a real socket pair with the real server: a client that
trickles a request's head gets a 408 once its time is up, while a connection idle between
requests is not timed (Podman's rule: a connected client keeps the service)."""

from __future__ import annotations

import socket

import anyio
import anyio.abc

from supervisor.service.call import Router
from supervisor.service.loop import Server
from supervisor.settings import Settings


def _exchange(chunks: list[tuple[float, bytes]], head_timeout: float) -> bytes:
    """Send each chunk after its pause; all the server answered until it closed."""

    async def main() -> bytes:
        server = Server(Settings(), Router(), 0)
        server.head_timeout = head_timeout
        ours, theirs = socket.socketpair()
        stream = await anyio.abc.SocketStream.from_socket(ours)
        client = await anyio.abc.SocketStream.from_socket(theirs)
        got = b""
        async with anyio.create_task_group() as tg:
            tg.start_soon(server.connection, stream)
            for pause, data in chunks:
                await anyio.sleep(pause)
                await client.send(data)
            with anyio.fail_after(10):
                while True:
                    try:
                        got += await client.receive()
                    except (anyio.EndOfStream, anyio.BrokenResourceError):
                        break
            await client.aclose()
        return got

    return anyio.run(main)


def test_a_trickled_head_times_out_an_idle_connection_does_not() -> None:
    got = _exchange([(0, b"GET /_ping HT"), (0.5, b"TP/1.1\r\n")], head_timeout=0.2)
    assert got.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert b'"message": "request head not complete within 0.2 seconds"' in got
    # idle 0.5 s before the request, the head itself quick: answered (404: no routes here)
    got = _exchange([(0.5, b"GET /nosuch HTTP/1.1\r\nConnection: close\r\n\r\n")], 0.2)
    assert got.startswith(b"HTTP/1.1 404 Not Found\r\n")
