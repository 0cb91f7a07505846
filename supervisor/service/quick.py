"""The service's first replies, before the event loop exists.

A socket-activated service starts because a client is waiting, and that client's first
requests are nearly always plain ones: the docker CLI's `HEAD /_ping` and then `ps`'s
`GET /containers/json`, docker-py's `GET /version`. Importing asyncio and anyio costs more
CPU here than the interpreter and such a reply together (~100 ms of a ~170 ms first reply,
measured in bench/api_service.py; podman's Go service answers in ~40 ms of CPU). So the
service starts with this loop (`selectors`, blocking calls, no threads): it answers GET/HEAD
requests without a body to the routes in `QUICK` and `PINGS`, on any number of connections,
one request at a time, each in a few milliseconds. The first request that needs more (a
body, a stream, a hijack, any other route) or a client that trickles its head ends it: every
open connection goes to the event loop (loop.py) with what was read of it, and the loop
answers from there.
A service that only ever sees quick requests exits idle without importing asyncio at all.

The answers are the same functions the event loop's handlers call (system.py,
containers.py, images.py run them in a worker thread), so both give the same replies.
"""

from __future__ import annotations

import os
import selectors
import signal
import socket
import sys
import time

from supervisor.errors import ScopeboxError, mapped
from supervisor.service.wire import (
    API_VERSION,
    MAX_HEADERS,
    MAX_LINE,
    MIN_API_VERSION,
    HTTPError,
    Request,
    add_header,
    error_doc,
    head_bytes,
    json_body,
    reply_headers,
    request_line,
    request_of,
    status_of,
    unversioned,
)
from supervisor.settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

SLOW_HEAD = 0.1  # seconds a started head may take here before the event loop's timeout rules
SEND_TIMEOUT = 5.0  # a reply a client does not read: the connection is dropped

# the answers -----------------------------------------------------------------------------


def version_doc() -> dict[str, Any]:
    """`GET /version` in Docker's shape."""
    import time

    from supervisor.api import system

    v = system.version().client
    kernel = os.uname().release
    # RFC 3339, as Podman's: podman-remote reads its Built back from it (the pause image's
    # tag, localhost/podman-pause:VERSION-BUILT, is named with it)
    built = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(v.Built))
    details = {"APIVersion": API_VERSION, "MinAPIVersion": MIN_API_VERSION, "Arch": "amd64",
               "GitCommit": v.GitCommit, "GoVersion": v.GoVersion, "KernelVersion": kernel,
               "Os": "linux", "BuildTime": built}  # fmt: skip
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
    return {
        "Platform": {"Name": f"scopebox {v.Version}"},
        "Components": [{"Name": "Podman Engine", "Version": v.Version, "Details": details}],
        "Version": v.Version, "ApiVersion": API_VERSION, "MinAPIVersion": MIN_API_VERSION,
        "GitCommit": v.GitCommit, "GoVersion": v.GoVersion, "Os": "linux", "Arch": arch,
        "KernelVersion": kernel, "BuildTime": built,
    }


def containers_json(settings: Settings, req: Request) -> list[dict[str, Any]]:
    """`GET /containers/json`: Docker's list (all=, filters=, size=, limit=)."""
    from supervisor.api import containers as api
    from supervisor.service import compat

    items = compat.filter_items(req.arg("filters"))
    opts = api.ListOptions(all=req.flag("all"), filters=api.parse_filters(items),
                           size=req.flag("size"))  # fmt: skip
    docs = sorted((compat.container_item(e.json, e.endpoints)
                   for e in api.list_containers(settings, opts)),
                  key=lambda d: d["Created"], reverse=True)  # fmt: skip
    limit = req.integer("limit", -1) or -1
    return docs[:limit] if limit > 0 else docs


def images_json(settings: Settings, req: Request) -> list[dict[str, Any]]:
    """`GET /images/json`: Docker's list (filters reference= and dangling=)."""
    from supervisor.api import images as api
    from supervisor.service import compat

    wanted = compat.filters(req.arg("filters"))
    seen: dict[str, dict[str, Any]] = {}
    for ref in wanted.get("reference", []) or [""]:
        for entry in api.list_images(settings, ref or None, req.flag("all")):
            seen[entry.id] = compat.image_item(entry.json)
    docs = sorted(seen.values(), key=lambda d: d["Created"], reverse=True)
    if "dangling" in wanted:
        want = wanted["dangling"][-1] in ("1", "true")
        docs = [d for d in docs if (d["RepoTags"] == ["<none>:<none>"]) == want]
    return docs


LIBPOD_MIN_API_VERSION = "4.0.0"


def libpod_version_doc() -> dict[str, Any]:
    """`GET /libpod/version`: Docker's version report with Podman's API level in it."""
    from supervisor.service.wire import LIBPOD_API_VERSION

    doc = version_doc()
    doc["Components"][0]["Details"].update({
        "APIVersion": LIBPOD_API_VERSION, "MinAPIVersion": LIBPOD_MIN_API_VERSION,
        "Experimental": "false"})  # fmt: skip
    return doc


def libpod_containers_json(settings: Settings, req: Request) -> list[dict[str, Any]]:
    """`GET /libpod/containers/json` (`podman --url ps`): the CLI's JSON with the API's
    types: Created a time, each network named, the status left to the client (it says "Up N
    seconds ago" from the state), the namespaces only when asked (as podman's service)."""
    from supervisor.api import containers as api
    from supervisor.service import compat

    items = compat.filter_items(req.arg("filters"))
    opts = api.ListOptions(all=req.flag("all"), filters=api.parse_filters(items),
                           size=req.flag("size"), pod=True)  # fmt: skip
    # pod=True: PodName always, as podman's service fills it
    from supervisor.timefmt import parse_rfc3339

    def created(e: Any) -> float:
        return parse_rfc3339(e.fields.get("CreatedAt", "")) or 0.0

    # podman's order: oldest first; last=N (`ps -n N`, `-l`): the newest N of them
    entries = sorted(api.list_containers(settings, opts), key=created)
    last = req.integer("last", -1) or -1
    if last < 0:
        last = req.integer("limit", -1) or -1
    if last >= 0:
        entries = entries[len(entries) - last:] if last else []
    docs = []
    for e in entries:
        doc = {**e.json, "Created": e.fields.get("CreatedAt", ""), "CreatedAt": "", "Status": ""}
        doc["Networks"] = list(e.endpoints or {}) or doc.get("Networks") or []
        if not req.flag("namespace"):
            doc["Namespaces"] = {}
        docs.append(doc)
    return docs


def libpod_images_json(settings: Settings, req: Request) -> list[dict[str, Any]]:
    """`GET /libpod/images/json?all=&filters=` (`podman --url images`): the CLI's JSON
    objects, its filters (a bad one is the CLI's error) and its -a."""
    from supervisor.api import images as api
    from supervisor.service import compat

    items = compat.filter_items(req.arg("filters"))
    refs = [i.partition("=")[2] for i in items if i.startswith("reference=")]
    others = [i for i in items if not i.startswith("reference=")]  # as the CLI's --filter
    seen: dict[str, dict[str, Any]] = {}
    for ref in refs or [""]:
        for entry in api.list_images(settings, ref or None, req.flag("all"), others):
            seen.setdefault(entry.id, entry.json)
    return list(seen.values())


PING_HEADERS = {"Builder-Version": "1", "Cache-Control": "no-cache, no-store, must-revalidate",
                "Pragma": "no-cache"}  # fmt: skip
PING_TYPE = "text/plain; charset=utf-8"
PINGS = ("/_ping", "/libpod/_ping")  # Docker clients' first request, and podman --url's

# path (unversioned) -> the reply's JSON document; GET and HEAD (and PINGS, their own)
QUICK: dict[str, Callable[[Settings, Request], Any]] = {
    "/version": lambda settings, req: version_doc(),
    "/containers/json": containers_json,
    "/images/json": images_json,
    # podman --url's (its version, ps and images)
    "/libpod/version": lambda settings, req: libpod_version_doc(),
    "/libpod/containers/json": libpod_containers_json,
    "/libpod/images/json": libpod_images_json,
}


# the loop ---------------------------------------------------------------------------------


class _Client:
    __slots__ = ("buf", "since", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""
        self.since = 0.0  # when the head now being read began (0: none begun)


class _Handover(Exception):
    """A request this loop does not answer: the event loop takes over."""


def _quick_request(head: bytes) -> Request:
    """A complete head as a request this loop answers, else _Handover."""
    lines = head.split(b"\r\n")
    if len(lines) > MAX_HEADERS + 1 or any(len(line) > MAX_LINE for line in lines):
        raise _Handover
    try:
        method, target, version = request_line(lines[0])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            add_header(headers, line)
        req = request_of(method, target, version, headers)
        path = unversioned(req.path)
    except (HTTPError, ValueError):
        raise _Handover from None  # the event loop answers it with its error
    if (req.method not in ("GET", "HEAD") or headers.get("content-length", "0") != "0"
            or "transfer-encoding" in headers or "upgrade" in headers
            or (path not in PINGS and path not in QUICK)):  # fmt: skip
        raise _Handover
    req.path = path
    req.consumed = True
    return req


def _answer(settings: Settings, req: Request, headers: dict[str, str]) -> bytes:
    """The whole reply to a quick request."""
    head_only = req.method == "HEAD"
    if req.path in PINGS:
        hdrs = {**headers, **PING_HEADERS, "Content-Length": "2", "Content-Type": PING_TYPE}
        return head_bytes(200, hdrs) + (b"" if head_only else b"OK")
    try:
        with mapped():
            doc, status = QUICK[req.path](settings, req), 200
    except HTTPError as exc:
        doc, status = error_doc(exc.status, exc.message), exc.status
    except ScopeboxError as exc:
        doc, status = error_doc(status_of(exc), str(exc)), status_of(exc)
    except Exception as exc:  # a bug: one line in the log and a 500, as the event loop's
        print(f"scopebox service: {req.method} {req.path}: {type(exc).__name__}: {exc}",
              file=sys.stderr, flush=True)  # fmt: skip
        message = f"internal error: {type(exc).__name__}: {exc}"
        doc, status = {"message": message}, 500
    body = json_body(doc)
    hdrs = {**headers, "Content-Length": str(len(body)), "Content-Type": "application/json"}
    return head_bytes(status, hdrs) + (b"" if head_only else body)


def _send(client: _Client, data: bytes) -> bool:
    try:
        client.sock.settimeout(SEND_TIMEOUT)
        client.sock.sendall(data)
        client.sock.setblocking(False)
        return True
    except OSError:
        return False


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # server.serve's end: the socket file goes, nothing else to undo


def serve_first(settings: Settings, listener: socket.socket, idle: float, cors: str
                ) -> list[tuple[socket.socket, bytes]] | None:  # fmt: skip
    """Answer quick requests until one is not (then: the open connections, each with what
    was read of it, for the event loop) or until idle `idle` seconds (None; 0: never)."""
    signal.signal(signal.SIGTERM, _stop)
    headers = reply_headers(cors)
    sel = selectors.DefaultSelector()
    listener.setblocking(False)
    sel.register(listener, selectors.EVENT_READ)
    clients: dict[int, _Client] = {}
    last = time.monotonic()
    try:
        while True:
            now = time.monotonic()
            begun = [c.since for c in clients.values() if c.since]
            if begun and now - min(begun) >= SLOW_HEAD:
                raise _Handover  # a trickling client: the event loop's head timeout rules
            timeout: float | None = None
            if begun:
                timeout = min(begun) + SLOW_HEAD - now
            elif idle > 0 and not clients:
                timeout = last + idle - now
                if timeout <= 0:
                    return None
            for key, _ in sel.select(timeout):
                if key.fileobj is listener:
                    _accept(listener, sel, clients)
                    continue
                client = clients[key.fd]
                if not _read(settings, client, headers):
                    sel.unregister(client.sock)
                    client.sock.close()
                    del clients[key.fd]
                    last = time.monotonic()
    except _Handover:
        for client in clients.values():
            sel.unregister(client.sock)
        return [(c.sock, c.buf) for c in clients.values()]
    finally:
        sel.unregister(listener)
        sel.close()


def _accept(listener: socket.socket, sel: selectors.BaseSelector,
            clients: dict[int, _Client]) -> None:  # fmt: skip
    while True:
        try:
            sock, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError:  # (EMFILE, a client gone before accept): as the event loop, go on
            return
        sock.setblocking(False)
        clients[sock.fileno()] = _Client(sock)
        sel.register(sock, selectors.EVENT_READ)


def _read(settings: Settings, client: _Client, headers: dict[str, str]) -> bool:
    """What the client sent, answered as far as it goes; False when the connection is done."""
    try:
        data = client.sock.recv(65536)
    except (BlockingIOError, InterruptedError):
        return True
    except OSError:
        return False
    if not data:
        return False
    if not client.buf:
        client.since = time.monotonic()
    client.buf += data
    while b"\r\n\r\n" in client.buf:
        head, rest = client.buf.split(b"\r\n\r\n", 1)
        if not head.strip(b"\r\n"):  # empty lines before a request (RFC 9112 2.2)
            client.buf = rest
            continue
        req = _quick_request(head.lstrip(b"\r\n"))
        began = time.monotonic()
        reply = _answer(settings, req, headers)
        if settings.debug:
            print(f"scopebox service: {req.method} {req.path} {req.query} "
                  f"{(time.monotonic() - began) * 1000:.0f} ms (quick)", file=sys.stderr,
                  flush=True)  # fmt: skip
        if not _send(client, reply) or not req.keep_alive:
            return False
        client.buf = rest
        client.since = time.monotonic() if rest else 0.0
    if len(client.buf) > MAX_LINE * 4:
        raise _Handover  # a head this long: the event loop's limits answer it
    return True
