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
from supervisor.service import compat
from supervisor.service.call import Call, Router, blocking
from supervisor.service.http import HTTPError
from supervisor.service.streams import from_thread_each

Emit = Callable[[dict[str, Any]], None]


async def list_(call: Call) -> None:
    wanted = compat.filters(call.req.arg("filters"))
    refs = wanted.get("reference", []) or [""]
    seen: dict[str, dict[str, Any]] = {}
    for ref in refs:
        for entry in await blocking(api.list_images, call.settings, ref or None):
            seen[entry.id] = compat.image_item(entry.json)
    docs = sorted(seen.values(), key=lambda d: d["Created"], reverse=True)
    if "dangling" in wanted:
        want = wanted["dangling"][-1] in ("1", "true")
        docs = [d for d in docs if (d["RepoTags"] == ["<none>:<none>"]) == want]
    await call.json(docs)


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

    def produce(emit: Emit) -> None:
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


def add_routes(r: Router) -> None:
    r.add("GET", "/images/json", list_)
    r.add("POST", "/images/create", create)
    r.add("POST", "/images/prune", prune)
    r.add("GET", "/images/{name*}/json", inspect)
    r.add("POST", "/images/{name*}/tag", tag)
    r.add("DELETE", "/images/{name*}", remove)
