"""Streams between the engine API's blocking calls (worker threads) and the event loop."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Awaitable, Callable, Coroutine
from functools import partial
from typing import Any, BinaryIO, TypeVar, cast

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
from anyio.streams.memory import MemoryObjectReceiveStream

from supervisor.service.http import Closed, Connection

TYPE_CHECKING = False
if TYPE_CHECKING:
    from supervisor.service.call import Call

T = TypeVar("T")


async def from_thread_each(produce: Callable[[Callable[[T], None], int], None],
                           each: Callable[[T], Awaitable[None]]) -> Exception | None:  # fmt: skip
    """`produce(emit, cancel_fd)` runs in a worker thread, and `each` item it emits is handled
    here, in order; the producer's exception is returned (the face decides: a status before
    the reply began, a message in the stream after). `cancel_fd` becomes readable once the
    consumer stopped (its client gone: Closed): a producer that blocks waiting for its next
    item (a follow of events or logs) waits on it too and ends, or its thread would outlive
    the client, at worst for ever, and keep the service from exiting."""
    send, receive = anyio.create_memory_object_stream[T](64)
    failed: list[Exception] = []
    token = anyio.lowlevel.current_token()  # a producer may emit from threads of its own
    cancel_r, cancel_w = os.pipe2(os.O_CLOEXEC)

    def emit(item: T) -> None:
        anyio.from_thread.run(send.send, item, token=token)

    def run() -> None:
        try:
            produce(emit, cancel_r)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass
        except Exception as exc:
            failed.append(exc)
        finally:
            os.close(cancel_r)
            with contextlib.suppress(RuntimeError):  # the event loop is gone
                anyio.from_thread.run_sync(send.close, token=token)

    try:
        await in_group(partial(anyio.to_thread.run_sync, run, abandon_on_cancel=True),
                       partial(_consume, receive, each))  # fmt: skip
    finally:
        os.close(cancel_w)  # the read end sees EOF: readable
    return failed[0] if failed else None


async def _consume(receive: MemoryObjectReceiveStream[T],
                   each: Callable[[T], Awaitable[None]]) -> None:  # fmt: skip
    with receive:
        async for item in receive:
            await each(item)


async def in_group(background: Callable[[], Coroutine[Any, Any, Any]],
                   work: Callable[[], Awaitable[T]]) -> T:
    """`work`'s result with `background` running beside it (cancelled when `work` ends);
    `work`'s exception as itself, not in an exception group."""
    out: list[T] = []
    failed: list[Exception] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(background)
        try:
            out.append(await work())
        except Exception as exc:
            failed.append(exc)
        tg.cancel_scope.cancel()
    if failed:
        raise failed[0]
    return out[0]


async def until_disconnect(conn: Connection, work: Callable[[], Awaitable[T]]) -> T | None:
    """`work`'s result, or None when the client hung up first (its request is over)."""
    scope = anyio.CancelScope()

    async def watch() -> None:
        try:
            while await conn.receive_raw():
                pass  # a client that pipelines while it waits: not ours to read
        except Closed:
            pass
        scope.cancel()

    async def guarded() -> T | None:
        with scope:
            return await work()
        return None

    return await in_group(watch, guarded)


class _Writer:
    """A binary file whose writes go to the event loop, 64 KiB at a time."""

    def __init__(self, emit: Callable[[bytes], None]) -> None:
        self.emit = emit
        self.buf = bytearray()

    def write(self, data: bytes) -> int:
        self.buf += data
        if len(self.buf) >= 65536:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.buf:
            self.emit(bytes(self.buf))
            self.buf.clear()

    def close(self) -> None:
        self.flush()


async def tar_reply(call: Call, what: str, write: Callable[[BinaryIO], None]) -> None:
    """What `write` (in a worker thread) writes to its file, as the chunked reply (a
    tarball: save, export): an error before the first byte is the request's status; after
    it, the stream ends early (the client's tar reader says so) and the log says why."""
    started = False

    def produce(emit: Callable[[bytes], None], _cancel_fd: int) -> None:
        out = _Writer(emit)
        write(cast(BinaryIO, out))
        out.flush()

    async def send(data: bytes) -> None:
        nonlocal started
        if not started:
            await call.conn.start_chunked(200, call.headers, "application/x-tar")
            started = True
        await call.conn.chunk(data)

    failed = await from_thread_each(produce, send)
    if failed is not None and not started:
        raise failed
    if failed is not None:
        print(f"scopebox service: {what}: {failed}", flush=True)
    if not started:
        await call.conn.start_chunked(200, call.headers, "application/x-tar")
    await call.conn.end_chunked()


async def spool_body(call: Call, prefix: str) -> str:
    """The request's body in a file of its own, written as it arrives (an image archive can
    be larger than memory); the caller removes it. Gone again if the body breaks off."""
    import tempfile

    fd, path = tempfile.mkstemp(prefix=prefix, suffix=".tar")
    try:
        with os.fdopen(fd, "wb") as f:
            async for data in call.conn.body_chunks(call.req):
                await anyio.to_thread.run_sync(f.write, data)
    except BaseException:
        os.unlink(path)
        raise
    return path
