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
import stat
import sys
import time

import anyio
import anyio.abc

from supervisor.errors import ConflictError, NotFoundError, ScopeboxError, StateError, UsageError
from supervisor.service.call import API_VERSION, MIN_API_VERSION, Call, Router, Shared
from supervisor.service.http import Closed, Connection, HTTPError, Request
from supervisor.settings import Settings

DEFAULT_URI = "unix:///run/scopebox/scopebox.sock"
SD_LISTEN_FDS_START = 3
_VERSION = re.compile(r"^/v(\d+)\.(\d+)(/.*)$")


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

    def headers(self) -> dict[str, str]:
        if not self._headers:
            from supervisor.api.system import package_version

            version = package_version()
            self._headers = {"Api-Version": API_VERSION, "Docker-Experimental": "false",
                             "Ostype": "linux", "Server": f"Libpod/{version} (linux)",
                             "Libpod-Api-Version": version}  # fmt: skip
            if self.cors:  # --cors: on every reply, as Podman 4.3's
                self._headers.update(_CORS)
                self._headers["Access-Control-Allow-Origin"] = self.cors
        return dict(self._headers)

    async def serve(self, listener: anyio.abc.Listener[anyio.abc.SocketStream]) -> None:
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

    async def connection(self, stream: anyio.abc.SocketStream) -> None:
        self.active += 1
        try:
            async with stream:
                conn = Connection(stream)
                while await self.one_request(conn):
                    pass
        except Closed:
            pass
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
            handler, req.params = self.router.find(req.method, self._unversioned(req.path))
            await handler(call)
            self._debug(req, began, "")
        except HTTPError as exc:
            self._debug(req, began, f" {exc.status} {exc.message}")
            await call.json({"message": exc.message}, exc.status)
        except ScopeboxError as exc:
            self._debug(req, began, f" {status_of(exc)} {exc}")
            await call.json({"message": str(exc)}, status_of(exc))
        except Closed:
            return False
        except Exception as exc:  # a bug: one line in the log and a 500, the service lives on
            print(f"scopebox service: {req.method} {req.path}: {type(exc).__name__}: {exc}",
                  file=sys.stderr, flush=True)
            with contextlib.suppress(Closed):
                await call.json({"message": f"internal error: {type(exc).__name__}: {exc}"},
                                500)
            return False
        return req.keep_alive and not call.hijacked

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
        raise UsageError("TCP listening is not supported (use a unix:// URI)")
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


async def _run(settings: Settings, sock: socket.socket, idle: float, cors: str) -> None:
    from supervisor.service.routes import router

    sock.setblocking(False)
    listener = await anyio.abc.SocketListener.from_socket(sock)
    await Server(settings, router(), idle, cors).serve(listener)


def serve(settings: Settings, uri: str | None, idle: float, cors: str = "") -> None:
    """Serve until idle (or a signal); a socket from systemd wins over the URI."""
    sock = systemd_socket()
    path = None
    if sock is None:
        path = socket_path(uri or DEFAULT_URI)
        sock = bind_unix(path)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            anyio.run(_run, settings, sock, idle, cors, backend="asyncio")
    finally:
        sock.close()
        if path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
