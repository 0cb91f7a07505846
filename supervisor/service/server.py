"""`scopebox system service`: the Docker Engine API on a unix socket (or TCP).

It listens on the socket systemd hands it (`scopebox.socket`, `LISTEN_FDS`) or binds the
URI's path (or TCP address: plain HTTP as Podman's, or TLS with client certificates) itself,
serves clients concurrently (loop.py: one anyio process, the engine API's blocking calls in
worker threads) and exits once no client has been connected for `--time`
seconds (0: never), as `podman system service` does: the socket stays with systemd, the next
connection starts it again, and no process runs while nobody asks. A socket-activated start
has a client waiting: quick.py answers the first plain requests (`_ping`, `version`, the
container and image lists) before asyncio is imported, which costs more than such a reply.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat

from supervisor.errors import UsageError
from supervisor.records import NamedTuple
from supervisor.settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl

DEFAULT_URI = "unix:///run/scopebox/scopebox.sock"
SD_LISTEN_FDS_START = 3


def scheme_of(uri: str) -> str:
    """The URI's scheme as Go's url.Parse reads it (Podman's error names it): the letters
    before the first colon, "" when there is none or they are no scheme."""
    head, colon, _ = uri.partition(":")
    if colon and head[:1].isalpha() and all(c.isalnum() or c in "+-." for c in head):
        return head.lower()
    return ""


def unsupported(uri: str) -> UsageError:
    return UsageError(f'API Service endpoint scheme "{scheme_of(uri)}" is not supported. Try '
                      f"tcp://{uri} or unix:/{uri}")


def socket_path(uri: str) -> str:
    """`unix:///run/x.sock`, `unix:/run/x.sock` (or a bare absolute path): the socket's
    path."""
    if uri.startswith("/"):
        return uri
    if scheme_of(uri) != "unix":
        raise unsupported(uri)
    path = uri[len("unix:"):]
    if path.startswith("//"):  # unix://HOST/PATH (HOST mostly empty): Go's url.Parse drops it
        path = "/" + path[2:].partition("/")[2]
    if not path.startswith("/"):
        raise UsageError(f"invalid service URI {uri!r}: the socket path must be absolute")
    return path


def tcp_address(uri: str) -> tuple[str, str]:
    """`tcp://HOST:PORT` or `tcp:HOST:PORT` (Podman takes both; IPv6 in brackets): the
    address as written and the host."""
    rest = uri[len("tcp:"):]
    rest = rest[2:] if rest.startswith("//") else rest
    return rest.rstrip("/"), rest.rstrip("/").rpartition(":")[0].strip("[]")


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
    """Bind `path` (root's mode 0660; a rootless user's 0600 in a directory made 0700: it runs
    containers as that user; a stale socket file from a dead service is replaced)."""
    rootless = os.geteuid() != 0
    mode = 0o600 if rootless else 0o660
    try:
        os.makedirs(os.path.dirname(path) or "/", mode=0o700 if rootless else 0o755,
                    exist_ok=True)  # fmt: skip
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
    # bound and listening under a name of its own, then linked to `path`: a client that
    # sees the path connects (bound, not yet listening, it would be refused)
    tmp = os.path.join(os.path.dirname(path), f".scopebox-{os.getpid()}.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o777 & ~mode)
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)  # a dead service's of the same pid
        sock.bind(tmp)
        os.chmod(tmp, mode)
        sock.listen(128)
        os.link(tmp, path)
    except OSError as exc:
        sock.close()
        reason = "another service listens on it" if isinstance(exc, FileExistsError) else (
            exc.strerror)  # fmt: skip
        raise UsageError(f"cannot listen on {path}: {reason}") from None
    finally:
        os.umask(old)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return sock


class TLSFiles(NamedTuple):
    """`--tls-cert`, `--tls-key`, `--tls-client-ca` (PEM files)."""

    cert: str
    key: str
    client_ca: str


def tls_context(files: TLSFiles) -> ssl.SSLContext:
    """The server's TLS (1.2 at least), every client presenting a certificate the client CA
    signed (Docker's `--tlsverify`)."""
    import ssl

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
    """Listen on `tcp://HOST:PORT` (an empty HOST: every address), as Go's net.Listen."""
    address, host = tcp_address(uri)
    port = address.rpartition(":")[2]
    if not port.isdigit() or int(port) > 65535:
        raise UsageError(f"unable to create socket {address}: listen tcp: address {port}: "
                         "invalid port")
    try:
        family, kind, proto, _, addr = socket.getaddrinfo(
            host or None, int(port), type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
    except (OSError, socket.gaierror) as exc:
        raise UsageError(f"unable to create socket {address}: {exc.strerror or exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise UsageError(f"unable to create socket {address}: {exc.strerror}") from None
    return sock


def _listen_uri(sock: socket.socket, uri: str, activated: bool) -> str:
    """The URI this service listens on, as Podman's info reports it: as given, or for a
    socket from systemd its own address."""
    if not activated:
        return uri
    if sock.family == socket.AF_UNIX:
        name = sock.getsockname()
        return f"unix://{name.decode() if isinstance(name, bytes) else name}"
    host, port = sock.getsockname()[:2]
    return f"tcp://{host}:{port}"


def serve(settings: Settings, uri: str | None, idle: float,
          tls: TLSFiles | None = None, cors: str = "") -> None:  # fmt: skip
    """Serve until idle (or a signal); a socket from systemd wins over the URI. `tls` is for
    a tcp:// URI (and then every client needs a certificate)."""
    uri = uri or DEFAULT_URI
    tcp = scheme_of(uri) == "tcp"
    context = None
    if tls is not None:
        if not tcp:
            raise UsageError("--tls-cert, --tls-key and --tls-client-ca are for a tcp:// URI")
        context = tls_context(tls)
    sock = systemd_socket()
    activated = sock is not None
    path = None
    if sock is None and tcp:
        sock = bind_tcp(uri)  # plain HTTP without TLS, as Podman serves it
    elif sock is None:
        path = socket_path(uri)
        sock = bind_unix(path)
    from supervisor.api import keep_read_sessions

    keep_read_sessions()  # the listings keep their store open between requests
    try:
        with contextlib.suppress(KeyboardInterrupt):
            handed: list[tuple[socket.socket, bytes]] = []
            if context is None:  # (a TLS handshake needs the event loop)
                from supervisor.service.quick import serve_first

                if (handover := serve_first(settings, sock, idle, cors)) is None:
                    return
                handed = handover
            from supervisor.service.loop import run  # anyio, asyncio: only from here

            run(settings, sock, idle, context, cors, handed, _listen_uri(sock, uri, activated))
    finally:
        sock.close()
        if path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
