"""`POST /containers/{id}/attach`: the hijacked connection carries the container's streams
(Docker's multiplexed frames, raw for a tty) and the client's input to it.

The engine API pumps the streams on descriptors in a worker thread (`attach_streams`); here
each is one end of a socket pair read or written by the event loop. A container that is not
running yet is started by the attach when its start request comes (`PendingStart`): Docker's
clients attach first, so nothing the container writes is lost.
"""

from __future__ import annotations

import contextlib
import socket
import struct
from typing import Any

import anyio
import anyio.abc
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread

from supervisor.api import containers as api
from supervisor.errors import ScopeboxError
from supervisor.service.call import Call, PendingStart
from supervisor.service.http import Closed

RAW_STREAM = "application/vnd.docker.raw-stream"
START_WAIT = 3600.0  # seconds an attach waits for its container's start request


async def attach(call: Call, data: dict[str, Any]) -> None:
    cid = data["Id"]
    config = data.get("Config", {})
    tty, interactive = bool(config.get("Tty")), bool(config.get("OpenStdin"))
    want = {1: call.req.flag("stdout"), 2: call.req.flag("stderr")}
    wants_stdin = call.req.flag("stdin") and interactive
    pending = None
    if not data["State"].get("Running"):
        pending = call.shared.pending.setdefault(cid, PendingStart())
    if "upgrade" in call.req.headers.get("connection", "").lower():
        await call.conn.upgrade(call.headers, RAW_STREAM)
    else:  # an old client: the stream follows a 200 without a length
        await call.conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: " + RAW_STREAM.encode() +
                             b"\r\n\r\n")  # fmt: skip
    call.hijacked = True
    if pending is not None:
        with anyio.move_on_after(START_WAIT):
            await pending.requested.wait()
        if not pending.requested.is_set():
            call.shared.pending.pop(cid, None)
            return
    await _pump(call, cid, tty, want, wants_stdin, pending)


async def _pump(call: Call, cid: str, tty: bool, want: dict[int, bool], wants_stdin: bool,
                pending: PendingStart | None) -> None:  # fmt: skip
    out_r, out_w = socket.socketpair()
    err_r, err_w = socket.socketpair()
    in_r, in_w = socket.socketpair()
    token = anyio.lowlevel.current_token()

    def started() -> None:
        if pending is not None:
            if pending.size is not None:  # asked before the start
                with contextlib.suppress(ScopeboxError):
                    api.resize(call.settings, cid, *pending.size)
            anyio.from_thread.run_sync(pending.started.set, token=token)

    req = api.StreamsRequest(in_r.fileno() if wants_stdin else None, out_w.fileno(),
                             err_w.fileno(), start=pending is not None,
                             on_started=started)  # fmt: skip

    failure: list[Exception] = []

    def run() -> int | None:
        try:
            return api.attach_streams(call.settings, cid, req)
        except Exception as exc:
            # kept before the ends close: their EOF may cancel engine() before the exception
            # reaches it, and the start request must still answer with it
            failure.append(exc)
            raise
        finally:  # the thread owns its ends: the readers get their EOF
            for s in (out_w, err_w, in_r):
                s.close()

    async def engine() -> None:
        with contextlib.suppress(Exception):  # kept in failure
            await anyio.to_thread.run_sync(run, abandon_on_cancel=True)

    out = await anyio.abc.SocketStream.from_socket(out_r)
    err = await anyio.abc.SocketStream.from_socket(err_r)
    stdin = await anyio.abc.SocketStream.from_socket(in_w)
    gone = [False]
    async with anyio.create_task_group() as tg:
        tg.start_soon(engine)
        if wants_stdin:
            tg.start_soon(send_input, call, stdin)
        async with anyio.create_task_group() as readers:
            readers.start_soon(output, call, out, 1, tty, want[1], gone)
            readers.start_soon(output, call, err, 2, tty, want[2], gone)
        tg.cancel_scope.cancel()  # the streams ended: the input goes with them
    await stdin.aclose()
    if pending is not None and not pending.started.is_set():  # the start request answers
        pending.error = failure[0] if failure else ScopeboxError(f"container {cid} did not start")
        pending.started.set()


async def output(call: Call, stream: anyio.abc.SocketStream, kind: int, tty: bool,
                  wanted: bool, gone: list[bool]) -> None:  # fmt: skip
    """Frames to the client until the engine's side ends; once the client is gone, read on
    and drop (the container must never block on a full pipe)."""
    async with stream:
        while True:
            try:
                data = await stream.receive(65536)
            except (anyio.EndOfStream, anyio.BrokenResourceError, OSError):
                return
            if not wanted or gone[0]:
                continue
            frame = data if tty else struct.pack(">BxxxI", kind, len(data)) + data
            try:
                await call.conn.send(frame)
            except Closed:
                gone[0] = True


async def send_input(call: Call, stdin: anyio.abc.SocketStream) -> None:
    """The client's bytes to the container's stdin; its half-close closes stdin."""
    try:
        while data := await call.conn.receive_raw():
            await stdin.send(data)
    except (Closed, anyio.BrokenResourceError, OSError):
        pass
    with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
        await stdin.send_eof()
