"""`scopebox system service`: the Docker Engine API on a unix socket, one anyio process.

It listens on the socket systemd hands it (`scopebox.socket`, `LISTEN_FDS`) or binds the
URI's path itself, serves clients concurrently (the engine API's blocking calls run in worker
threads) and exits once no client has been connected for `--time` seconds (0: never), as
`podman system service` does: the socket stays with systemd, the next connection starts it
again, and no process runs while nobody asks.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import ssl
import stat
import sys
import time
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.abc

from supervisor.errors import ConflictError, NotFoundError, ScopeboxError, StateError, UsageError
from supervisor.service.call import (
    API_VERSION,
    LIBPOD_API_VERSION,
    MIN_API_VERSION,
    Call,
    Handler,
    Router,
    Shared,
    error_doc,
)
from supervisor.service.http import HEAD_TIMEOUT, Closed, Connection, HTTPError, Request
from supervisor.settings import Settings

DEFAULT_URI = "unix:///run/scopebox/scopebox.sock"
SD_LISTEN_FDS_START = 3
_VERSION = re.compile(r"^/v(\d+)\.(\d+)(?:\.\d+)?(/.*)$")


def status_of(exc: ScopeboxError) -> int:
    """Docker's status codes for the engine's errors."""
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, (ConflictError, StateError)):
        return 409
    if isinstance(exc, UsageError):
        return 400
    return 500


_CORS = {
    "Access-Control-Allow-Headers": "Origin, X-Requested-With, Content-Type, Accept,"
    " X-Registry-Auth, Connection, Upgrade, X-Registry-Config",
    "Access-Control-Allow-Methods": "HEAD, GET, POST, DELETE, PUT, OPTIONS",
}


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
            from supervisor.api.system import package_version

            version = package_version()
            # Libpod-Api-Version: the level of Podman's API served (podman's remote client
            # refuses a server below 4.0); Server: the product's own version
            self._headers = {"Api-Version": API_VERSION, "Docker-Experimental": "false",
                             "Ostype": "linux", "Server": f"Libpod/{version} (linux)",
                             "Libpod-Api-Version": LIBPOD_API_VERSION}  # fmt: skip
            if self.cors:  # --cors: on every reply, as Podman 4.3's
                self._headers.update(_CORS)
                self._headers["Access-Control-Allow-Origin"] = self.cors
        return dict(self._headers)

    async def serve(self, listener: anyio.abc.Listener[Any]) -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(self.watch_idle, tg.cancel_scope)
            tg.start_soon(self.watch_signals, tg.cancel_scope)
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

    async def connection(self, stream: anyio.abc.ByteStream) -> None:
        self.active += 1
        try:
            async with stream:
                conn = Connection(stream, self.head_timeout)
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
            handler, req.params = self.router.find(req.method, self._unversioned(req.path))
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

    @staticmethod
    def _unversioned(path: str) -> str:
        found = _VERSION.match(path)
        if not found:
            return path
        if found[3].startswith("/libpod/"):  # Podman's API: its own versions (4.x)
            if int(found[1]) > 4:
                raise HTTPError(400, f"client version {found[1]}.{found[2]} is too new: this "
                                     f"service speaks Podman's API {LIBPOD_API_VERSION}")
            return found[3]
        version = (int(found[1]), int(found[2]))
        if version > (1, 41):
            raise HTTPError(400, f"client version {found[1]}.{found[2]} is too new. "
                                 f"Maximum supported API version is {API_VERSION}")
        if version < (1, 24):
            raise HTTPError(400, f"client version {found[1]}.{found[2]} is too old. "
                                 f"Minimum supported API version is {MIN_API_VERSION}, "
                                 "please upgrade your client to a newer version")
        return found[3]


# listening -----------------------------------------------------------------------------------


def socket_path(uri: str) -> str:
    """`unix:///run/x.sock` (or a bare absolute path): the socket's path."""
    if uri.startswith("unix://"):
        path = uri[len("unix://"):]
    elif uri.startswith("/"):
        path = uri
    elif uri.startswith("tcp://"):
        raise UsageError("a tcp:// URI is served only with TLS: give --tls-cert, --tls-key "
                         "and --tls-client-ca (the API runs containers as root: clients "
                         "must prove who they are)")  # fmt: skip
    else:
        raise UsageError(f"invalid service URI {uri!r}: expected unix:///PATH")
    if not path.startswith("/"):
        raise UsageError(f"invalid service URI {uri!r}: the socket path must be absolute")
    return path


def systemd_socket() -> socket.socket | None:
    """The listening socket systemd passed (socket activation), if any."""
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        return None
    n = int(os.environ.get("LISTEN_FDS", "0") or "0")
    for key in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        os.environ.pop(key, None)
    if n < 1:
        return None
    return socket.socket(fileno=SD_LISTEN_FDS_START)


def bind_unix(path: str) -> socket.socket:
    """Bind `path` (mode 0660; a stale socket file from a dead service is replaced)."""
    try:
        os.makedirs(os.path.dirname(path) or "/", mode=0o755, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot listen on {path}: {exc.strerror}") from None
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISSOCK(os.lstat(path).st_mode):
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(path)
            except OSError:
                os.unlink(path)  # nobody listens: stale
            else:
                raise UsageError(f"{path} is in use: another service listens on it")
            finally:
                probe.close()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o117)
    try:
        sock.bind(path)
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {path}: {exc.strerror}") from None
    finally:
        os.umask(old)
    os.chmod(path, 0o660)
    sock.listen(128)
    return sock


@dataclass(frozen=True)
class TLSFiles:
    """`--tls-cert`, `--tls-key`, `--tls-client-ca` (PEM files)."""

    cert: str
    key: str
    client_ca: str


def tls_context(files: TLSFiles) -> ssl.SSLContext:
    """The server's TLS (1.2 at least), every client presenting a certificate the client CA
    signed (Docker's `--tlsverify`)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(files.cert, files.key)
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(f"cannot use --tls-cert {files.cert} / --tls-key {files.key}: "
                         f"{getattr(exc, 'strerror', None) or exc}") from None
    try:
        ctx.load_verify_locations(cafile=files.client_ca)
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(f"cannot use --tls-client-ca {files.client_ca}: "
                         f"{getattr(exc, 'strerror', None) or exc}") from None
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def bind_tcp(uri: str) -> socket.socket:
    """`tcp://HOST:PORT` (IPv6 in brackets)."""
    rest = uri[len("tcp://"):].rstrip("/")
    host, colon, port = rest.rpartition(":")
    host = host.strip("[]")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"invalid service URI {uri!r}: expected tcp://HOST:PORT")
    try:
        return socket.create_server((host, int(port)), family=socket.AF_INET6 if ":" in host
                                    else socket.AF_INET, backlog=128)  # fmt: skip
    except (OSError, socket.gaierror) as exc:
        raise UsageError(f"cannot listen on {rest}: {exc.strerror or exc}") from None


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
               tls: ssl.SSLContext | None, cors: str) -> None:  # fmt: skip
    from supervisor.service.routes import router

    sock.setblocking(False)
    listener: anyio.abc.Listener[Any] = await anyio.abc.SocketListener.from_socket(sock)
    if tls is not None:
        listener = _tls_listener(listener, tls)
    await Server(settings, router(), idle, cors).serve(listener)


def serve(settings: Settings, uri: str | None, idle: float,
          tls: TLSFiles | None = None, cors: str = "") -> None:  # fmt: skip
    """Serve until idle (or a signal); a socket from systemd wins over the URI. A tcp:// URI
    needs `tls` (and then every client a certificate)."""
    context = None
    if tls is not None:
        if uri is None or not uri.startswith("tcp://"):
            raise UsageError("--tls-cert, --tls-key and --tls-client-ca are for a tcp:// URI")
        context = tls_context(tls)
    sock = systemd_socket()
    path = None
    if sock is None and context is not None:
        sock = bind_tcp(uri or "")
    elif sock is None:
        path = socket_path(uri or DEFAULT_URI)
        sock = bind_unix(path)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            anyio.run(_run, settings, sock, idle, context, cors, backend="asyncio")
    finally:
        sock.close()
        if path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
