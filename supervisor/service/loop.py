"""The service's event loop (anyio, asyncio backend): one task per connection, the idle exit,
routing, errors as Docker's and Podman's JSON. `server.py` listens and `quick.py` answers the
first plain requests before this module (and asyncio) is imported."""

from __future__ import annotations

import contextlib
import signal
import socket
import ssl
import sys
import time
from collections.abc import Sequence
from typing import Any

import anyio
import anyio.abc

from supervisor.errors import ScopeboxError
from supervisor.service.call import Call, Handler, Router, Shared
from supervisor.service.http import HEAD_TIMEOUT, Closed, Connection, HTTPError, Request
from supervisor.service.wire import error_doc, reply_headers, status_of, unversioned
from supervisor.settings import Settings


class Server:
    def __init__(self, settings: Settings, router: Router, idle: float, cors: str = "") -> None:
        self.settings = settings
        self.cors = cors  # --cors: the origin(s) browsers may call from ("*": any)
        self.router = router
        self.idle = idle
        self.active = 0
        self.last = time.monotonic()
        self._headers: dict[str, str] = {}
        self.shared = Shared()
        self.head_timeout = HEAD_TIMEOUT

    def headers(self) -> dict[str, str]:
        if not self._headers:
            self._headers = reply_headers(self.cors)
        return dict(self._headers)

    async def serve(self, listener: anyio.abc.Listener[Any],
                    handed: Sequence[tuple[anyio.abc.ByteStream, bytes]] = ()) -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(self.watch_idle, tg.cancel_scope)
            tg.start_soon(self.watch_signals, tg.cancel_scope)
            for stream, held in handed:
                tg.start_soon(self.connection, stream, held)
            await listener.serve(self.connection, task_group=tg)

    @staticmethod
    async def watch_signals(scope: anyio.CancelScope) -> None:
        """SIGTERM (systemctl stop, kill) and SIGINT end the service cleanly: its socket file
        goes (systemd's stays systemd's)."""
        with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
            async for _ in signals:
                scope.cancel()
                return

    async def watch_idle(self, scope: anyio.CancelScope) -> None:
        if self.idle <= 0:
            return
        while True:
            await anyio.sleep(max(0.05, self.last + self.idle - time.monotonic()))
            if self.active == 0 and time.monotonic() - self.last >= self.idle:
                scope.cancel()
                return

    async def connection(self, stream: anyio.abc.ByteStream, held: bytes = b"") -> None:
        """One client's requests; `held`: what it sent before the event loop took it over
        (quick.py's part of a connection)."""
        self.active += 1
        try:
            async with stream:
                conn = Connection(stream, self.head_timeout)
                conn.held.held = held
                while await self.one_request(conn):
                    pass
        except (Closed, anyio.BrokenResourceError, anyio.ClosedResourceError,
                anyio.EndOfStream, ssl.SSLError, OSError):  # fmt: skip
            pass  # the client went away (a TLS one maybe in the middle of its close)
        except Exception as exc:  # a bug: one line in the log, the other clients go on
            print(f"scopebox service: connection: {type(exc).__name__}: {exc}",
                  file=sys.stderr, flush=True)  # fmt: skip
        finally:
            self.active -= 1
            self.last = time.monotonic()

    async def one_request(self, conn: Connection) -> bool:
        """Answer one request; False when the connection is done."""
        try:
            req = await conn.read_request()
        except HTTPError as exc:
            await conn.reply_json(exc.status, {"message": exc.message}, self.headers())
            return False
        if req is None:
            return False
        self.last = time.monotonic()
        call = Call(req, conn, self.settings, self.headers(), self.shared)
        began = time.monotonic()
        try:
            handler = await self._route(conn, req)
            await handler(call)
            self._debug(req, began, "")
        except HTTPError as exc:
            self._debug(req, began, f" {exc.status} {exc.message}")
            await call.json(self._error(req, exc.status, exc.message), exc.status)
        except ScopeboxError as exc:
            self._debug(req, began, f" {status_of(exc)} {exc}")
            await call.json(self._error(req, status_of(exc), str(exc)), status_of(exc))
        except Closed:
            return False
        except Exception as exc:  # a bug: one line in the log and a 500, the service lives on
            print(f"scopebox service: {req.method} {req.path}: {type(exc).__name__}: {exc}",
                  file=sys.stderr, flush=True)
            with contextlib.suppress(Closed):
                await call.json({"message": f"internal error: {type(exc).__name__}: {exc}"},
                                500)
            return False
        # a body left unread (an error before it was) would be read as the next request
        return req.keep_alive and req.consumed and not call.hijacked

    async def _route(self, conn: Connection, req: Request) -> Handler:
        """The request's handler; its body read (and bounded) unless the route streams it."""
        try:
            handler, req.params = self.router.find(req.method, unversioned(req.path))
        except HTTPError:
            await conn.read_body(req)
            raise
        if not getattr(handler, "streams_body", False):
            await conn.read_body(req)
        return handler

    @staticmethod
    def _error(req: Request, status: int, message: str) -> dict[str, Any]:
        """Docker's `{"message"}` with Podman's `cause` and `response` beside it (podman's
        service answers so on both APIs; Docker's clients read the message)."""
        return error_doc(status, message)

    def _debug(self, req: Request, began: float, outcome: str) -> None:
        """SCOPEBOX_DEBUG: each request in the service's log, with its time (and error)."""
        if self.settings.debug:
            print(f"scopebox service: {req.method} {req.path} {req.query} "
                  f"{(time.monotonic() - began) * 1000:.0f} ms{outcome}", file=sys.stderr,
                  flush=True)  # fmt: skip


def _tls_listener(listener: anyio.abc.Listener[Any], tls: ssl.SSLContext
                  ) -> anyio.abc.Listener[Any]:  # fmt: skip
    from anyio.streams.tls import TLSListener

    class Listener(TLSListener):
        @staticmethod
        async def handle_handshake_error(exc: BaseException, stream: anyio.abc.AnyByteStream
                                         ) -> None:  # fmt: skip
            """A client that is not one (no certificate, plain HTTP, a port probe): one line
            in the log, no traceback."""
            await anyio.aclose_forcefully(stream)
            if not isinstance(exc, Exception):
                raise exc
            reason = str(exc) or type(exc).__name__
            print(f"scopebox service: TLS handshake failed: {reason}", file=sys.stderr,
                  flush=True)  # fmt: skip

    return Listener(listener, tls, standard_compatible=True)


async def _run(settings: Settings, sock: socket.socket, idle: float,
               tls: ssl.SSLContext | None, cors: str, handed: list[tuple[socket.socket, bytes]],
               uri: str) -> None:  # fmt: skip
    from supervisor.service.routes import router

    sock.setblocking(False)
    listener: anyio.abc.Listener[Any] = await anyio.abc.SocketListener.from_socket(sock)
    if tls is not None:
        listener = _tls_listener(listener, tls)
    server = Server(settings, router(), idle, cors)
    server.shared.uri = uri
    streams = [(await anyio.abc.SocketStream.from_socket(s), held) for s, held in handed]
    await server.serve(listener, streams)


def run(settings: Settings, sock: socket.socket, idle: float, tls: ssl.SSLContext | None,
        cors: str, handed: list[tuple[socket.socket, bytes]], uri: str = "") -> None:  # fmt: skip
    """Serve on the event loop until idle or a signal; `handed`: the connections quick.py
    had open, each with the bytes it read of them; `uri`: where this service listens (info's
    remoteSocket)."""
    anyio.run(_run, settings, sock, idle, tls, cors, handed, uri, backend="asyncio")


