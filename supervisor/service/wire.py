"""The service's HTTP pieces that need no event loop: the request, its parsing, the reply's
head, Docker's version prefix and error body. `http.py` (anyio) and `quick.py` (the first
replies, before anyio is imported) share them. Standard library and `supervisor.errors` only."""

from __future__ import annotations

import json

from supervisor.errors import ConflictError, NotFoundError, ScopeboxError, StateError, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

API_VERSION = "1.41"
MIN_API_VERSION = "1.24"
LIBPOD_API_VERSION = "4.3.1"  # the level of Podman's API served (/libpod/ routes, headers)
MAX_LINE = 16 * 1024
MAX_HEADERS = 100

REASONS = {
    101: "UPGRADED", 200: "OK", 201: "Created", 204: "No Content", 304: "Not Modified",
    400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout",
    409: "Conflict", 411: "Length Required", 413: "Payload Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error", 501: "Not Implemented",
}


class HTTPError(Exception):
    """A request this server answers with `status` and Docker's `{"message": ...}`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Closed(Exception):
    """The client went away (between requests, or in the middle of one)."""


class Request:
    """One request (a plain class: `dataclasses` and its `inspect` are milliseconds of a
    socket-activated start)."""

    __slots__ = ("body", "consumed", "headers", "method", "params", "path", "query", "version")

    def __init__(self, method: str, path: str, query: dict[str, list[str]],
                 headers: dict[str, str], version: str) -> None:  # fmt: skip
        self.method = method
        self.path = path  # decoded, without the query
        self.query = query
        self.headers = headers  # names lowercased
        self.version = version
        self.body = b""
        self.consumed = False  # the body was read to its end (the connection can go on)
        self.params: dict[str, str] = {}  # filled by the router

    def _values(self, name: str) -> list[str] | None:
        """A parameter's values; its name matched without case when not given exactly, as
        Podman's service decodes them (podman-remote sends `listtags`, `nooverwritedirnondir`)."""
        values = self.query.get(name)
        if values is None:
            folded = name.lower()
            for key, found in self.query.items():
                if key.lower() == folded:
                    return found
        return values

    def args(self, name: str) -> list[str]:
        """Every non-empty value of a repeated parameter (its name matched as `arg`'s)."""
        return [v for v in self._values(name) or [] if v]

    def arg(self, name: str, default: str = "") -> str:
        values = self._values(name)
        return values[-1] if values else default

    def flag(self, name: str, default: bool = False) -> bool:
        """Docker's boolean query values: 1/true/True, 0/false/False; present and empty = true
        for some clients (`?force`)."""
        if self._values(name) is None:
            return default
        value = self.arg(name).lower()
        return value not in ("0", "false", "no")

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.arg(name)
        if value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise HTTPError(400, f"invalid value for {name!r}: {value!r}") from None

    def json(self) -> Any:
        if not self.body.strip():
            return {}
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise HTTPError(400, f"invalid JSON body: {exc}") from None

    @property
    def keep_alive(self) -> bool:
        conn = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in conn
        return "close" not in conn


def request_line(line: bytes) -> tuple[str, str, str]:
    """A request line's method, target and version (HTTP/1.x only)."""
    try:
        method, target, version = line.decode("latin-1").split(" ")
    except ValueError:
        raise HTTPError(400, "malformed request line") from None
    if not version.startswith("HTTP/1."):
        raise HTTPError(400, f"unsupported protocol {version!r}")
    return method, target, version


def add_header(headers: dict[str, str], line: bytes) -> None:
    """One header line into `headers` (names lowercased; a repeated one joined by commas)."""
    name, colon, value = line.decode("latin-1").partition(":")
    if not colon or not name or name != name.strip():
        raise HTTPError(400, "malformed header line")
    key = name.lower()
    headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()


def request_of(method: str, target: str, version: str, headers: dict[str, str]) -> Request:
    path, _, query = target.partition("?")
    path = path.partition("#")[0]
    if "://" in path:  # an absolute form (RFC 9112 3.2.2): its path
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    return Request(method.upper(), unquote(path), parse_query(query.partition("#")[0]),
                   headers, version)  # fmt: skip


_HEX = frozenset("0123456789abcdefABCDEF")


def unquote(text: str) -> str:
    """%XX escapes decoded as UTF-8 (an invalid one left as it is), as urllib.parse.unquote
    (which loads `re` and `ipaddress`)."""
    if "%" not in text:
        return text
    first, *rest = text.split("%")
    out = bytearray(first.encode())
    for part in rest:
        if len(part) >= 2 and _HEX.issuperset(part[:2]):
            out += bytes.fromhex(part[:2]) + part[2:].encode()
        else:
            out += b"%" + part.encode()
    return out.decode("utf-8", "replace")


def parse_query(query: str) -> dict[str, list[str]]:
    """urllib.parse.parse_qs(query, keep_blank_values=True): `&`-separated, `+` a space."""
    out: dict[str, list[str]] = {}
    for pair in query.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        out.setdefault(unquote(name.replace("+", " ")), []).append(
            unquote(value.replace("+", " ")))
    return out


def head_bytes(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def unversioned(path: str) -> str:
    """The path without its version prefix (`/v1.41/...`; `/vX.Y.Z/libpod/...`, Podman's own
    versions); a version out of range is Docker's 400."""
    if not path.startswith("/v"):
        return path
    prefix, slash, rest = path[2:].partition("/")
    numbers = prefix.split(".")
    if (not slash or len(numbers) not in (2, 3)
            or not all(n.isdigit() and n.isascii() for n in numbers)):  # fmt: skip
        return path  # (as the pattern /vN.N[.N]/... it replaces)
    major, minor = numbers[0], numbers[1]
    rest = "/" + rest
    if rest.startswith("/libpod/"):  # Podman's API: its own versions (4.x)
        if int(major) > 4:
            raise HTTPError(400, f"client version {major}.{minor} is too new: this "
                                 f"service speaks Podman's API {LIBPOD_API_VERSION}")
        return rest
    version = (int(major), int(minor))
    if version > (1, 41):
        raise HTTPError(400, f"client version {major}.{minor} is too new. "
                             f"Maximum supported API version is {API_VERSION}")
    if version < (1, 24):
        raise HTTPError(400, f"client version {major}.{minor} is too old. "
                             f"Minimum supported API version is {MIN_API_VERSION}, "
                             "please upgrade your client to a newer version")
    return rest


def status_of(exc: ScopeboxError) -> int:
    """Docker's status codes for the engine's errors."""
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, (ConflictError, StateError)):
        return 409
    if isinstance(exc, UsageError):
        return 400
    return 500


def error_doc(status: int, message: str) -> dict[str, Any]:
    """An error's body: Docker's `message` with Podman's `cause` (the message's last part)
    and `response` beside it, as podman's service answers on both APIs."""
    return {"cause": message.rsplit(": ", 1)[-1], "message": message, "response": status}


_CORS = {
    "Access-Control-Allow-Headers": "Origin, X-Requested-With, Content-Type, Accept,"
    " X-Registry-Auth, Connection, Upgrade, X-Registry-Config",
    "Access-Control-Allow-Methods": "HEAD, GET, POST, DELETE, PUT, OPTIONS",
}


def reply_headers(cors: str) -> dict[str, str]:
    """The headers of every reply: Docker's, Podman's API level (podman's remote client
    refuses a server below 4.0), the product's version; --cors's (as Podman 4.3's)."""
    from supervisor.api.system import package_version

    headers = {"Api-Version": API_VERSION, "Docker-Experimental": "false", "Ostype": "linux",
               "Server": f"Libpod/{package_version()} (linux)",
               "Libpod-Api-Version": LIBPOD_API_VERSION}  # fmt: skip
    if cors:
        headers.update(_CORS)
        headers["Access-Control-Allow-Origin"] = cors
    return headers


def json_body(doc: object) -> bytes:
    return json.dumps(doc).encode() + b"\n"
