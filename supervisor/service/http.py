"""HTTP/1.1 as the Docker API needs it: requests with keep-alive, bodies by length or chunked,
replies by length or chunked (streams), and the hijack (`Upgrade: tcp`) of attach and exec.

Hand-written on anyio's buffered stream: the API's clients (the docker CLI, docker-py,
compose) speak plain HTTP/1.1 over a unix socket, and the hijack hands the raw connection to
a handler, which a framework would hide.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import anyio.abc
from anyio.streams.buffered import BufferedByteReceiveStream

from supervisor.service.wire import (
    MAX_HEADERS,
    MAX_LINE,
    Closed,
    HTTPError,
    Request,
    add_header,
    head_bytes,
    request_line,
    request_of,
)

__all__ = ["Closed", "Connection", "HTTPError", "Request"]

HEAD_TIMEOUT = 20.0  # seconds from a request's first byte to the end of its headers
MAX_BODY = 64 * 1024 * 1024  # a create's JSON is a few KiB (images/load streams its body)


class _Held(anyio.abc.ByteReceiveStream):
    """A receive stream that can wait for data without taking it (the first byte of a request
    starts the clock of its head)."""

    def __init__(self, stream: anyio.abc.ByteReceiveStream) -> None:
        self.stream = stream
        self.held = b""

    async def wait_data(self) -> None:
        if not self.held:
            self.held = await self.stream.receive()

    async def receive(self, max_bytes: int = 65536) -> bytes:
        if self.held:
            data, self.held = self.held[:max_bytes], self.held[max_bytes:]
            return data
        return await self.stream.receive(max_bytes)

    async def aclose(self) -> None:
        await self.stream.aclose()


class Connection:
    """One client's connection: read requests, write replies (one at a time, in order)."""

    def __init__(self, stream: anyio.abc.ByteStream, head_timeout: float = HEAD_TIMEOUT) -> None:
        self.stream = stream
        self.held = _Held(stream)
        self.buf = BufferedByteReceiveStream(self.held)
        self.head_timeout = head_timeout

    async def read_request(self) -> Request | None:
        """The next request, or None when the client closed between requests. A connection
        may idle between requests, but once a request's first byte came, its head (request
        line and headers) must be complete within `head_timeout` seconds (a client that
        trickles it holds no task for ever): else a 408."""
        if not self.buf.buffer:
            try:
                await self.held.wait_data()
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError,
                    ConnectionError):  # fmt: skip
                return None
        try:
            with anyio.fail_after(self.head_timeout):
                return await self._head()
        except TimeoutError:
            raise HTTPError(408, f"request head not complete within {self.head_timeout:g} "
                                 "seconds") from None

    async def _head(self) -> Request | None:
        try:
            line = await self._line()
            while line == b"":  # RFC 9112 2.2: ignore empty lines before a request
                line = await self._line()
        except Closed:
            return None
        method, target, version = request_line(line)
        return request_of(method, target, version, await self._headers())

    async def read_body(self, req: Request) -> None:
        """The request's whole body into `req.body` (up to MAX_BODY)."""
        req.body = await self._body(req.headers)
        req.consumed = True

    async def body_chunks(self, req: Request) -> AsyncIterator[bytes]:
        """The request's body as it arrives, without a size limit (a route that streams it
        somewhere, as `images/load` to a file, takes it this way instead of `read_body`)."""
        if "chunked" in req.headers.get("transfer-encoding", "").lower():
            while True:
                size = await self._chunk_size()
                if size == 0:
                    while await self._line():  # trailers
                        pass
                    req.consumed = True
                    return
                while size:
                    data = await self._some(size)
                    size -= len(data)
                    yield data
                if await self._line() != b"":
                    raise HTTPError(400, "malformed chunk")
        left = self._length(req.headers)
        while left:
            data = await self._some(left)
            left -= len(data)
            yield data
        req.consumed = True

    async def _line(self) -> bytes:
        try:
            return await self.buf.receive_until(b"\r\n", MAX_LINE)
        except anyio.DelimiterNotFound:
            raise HTTPError(431, "request line or header too long") from None
        except (anyio.IncompleteRead, anyio.EndOfStream, anyio.BrokenResourceError,
                anyio.ClosedResourceError, ConnectionError):  # fmt: skip
            raise Closed from None

    async def _headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS):
            line = await self._line()
            if not line:
                return headers
            add_header(headers, line)
        raise HTTPError(431, "too many header lines")

    async def _body(self, headers: dict[str, str]) -> bytes:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return await self._chunked()
        n = self._length(headers)
        if n > MAX_BODY:
            raise HTTPError(413, f"request body over {MAX_BODY} bytes")
        return await self._exactly(n)

    @staticmethod
    def _length(headers: dict[str, str]) -> int:
        length = headers.get("content-length", "0") or "0"
        if not length.isdigit():
            raise HTTPError(400, f"invalid Content-Length {length!r}")
        return int(length)

    async def _chunk_size(self) -> int:
        size_line = (await self._line()).split(b";")[0].strip()
        try:
            return int(size_line, 16)
        except ValueError:
            raise HTTPError(400, "malformed chunk size") from None

    async def _some(self, most: int) -> bytes:
        """Up to `most` bytes of the body, at least one."""
        try:
            return await self.buf.receive(min(most, 65536))
        except (anyio.EndOfStream, anyio.IncompleteRead, anyio.BrokenResourceError,
                anyio.ClosedResourceError, ConnectionError):  # fmt: skip
            raise Closed from None

    async def _chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            size = await self._chunk_size()
            if size == 0:
                while await self._line():  # trailers
                    pass
                return b"".join(parts)
            total += size
            if total > MAX_BODY:
                raise HTTPError(413, f"request body over {MAX_BODY} bytes")
            parts.append(await self._exactly(size))
            if await self._line() != b"":
                raise HTTPError(400, "malformed chunk")

    async def _exactly(self, n: int) -> bytes:
        try:
            return await self.buf.receive_exactly(n) if n else b""
        except (anyio.IncompleteRead, anyio.EndOfStream, anyio.BrokenResourceError,
                ConnectionError):  # fmt: skip
            raise Closed from None

    # replies ---------------------------------------------------------------------------------

    async def send(self, data: bytes) -> None:
        try:
            await self.stream.send(data)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, ConnectionError):
            raise Closed from None

    async def reply(
        self, status: int, body: bytes, headers: dict[str, str],
        content_type: str = "application/json", head: bool = False,
    ) -> None:
        hdrs = {**headers, "Content-Length": str(len(body))}
        if body or content_type != "application/json":
            hdrs["Content-Type"] = content_type
        await self.send(head_bytes(status, hdrs) + (b"" if head or status in (204, 304) else body))

    async def reply_json(self, status: int, doc: Any, headers: dict[str, str]) -> None:
        await self.reply(status, json.dumps(doc).encode() + b"\n", headers)

    async def start_chunked(self, status: int, headers: dict[str, str],
                            content_type: str) -> None:  # fmt: skip
        await self.send(head_bytes(status, {**headers, "Content-Type": content_type,
                                        "Transfer-Encoding": "chunked"}))

    async def chunk(self, data: bytes) -> None:
        if data:
            await self.send(b"%x\r\n%b\r\n" % (len(data), data))

    async def end_chunked(self) -> None:
        await self.send(b"0\r\n\r\n")

    async def upgrade(self, headers: dict[str, str], content_type: str) -> None:
        """The hijack: 101 and the connection is the handler's raw stream from here on."""
        await self.send(head_bytes(101, {**headers, "Content-Type": content_type,
                                     "Connection": "Upgrade", "Upgrade": "tcp"}))

    async def receive_raw(self) -> bytes:
        """After a hijack: what the client sends (b"" at its end of input)."""
        try:
            return await self.buf.receive(65536)
        except (anyio.EndOfStream, anyio.IncompleteRead):
            return b""
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, ConnectionError):
            raise Closed from None
