"""`/containers/...`: Docker's container endpoints over `supervisor.api.containers`."""

from __future__ import annotations

import contextlib
import json
import struct
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any, Protocol, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread

from supervisor.api import containers as api
from supervisor.errors import NotFoundError, ScopeboxError
from supervisor.service import compat, quick
from supervisor.service.call import Call, Router, blocking, first_error
from supervisor.service.http import Closed, HTTPError
from supervisor.service.streams import from_thread_each, until_disconnect


class LogRecord(Protocol):
    """What `api.containers.logs` yields (supervisor.logs.LogRecord), as read here."""

    @property
    def timestamp(self) -> str: ...
    @property
    def stream(self) -> str: ...
    @property
    def data(self) -> bytes: ...

T = TypeVar("T")
STATS_INTERVAL = 1.0  # seconds between a stream's readings (Docker's)
POLL = 0.05  # the state of a container another request starts: no event to wait on here
RAW_STREAM = "application/vnd.docker.raw-stream"


async def inspect_of(call: Call, ref: str) -> dict[str, Any]:
    """The container's inspect object (404 when there is none)."""
    (report,) = await blocking(partial(api.inspect, call.settings, [ref], "container"))
    if report.err is not None or report.data is None:
        raise NotFoundError("container", ref)
    return report.data


async def list_(call: Call) -> None:
    await call.json(await blocking(quick.containers_json, call.settings, call.req))


async def create(call: Call) -> None:
    opts = compat.create_options(call.req.json(), call.req.arg("name"))
    cid = await blocking(api.create, call.settings, api.CreateRequest(opts))
    await call.json({"Id": cid, "Warnings": []}, 201)


async def inspect(call: Call) -> None:
    data = await inspect_of(call, call.req.params["id"])
    await call.json(compat.container_inspect(data))


async def start(call: Call) -> None:
    ref = call.req.params["id"]
    data = await inspect_of(call, ref)
    if data["State"].get("Running"):
        await call.empty(304)
        return
    pending = call.shared.pending.pop(data["Id"], None)
    if pending is not None:  # an attach waits for this: it starts the container attached
        pending.requested.set()
        await pending.started.wait()
        if pending.error is not None:
            raise pending.error
    else:
        first_error(await blocking(api.start, call.settings, [ref]))
    await call.empty()


async def stop(call: Call) -> None:
    ref = call.req.params["id"]
    if not (await inspect_of(call, ref))["State"].get("Running"):
        await call.empty(304)
        return
    opts = api.StopOptions([ref], timeout=call.req.integer("t"))
    first_error(await blocking(api.stop, call.settings, opts))
    await call.empty()


async def restart(call: Call) -> None:
    ref = call.req.params["id"]
    first_error(await blocking(api.restart, call.settings, [ref], call.req.integer("t")))
    await call.empty()


async def kill(call: Call) -> None:
    ref = call.req.params["id"]
    signal = call.req.arg("signal", "SIGKILL") or "SIGKILL"
    first_error(await blocking(api.kill, call.settings, [ref], signal))
    await call.empty()


async def pause(call: Call) -> None:
    first_error(await blocking(api.pause, call.settings, [call.req.params["id"]]))
    await call.empty()


async def unpause(call: Call) -> None:
    first_error(await blocking(api.unpause, call.settings, [call.req.params["id"]]))
    await call.empty()


async def rename(call: Call) -> None:
    name = call.req.arg("name")
    if not name:
        raise HTTPError(400, "a new name is required (query parameter name)")
    await blocking(api.rename, call.settings, call.req.params["id"], name)
    await call.empty()


async def remove(call: Call) -> None:
    ref = call.req.params["id"]
    opts = api.RemoveOptions([ref], force=call.req.flag("force"), volumes=call.req.flag("v"))
    if opts.force:  # Podman's --force ignores a missing container, Docker's does not
        await inspect_of(call, ref)
    first_error(await blocking(api.remove, call.settings, opts))
    await call.empty()


async def prune(call: Call) -> None:
    removed = await blocking(api.prune, call.settings)
    await call.json({"ContainersDeleted": removed or None, "SpaceReclaimed": 0})


# wait ----------------------------------------------------------------------------------------


async def wait(call: Call) -> None:
    """Docker's conditions: not-running (default), next-exit, removed."""
    ref = call.req.params["id"]
    condition = call.req.arg("condition", "not-running") or "not-running"
    if condition not in ("not-running", "next-exit", "removed"):
        raise HTTPError(400, f"invalid condition: {condition!r}")
    first = await inspect_of(call, ref)
    cid = first["Id"]
    # Docker sends the headers at once: its client returns from the request then and only
    # then goes on (`run` starts the container after its wait request got them).
    await call.conn.start_chunked(200, call.headers, "application/json")
    try:
        code = await until_disconnect(call.conn, partial(_wait, call, cid, first, condition))
    except ScopeboxError as exc:
        doc: dict[str, Any] = {"StatusCode": -1, "Error": {"Message": str(exc)}}
    else:
        if code is None:  # the client is gone
            return
        doc = {"StatusCode": code, "Error": None}
    await call.conn.chunk(json.dumps(doc).encode() + b"\n")
    await call.conn.end_chunked()


async def _wait(call: Call, cid: str, first: dict[str, Any], condition: str) -> int:
    state = first["State"]
    if condition != "not-running" and not state.get("Running"):
        # next-exit, and removed (whose exit code is the next run's): `run` waits before it
        # starts the container, so wait for that start (another request makes it)
        started = state.get("StartedAt")
        while True:
            await anyio.sleep(POLL)
            try:
                now = (await inspect_of(call, cid))["State"]
            except NotFoundError:
                break
            if now.get("Running") or now.get("StartedAt") != started:
                break
    (report,) = await anyio.to_thread.run_sync(api.wait, call.settings, [cid],
                                               abandon_on_cancel=True)  # fmt: skip
    code: int | None = report.exit_code
    if report.err is not None:
        if not isinstance(report.err, NotFoundError):
            raise report.err
        code = await blocking(api.removed_exit_code, call.settings, cid)  # gone already (--rm)
    if condition == "removed":
        while await blocking(api.exists, call.settings, cid):
            await anyio.sleep(POLL)
        if code is None:
            code = await blocking(api.removed_exit_code, call.settings, cid)
    return code if code is not None else -1


# logs ----------------------------------------------------------------------------------------


def _seconds(call: Call, name: str) -> float | None:
    value = call.req.arg(name)
    if not value or value == "0":
        return None
    try:
        return float(value)
    except ValueError:
        raise HTTPError(400, f"invalid value for {name!r}: {value!r}") from None


async def logs(call: Call) -> None:
    ref = call.req.params["id"]
    want = {"stdout": call.req.flag("stdout"), "stderr": call.req.flag("stderr")}
    if not any(want.values()):
        raise HTTPError(400, "you must choose at least one stream")
    tail = call.req.arg("tail", "all") or "all"
    opts = api.LogsOptions(follow=call.req.flag("follow"), tail=api.parse_tail(tail),
                           since=_seconds(call, "since"), until=_seconds(call, "until"),
                           timestamps=call.req.flag("timestamps"))  # fmt: skip
    data = await inspect_of(call, ref)
    tty = bool(data.get("Config", {}).get("Tty"))
    if (data.get("HostConfig", {}).get("LogConfig") or {}).get("Type") == "none":
        # refused before the stream begins, so the client shows it and fails (Podman's
        # service writes it into a begun stream, and its client fails on that)
        raise HTTPError(400, "this container is using the 'none' log driver, cannot read "
                        "logs: this container is not logging output")  # fmt: skip

    def records(emit: Callable[[LogRecord], None], cancel_fd: int) -> None:
        for rec in api.logs(call.settings, data["Id"], opts, cancel_fd):
            emit(rec)

    await call.conn.start_chunked(200, call.headers, RAW_STREAM)

    async def send(rec: LogRecord) -> None:
        if want.get(rec.stream):
            await call.conn.chunk(frame(rec, tty, opts.timestamps))

    # a follow of a quiet container would notice a client gone only at its next line
    failed = await until_disconnect(call.conn, lambda: from_thread_each(records, send))
    if failed is not None:  # the reply has begun: the service's log says why it ended
        print(f"scopebox service: logs of {ref}: {failed}", file=sys.stderr, flush=True)
    await call.conn.end_chunked()


def frame(rec: LogRecord, tty: bool, timestamps: bool) -> bytes:
    """Docker's stream format: raw for a tty, else an 8-byte header per frame."""
    data = (rec.timestamp.encode() + b" " + rec.data) if timestamps else rec.data
    if tty:
        return data
    return struct.pack(">BxxxI", 2 if rec.stream == "stderr" else 1, len(data)) + data


async def top(call: Call) -> None:
    """`GET /containers/{id}/top?ps_args=`: Podman's descriptors (`-ef` and none: the
    default columns), as its compat endpoint takes them."""
    from supervisor.api import stats

    args = call.req.arg("ps_args").split()
    report = await blocking(stats.top, call.settings, call.req.params["id"], args)
    await call.json({"Titles": report.headers, "Processes": report.rows})


async def resize(call: Call) -> None:
    """`POST /containers/{id}/resize?h=&w=`: a tty container's terminal size."""
    from supervisor.errors import StateError

    rows, cols = call.req.integer("h", 0) or 0, call.req.integer("w", 0) or 0
    try:
        await blocking(api.resize, call.settings, call.req.params["id"], rows, cols)
    except StateError:
        # podman's client sizes the terminal between its attach and its start: the attach
        # sets it once it has started the container
        cid = (await inspect_of(call, call.req.params["id"]))["Id"]
        pending = call.shared.pending.get(cid)
        if pending is None or rows <= 0 or cols <= 0:
            raise
        pending.size = (rows, cols)
    await call.empty(200)


def _rfc3339(ns: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 10**9)) + f".{ns % 10**9:09d}Z"


async def stats(call: Call) -> None:
    """`GET /containers/{id}/stats`: a reading a second (stream, the default), or one:
    after a second (stream=false: two readings make the CPU %), at once with one-shot."""
    from supervisor.api import stats as api_stats

    data = await inspect_of(call, call.req.params["id"])
    cid, name = data["Id"], str(data.get("Name", ""))
    stream = call.req.flag("stream", True)
    before = await blocking(api_stats.read, call.settings, cid)
    stamp = time.time_ns()
    if not stream:
        if call.req.flag("one-shot"):
            await call.json(compat.stats(name, before, None, _rfc3339(stamp),
                                         "0001-01-01T00:00:00Z"))  # fmt: skip
            return
        await anyio.sleep(STATS_INTERVAL)
        now = await blocking(api_stats.read, call.settings, cid, before.stats)
        await call.json(compat.stats(name, now, before, _rfc3339(time.time_ns()),
                                     _rfc3339(stamp)))  # fmt: skip
        return
    await call.conn.start_chunked(200, call.headers, "application/json")

    async def each_second() -> None:
        nonlocal before, stamp
        doc = compat.stats(name, before, None, _rfc3339(stamp), "0001-01-01T00:00:00Z")
        while True:
            await call.conn.chunk(json.dumps(doc).encode() + b"\n")
            await anyio.sleep(STATS_INTERVAL)
            now = await blocking(api_stats.read, call.settings, cid, before.stats)
            now_stamp = time.time_ns()
            doc = compat.stats(name, now, before, _rfc3339(now_stamp), _rfc3339(stamp))
            before, stamp = now, now_stamp

    await until_disconnect(call.conn, each_second)
    with contextlib.suppress(Closed):
        await call.conn.end_chunked()


async def attach(call: Call) -> None:
    from supervisor.service.attach import attach as attach_

    await attach_(call, await inspect_of(call, call.req.params["id"]))


async def commit(call: Call) -> None:
    """`POST /commit?container=&repo=&tag=&comment=&author=&pause=&changes=`: the new
    image's id (Docker's `docker commit`; Dockerfile instructions in changes)."""
    from supervisor.api import copy

    ref = call.req.arg("container")
    if not ref:
        raise HTTPError(400, "a container (query parameter container) is required")
    await inspect_of(call, ref)
    repo, tag = call.req.arg("repo"), call.req.arg("tag")
    reference = f"{repo}:{tag or 'latest'}" if repo else None
    changes = tuple(c for c in call.req.query.get("changes", []) if c)
    req = copy.CommitRequest(ref, reference, changes, call.req.arg("comment"),
                             call.req.arg("author"), call.req.flag("pause", True),
                             "docker")  # fmt: skip
    image_id = await blocking(copy.commit, call.settings, req)
    await call.json({"Id": image_id if image_id.startswith("sha256:")
                     else f"sha256:{image_id}"}, 201)  # fmt: skip


def add_routes(r: Router) -> None:
    r.add("GET", "/containers/json", list_)
    r.add("POST", "/commit", commit)
    r.add("POST", "/containers/create", create)
    r.add("POST", "/containers/prune", prune)
    r.add("GET", "/containers/{id}/json", inspect)
    r.add("POST", "/containers/{id}/start", start)
    r.add("POST", "/containers/{id}/stop", stop)
    r.add("POST", "/containers/{id}/restart", restart)
    r.add("POST", "/containers/{id}/kill", kill)
    r.add("POST", "/containers/{id}/pause", pause)
    r.add("POST", "/containers/{id}/unpause", unpause)
    r.add("POST", "/containers/{id}/rename", rename)
    r.add("POST", "/containers/{id}/wait", wait)
    r.add("GET", "/containers/{id}/logs", logs)
    r.add("POST", "/containers/{id}/attach", attach)
    r.add("POST", "/containers/{id}/resize", resize)
    r.add("GET", "/containers/{id}/top", top)
    r.add("GET", "/containers/{id}/stats", stats)
    r.add("DELETE", "/containers/{id}", remove)
