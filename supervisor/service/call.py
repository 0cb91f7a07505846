"""What a route handler gets (`Call`), and the router that finds it."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from supervisor.api import Report
from supervisor.service.http import Connection, HTTPError, Request
from supervisor.service.wire import API_VERSION, LIBPOD_API_VERSION, MIN_API_VERSION, error_doc
from supervisor.settings import Settings

__all__ = ["API_VERSION", "LIBPOD_API_VERSION", "MIN_API_VERSION", "Call", "Router", "blocking",
           "error_doc", "first_error"]

T = TypeVar("T")
Handler = Callable[["Call"], Awaitable[None]]


@dataclass
class PendingStart:
    """An attach to a container not running yet (Docker's clients attach, then start): the
    start request hands the start over to the attach, which starts it attached."""

    requested: anyio.Event = field(default_factory=anyio.Event)
    started: anyio.Event = field(default_factory=anyio.Event)
    error: Exception | None = None
    size: tuple[int, int] | None = None  # rows, cols: a resize before the start (podman's)


@dataclass
class Shared:
    """What the requests of one service share."""

    pending: dict[str, PendingStart] = field(default_factory=dict)  # by container id
    uri: str = ""  # where the service listens, as Podman's info reports it (remoteSocket)


@dataclass
class Call:
    """One request being answered: what a route handler gets."""

    req: Request
    conn: Connection
    settings: Settings
    headers: dict[str, str] = field(default_factory=dict)  # Docker's, on every reply
    shared: Shared = field(default_factory=Shared)
    hijacked: bool = False  # the connection was upgraded: it ends with this request

    async def json(self, doc: object, status: int = 200) -> None:
        """The reply (a HEAD request's: its head only, errors too)."""
        if self.req.method == "HEAD":
            import json

            body = json.dumps(doc).encode() + b"\n"
            await self.conn.reply(status, body, self.headers, head=True)
            return
        await self.conn.reply_json(status, doc, self.headers)

    async def empty(self, status: int = 204) -> None:
        await self.conn.reply(status, b"", self.headers)


class Router:
    """Routes by method and path pattern; `lazy` (first path segment -> route modules of
    supervisor.service) adds a module's routes when a request first asks under its segment."""

    def __init__(self, lazy: dict[str, tuple[str, ...]] | None = None) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.lazy = dict(lazy or {})
        self.loaded: set[str] = set()

    def load(self, segment: str) -> None:
        import importlib

        for name in self.lazy.pop(segment, ()):
            if name not in self.loaded:
                self.loaded.add(name)
                importlib.import_module(f"supervisor.service.{name}").add_routes(self)

    def load_all(self) -> None:
        for segment in list(self.lazy):
            self.load(segment)

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        regex = re.sub(r"\{(\w+)\*\}", r"(?P<\1>.+)", pattern)  # image names have slashes
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", regex)
        self.routes.append((method, re.compile(f"^{regex}$"), handler))

    def find(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        if self.lazy:
            self.load(path.split("/", 2)[1] if path.startswith("/") else "")
        allowed = False
        for m, regex, handler in self.routes:
            found = regex.match(path)
            if found:
                if m == method or (m == "GET" and method == "HEAD"):
                    return handler, found.groupdict()
                allowed = True
        if allowed:
            raise HTTPError(405, f"method {method} not allowed for {path}")
        raise HTTPError(404, f"page not found: {path}")




async def blocking(fn: Callable[..., T], *args: Any) -> T:
    """Run one engine API call in a worker thread (the event loop keeps serving)."""
    return await anyio.to_thread.run_sync(fn, *args)


def first_error(reports: list[Report]) -> None:
    for r in reports:
        if r.err is not None:
            raise r.err
