"""`/images/...`: Docker's image endpoints over `supervisor.api.images` and `.registry`."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
from collections.abc import Callable
from functools import partial
from typing import Any

from supervisor.api import images as api
from supervisor.api import registry
from supervisor.errors import NotFoundError, ScopeboxError
from supervisor.registry.progress import Progress
from supervisor.service import compat, quick
from supervisor.service.call import Call, Router, blocking
from supervisor.service.http import HTTPError
from supervisor.service.streams import from_thread_each, spool_body, tar_reply
from supervisor.service.wire import unversioned

Emit = Callable[[dict[str, Any]], None]


async def list_(call: Call) -> None:
    await call.json(await blocking(quick.images_json, call.settings, call.req))


async def inspect(call: Call) -> None:
    name = call.req.params["name"]
    (report,) = await blocking(api.inspect, call.settings, [name])
    if report.err is not None or report.data is None:
        raise NotFoundError("image", name)
    await call.json(compat.image_inspect(report.data))


async def tag(call: Call) -> None:
    repo = call.req.arg("repo")
    if not repo:
        raise HTTPError(400, "repository name (query parameter repo) is required")
    new = f"{repo}:{call.req.arg('tag') or 'latest'}"
    await blocking(api.tag, call.settings, call.req.params["name"], [new])
    await call.empty(201)


async def remove(call: Call) -> None:
    name = call.req.params["name"]
    (report,) = await blocking(partial(api.remove, call.settings, [name],
                                       force=call.req.flag("force")))  # fmt: skip
    if report.err is not None:
        raise report.err
    out = []
    for line in report.lines:
        key, _, value = line.partition(": ")
        out.append({key: value})
    await call.json(out)


async def prune(call: Call) -> None:
    wanted = compat.filters(call.req.arg("filters"))
    dangling = wanted.get("dangling", ["true"])[-1] in ("1", "true")
    removed = await blocking(api.prune, call.settings, not dangling)
    await call.json({"ImagesDeleted": [{"Deleted": f"sha256:{i}"} for i in removed] or None,
                     "SpaceReclaimed": 0})  # fmt: skip


# pull ----------------------------------------------------------------------------------------


class JSONProgress(Progress):
    """A pull's progress as Docker's JSON messages (the docker CLI draws its bars from them)."""

    def __init__(self, emit: Emit) -> None:
        self.emit = emit
        self.totals: dict[str, int | None] = {}
        self.done: dict[str, int] = {}

    def begin(self, key: str, label: str, total: int | None) -> None:
        self.totals[key], self.done[key] = total, 0
        self.emit({"status": "Pulling fs layer", "progressDetail": {}, "id": _short(key)})

    def advance(self, key: str, n: int) -> None:
        self.done[key] = self.done.get(key, 0) + n
        detail: dict[str, int] = {"current": self.done[key]}
        total = self.totals.get(key)
        if total:
            detail["total"] = total
        self.emit({"status": "Downloading", "progressDetail": detail, "id": _short(key)})

    def finish(self, key: str, status: str) -> None:
        self.emit({"status": "Pull complete", "progressDetail": {}, "id": _short(key)})


def _short(key: str) -> str:
    return key.split(":")[-1][:12]


def _credentials(header: str) -> registry.RegistryOptions:
    """X-Registry-Auth: base64url of {"username", "password", ...} (empty: none)."""
    if not header:
        return registry.RegistryOptions()
    try:
        doc = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (ValueError, binascii.Error):
        raise HTTPError(400, "invalid X-Registry-Auth header") from None
    if not isinstance(doc, dict) or not doc.get("username"):
        return registry.RegistryOptions()
    creds = registry.new_credentials(str(doc["username"]), str(doc.get("password", "")))
    return registry.RegistryOptions(creds=creds)


def _loopback_registry(ref: str) -> bool:
    """Docker's daemon treats registries on 127.0.0.0/8 (and localhost) as insecure: HTTP."""
    first = ref.split("/", 1)[0]
    if "/" not in ref or (not any(c in first for c in ".:") and first != "localhost"):
        return False
    host = first.rsplit(":", 1)[0] if first.count(":") == 1 else first
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


async def create(call: Call) -> None:
    """`POST /images/create?fromImage=X&tag=T`: a pull, its progress as JSON lines."""
    image = call.req.arg("fromImage")
    if not image:
        raise HTTPError(400, "fromImage is required (importing with fromSrc is not supported)")
    tag_ = call.req.arg("tag")
    ref = image
    if tag_:
        ref = f"{image}@{tag_}" if ":" in tag_ else f"{image}:{tag_}"
    opts = _credentials(call.req.headers.get("x-registry-auth", ""))
    if _loopback_registry(ref):
        opts = registry.RegistryOptions(False, opts.creds, opts.authfile)
    platform = call.req.arg("platform") or None
    started = False

    def produce(emit: Emit, _cancel_fd: int) -> None:  # a pull or push ends by itself
        image_id = registry.pull(call.settings, ref, platform, opts, JSONProgress(emit))
        emit({"status": f"Status: Downloaded image for {ref}", "id": image_id[:12]})

    async def send(doc: dict[str, Any]) -> None:
        nonlocal started
        if not started:
            await call.conn.start_chunked(200, call.headers, "application/json")
            started = True
        await call.conn.chunk(json.dumps(doc).encode() + b"\r\n")

    failed = await from_thread_each(produce, send)
    if failed is not None:
        if not started and not isinstance(failed, ScopeboxError):
            raise failed
        message = str(failed)
        await send({"errorDetail": {"message": message}, "error": message})
    await call.conn.end_chunked()


class PushProgress(JSONProgress):
    """A push's progress as Docker's JSON messages."""

    def begin(self, key: str, label: str, total: int | None) -> None:
        self.totals[key], self.done[key] = total, 0
        self.emit({"status": "Preparing", "progressDetail": {}, "id": _short(key)})

    def advance(self, key: str, n: int) -> None:
        self.done[key] = self.done.get(key, 0) + n
        detail: dict[str, int] = {"current": self.done[key]}
        total = self.totals.get(key)
        if total:
            detail["total"] = total
        self.emit({"status": "Pushing", "progressDetail": detail, "id": _short(key)})

    def finish(self, key: str, status: str) -> None:
        self.emit({"status": "Pushed", "progressDetail": {}, "id": _short(key)})


async def push(call: Call) -> None:
    """`POST /images/{name}/push?tag=T`: to the registry the name says, Docker's JSON lines
    (the digest last, as the `aux` the docker CLI reads)."""
    name = call.req.params["name"]
    tag_ = call.req.arg("tag")
    last = name.rsplit("/", 1)[-1]
    if not tag_ and ":" not in last and "@" not in last:
        tag_ = "latest"
    ref = f"{name}:{tag_}" if tag_ else name
    if not await blocking(api.exists, call.settings, ref):
        raise HTTPError(404, f"An image does not exist locally with the tag: {name}")
    opts = _credentials(call.req.headers.get("x-registry-auth", ""))
    if _loopback_registry(ref):
        opts = registry.RegistryOptions(False, opts.creds, opts.authfile)
    started = False

    def produce(emit: Emit, _cancel_fd: int) -> None:  # a pull or push ends by itself
        emit({"status": f"The push refers to repository [{ref.rsplit(':', 1)[0]}]"})
        digest = registry.push(call.settings, ref, None, opts, PushProgress(emit))
        shown = tag_ or ref.rsplit(":", 1)[-1]
        emit({"status": f"{shown}: digest: {digest}"})
        emit({"progressDetail": {}, "aux": {"Tag": shown, "Digest": digest}})

    async def send(doc: dict[str, Any]) -> None:
        nonlocal started
        if not started:
            await call.conn.start_chunked(200, call.headers, "application/json")
            started = True
        await call.conn.chunk(json.dumps(doc).encode() + b"\r\n")

    failed = await from_thread_each(produce, send)
    if failed is not None:
        if not started and not isinstance(failed, ScopeboxError):
            raise failed
        message = str(failed)
        await send({"errorDetail": {"message": message}, "error": message})
    await call.conn.end_chunked()


async def history(call: Call) -> None:
    """`GET /images/{name}/history`: newest first, Docker's keys (Created in seconds)."""
    from supervisor.timefmt import parse_rfc3339

    name = call.req.params["name"]
    items = await blocking(api.history, call.settings, name)
    (report,) = await blocking(api.inspect, call.settings, [name])
    tags = (report.data or {}).get("RepoTags") or [] if report.err is None else []
    # Podman's route has bare ids (podman-remote shortens them to 12 characters)
    prefix = "" if unversioned(call.req.path).startswith("/libpod/") else "sha256:"
    await call.json([{
        "Id": item["Id"] if item["Id"] == "<missing>" else f"{prefix}{item['Id']}",
        "Created": int(parse_rfc3339(item.get("Created", "")) or 0),
        "CreatedBy": item.get("CreatedBy", ""), "Tags": tags if i == 0 else None,
        "Size": item.get("RawSize", 0), "Comment": item.get("Comment", ""),
    } for i, item in enumerate(items)])


async def get(call: Call) -> None:
    """`GET /images/{name}/get` (and `/images/get?names=`): a docker-archive tarball."""
    names = [call.req.params["name"]] if "name" in call.req.params else call.req.query.get(
        "names", [])
    if not names:
        raise HTTPError(400, "an image name is required (query parameter names)")
    for name in names:  # a missing image is a 404 before the tar begins
        if not await blocking(api.exists, call.settings, name):
            raise NotFoundError("image", name)
    await tar_reply(call, f"save of {names}",
                    lambda out: api.save(call.settings, names, out, "docker-archive"))


async def load(call: Call) -> None:
    """`POST /images/load`: the body's archive (docker- or oci-archive), loaded; the
    names as Docker's JSON stream lines. The body goes to a file as it arrives (an image
    archive can be larger than memory), and the file is gone afterwards, loaded or not."""
    import os

    path = await spool_body(call, "scopebox-load-")
    try:
        names = await blocking(api.load, call.settings, path)
    finally:
        os.unlink(path)
    await call.conn.start_chunked(200, call.headers, "application/json")
    for name in names:
        kind = "image ID" if name.startswith("sha256:") else "image"
        doc = {"stream": f"Loaded {kind}: {name}\n"}
        await call.conn.chunk(json.dumps(doc).encode() + b"\r\n")
    await call.conn.end_chunked()


load.streams_body = True  # type: ignore[attr-defined]


def add_routes(r: Router) -> None:
    r.add("GET", "/images/json", list_)
    r.add("POST", "/images/create", create)
    r.add("POST", "/images/prune", prune)
    r.add("GET", "/images/get", get)
    r.add("POST", "/images/load", load)
    r.add("GET", "/images/{name*}/json", inspect)
    r.add("GET", "/images/{name*}/history", history)
    r.add("GET", "/images/{name*}/get", get)
    r.add("POST", "/images/{name*}/tag", tag)
    r.add("POST", "/images/{name*}/push", push)
    r.add("DELETE", "/images/{name*}", remove)
