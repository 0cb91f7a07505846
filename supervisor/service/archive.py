"""`/containers/{id}/archive`: a container's files as tar streams (`docker cp` both ways).

GET packs the path (the engine's packer, in a chrooted child, writes into a socket pair the
event loop reads into the reply); HEAD only describes it (the stat header); PUT unpacks the
request's tar into a directory of the container.
"""

from __future__ import annotations

import contextlib
import posixpath
import socket
from functools import partial

import anyio
import anyio.abc
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread

from supervisor.api import copy
from supervisor.errors import NotFoundError, ScopeboxError
from supervisor.service import compat
from supervisor.service.call import Call, Router, blocking
from supervisor.service.containers import inspect_of
from supervisor.service.http import HTTPError

STAT_HEADER = "X-Docker-Container-Path-Stat"


def _podman(call: Call) -> bool:
    from supervisor.service.wire import unversioned

    return unversioned(call.req.path).startswith("/libpod/")


async def _target(call: Call) -> tuple[str, str]:
    """The container's id and the path: Podman's route takes a relative path from the
    container's working directory (podman-remote's `cp ctr:file`), Docker's from its root."""
    path = call.req.arg("path")
    if not path:
        raise HTTPError(400, "a path (query parameter path) is required")
    data = await inspect_of(call, call.req.params["id"])
    if _podman(call) and not path.startswith("/"):
        workdir = (data.get("Config") or {}).get("WorkingDir") or "/"
        path = posixpath.join(workdir, path)
    return data["Id"], path


def _stat_header(call: Call, path: str, st: copy.PathStat) -> dict[str, str]:
    # podman-remote (the /libpod route) reads Podman's form: the resolved path of any file
    resolved = ("/" + path.lstrip("/")) if _podman(call) else None
    return {STAT_HEADER: compat.path_stat(st.name, st.size, st.mode, st.mtime, st.link_target,
                                          resolved)}  # fmt: skip


async def get(call: Call) -> None:
    cid, path = await _target(call)
    if call.req.method == "HEAD":
        st = await blocking(copy.archive_stat, call.settings, cid, path)
        await call.conn.reply(200, b"", {**call.headers, **_stat_header(call, path, st)},
                              "application/x-tar", head=True)  # fmt: skip
        return
    r, w = socket.socketpair()
    token = anyio.lowlevel.current_token()
    described = anyio.Event()
    stats: list[copy.PathStat] = []
    failed: list[Exception] = []

    def on_stat(st: copy.PathStat) -> None:
        stats.append(st)
        anyio.from_thread.run_sync(described.set, token=token)

    def run() -> None:
        try:
            copy.archive_get(call.settings, cid, path, w.fileno(), on_stat)
        finally:
            w.close()

    async def engine() -> None:
        try:
            await anyio.to_thread.run_sync(run, abandon_on_cancel=True)
        except Exception as exc:
            failed.append(exc)
        finally:
            described.set()

    data = await anyio.abc.SocketStream.from_socket(r)
    async with data, anyio.create_task_group() as tg:
        tg.start_soon(engine)
        await described.wait()
        if stats:
            head = {**call.headers, **_stat_header(call, path, stats[0])}
            await call.conn.start_chunked(200, head, "application/x-tar")
            while True:
                try:
                    chunk = await data.receive(65536)
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    break
                await call.conn.chunk(chunk)
    if not stats:
        raise failed[0] if failed else HTTPError(500, f"could not read {path}")
    if failed:  # the reply has begun: the service's log says why the tar is short
        print(f"scopebox service: archive of {cid[:12]}:{path}: {failed[0]}", flush=True)
    await call.conn.end_chunked()


async def put(call: Call) -> None:
    cid, path = await _target(call)
    r, w = socket.socketpair()
    # the tar's owners kept: Docker's copyUIDGID=true; Podman's copyUIDGID=false (`cp
    # -a=false`: its parameter means chown to the container's user)
    keep = call.req.flag("copyUIDGID")
    if _podman(call):
        keep = not call.req.flag("copyUIDGID", True)
    # a directory over a file (or the reverse) refused unless the client allows it (both
    # the docker CLI and podman-remote ask for the refusal by default)
    overwrite = not call.req.flag("noOverwriteDirNonDir")
    rename = _rename(call)

    def run() -> None:
        try:
            copy.archive_put(call.settings, cid, path, r.fileno(), keep, overwrite, rename)
        finally:
            r.close()

    async def feed() -> None:
        async with await anyio.abc.SocketStream.from_socket(w) as body:
            # the unpacker may stop early: its error is the answer
            with contextlib.suppress(anyio.BrokenResourceError, OSError):
                await body.send(call.req.body)

    failed: list[Exception] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(feed)
        try:
            await anyio.to_thread.run_sync(partial(run), abandon_on_cancel=True)
        except Exception as exc:
            failed.append(exc)
            tg.cancel_scope.cancel()
    if failed:
        raise await _put_error(call, cid, path, failed[0])
    await call.empty(200)


def _rename(call: Call) -> dict[str, str]:
    """Podman's `rename` (a JSON object, OLD: NEW): what podman-remote's `cp` sends to copy
    under another name; Podman's 400 when it is not one."""
    text = call.req.arg("rename")
    if not text:
        return {}
    import json

    try:
        value = json.loads(text)
    except ValueError as exc:
        raise HTTPError(400, f"couldn't decode the query field 'rename': {exc}") from None
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise HTTPError(400, "couldn't decode the query field 'rename': not an object of "
                        "strings")
    return value


async def _put_error(call: Call, cid: str, path: str, exc: Exception) -> Exception:
    """Docker's answer to an extraction point that is not there: 404 (the unpacker only says
    it wants a directory; the stat tells a missing path from a file)."""
    missing = f"Could not find the file {path} in container {call.req.params['id']}"
    if isinstance(exc, NotFoundError):
        return HTTPError(404, missing)
    if isinstance(exc, ScopeboxError) and "must be a directory" in str(exc):
        try:
            await blocking(copy.archive_stat, call.settings, cid, path)
        except NotFoundError:
            return HTTPError(404, missing)
        return HTTPError(400, "extraction point is not a directory")
    return exc


def add_routes(r: Router) -> None:
    r.add("GET", "/containers/{id}/archive", get)
    r.add("PUT", "/containers/{id}/archive", put)
