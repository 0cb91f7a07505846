"""Podman's own `/libpod/...` routes, where a client of Podman's API needs them: the podman
remote client (`podman --url`) pings, asks the version and info, lists and inspects
containers and images. Their bodies are the engine API's reports as they are (Podman's
JSON, not Docker's shapes); errors are Podman's `{"cause", "message", "response"}`."""

from __future__ import annotations

from typing import Any

from supervisor.errors import NotFoundError, ScopeboxError
from supervisor.service import quick, system
from supervisor.service.call import Call, Router, blocking, first_error
from supervisor.service.http import HTTPError


async def version(call: Call) -> None:
    await call.json(quick.libpod_version_doc())


async def info(call: Call) -> None:
    from supervisor.api import system as api
    from supervisor.service.wire import LIBPOD_API_VERSION

    data = await blocking(api.info, call.settings)
    # as podman's service: the socket asked is the one that exists (its client's
    # `{{.Host.RemoteSocket.Path}}`), the API level the one served here
    if call.shared.uri:
        data.setdefault("host", {})["remoteSocket"] = {"path": call.shared.uri, "exists": True}
    if isinstance(data.get("version"), dict):
        data["version"]["APIVersion"] = LIBPOD_API_VERSION
    await call.json(data)


async def containers(call: Call) -> None:
    await call.json(await blocking(quick.libpod_containers_json, call.settings, call.req))


async def container(call: Call) -> None:
    from supervisor.service.containers import inspect_of

    data = await inspect_of(call, call.req.params["id"])
    config = data.get("Config")
    if isinstance(config, dict) and isinstance(config.get("Entrypoint"), list):
        # Podman 4.3's type is a string (the CLI's list is a deliberate difference: its
        # client would refuse the whole object)
        data = {**data, "Config": {**config, "Entrypoint": " ".join(config["Entrypoint"])}}
    await call.json(data)


async def container_exists(call: Call) -> None:
    from supervisor.api import containers as api

    ref = call.req.params["id"]
    if not await blocking(api.exists, call.settings, ref):
        raise HTTPError(404, f'no container with name or ID "{ref}" found: no such container')
    await call.empty(204)


async def images(call: Call) -> None:
    await call.json(await blocking(quick.libpod_images_json, call.settings, call.req))


async def image(call: Call) -> None:
    from supervisor.api import images as api
    from supervisor.errors import NotFoundError

    name = call.req.params["name"]
    (report,) = await blocking(api.inspect, call.settings, [name])
    if report.err is not None or report.data is None:
        raise NotFoundError("image", name)
    await call.json(report.data)


async def image_exists(call: Call) -> None:
    from supervisor.api import images as api
    from supervisor.errors import NotFoundError

    if not await blocking(api.exists, call.settings, call.req.params["name"]):
        raise NotFoundError("image", call.req.params["name"])
    await call.empty(204)


async def remove(call: Call) -> None:
    """`DELETE /libpod/containers/{id}` (`podman --url rm`): Podman's reports, `[{"Id",
    "RawInput"}]`; a missing container is a 404 unless `ignore` (then `[]`), `force` or not,
    as podman's service answers."""
    from supervisor.api import containers as api

    ref, req = call.req.params["id"], call.req
    ignore = req.flag("ignore")
    if not ignore and not await blocking(api.exists, call.settings, ref):
        raise HTTPError(404, f'no container with name or ID "{ref}" found: no such container')
    opts = api.RemoveOptions([ref], force=req.flag("force"), ignore=ignore,
                             timeout=req.integer("timeout"), volumes=req.flag("volumes"),
                             depend=req.flag("depend"))  # fmt: skip
    reports = await blocking(api.remove, call.settings, opts)
    first_error(reports)
    await call.json([{"Id": r.id, "RawInput": r.raw_input} for r in reports])


async def pull(call: Call) -> None:
    """`POST /libpod/images/pull` (`podman --url pull`, and `run`'s pull of a missing image):
    Podman's JSON lines, its progress words as `{"stream": ...}` (unless quiet: the client
    prints them on stderr), the last `{"images": [ID], "id": ID}` or `{"error": ...}`; policy
    `missing` (run's) answers from the local image when there is one."""
    import json
    from collections.abc import Callable

    from supervisor.api import images as api
    from supervisor.api import registry
    from supervisor.registry.progress import Progress, WordsProgress
    from supervisor.service.streams import from_thread_each

    ref = call.req.arg("reference")
    if not ref:
        raise HTTPError(400, "reference is required")
    policy = call.req.arg("policy", "always") or "always"
    if policy not in ("always", "missing", "newer", "never"):
        raise HTTPError(400, f"invalid pull policy {policy!r}")
    quiet = call.req.flag("quiet")
    await call.conn.start_chunked(200, call.headers, "application/json")

    def produce(emit: Callable[[dict[str, Any]], None], cancel_fd: int) -> None:
        def say(text: str) -> None:
            if not quiet:
                emit({"stream": text + "\n"})

        try:
            if policy in ("missing", "never"):
                (report,) = api.inspect(call.settings, [ref])
                if report.err is None and report.data is not None:
                    image_id = str(report.data["Id"])
                    emit({"images": [image_id], "id": image_id})
                    return
                if policy == "never":
                    raise NotFoundError("local image", ref)  # Podman's words
            say(f"Trying to pull {ref}...")
            verify = False if call.req.arg("tlsVerify") == "false" else None
            words = Progress() if quiet else WordsProgress(say)  # as its remote client shows
            image_id = registry.pull(call.settings, ref, None, registry.RegistryOptions(verify),
                                     words)  # fmt: skip
            emit({"images": [image_id], "id": image_id})
        except ScopeboxError as exc:
            emit({"error": str(exc)})

    async def send(doc: dict[str, Any]) -> None:
        await call.conn.chunk(json.dumps(doc).encode() + b"\n")

    failed = await from_thread_each(produce, send)
    if failed is not None:  # a bug: the reply has begun, the stream says it
        await send({"error": str(failed)})
    await call.conn.end_chunked()


def add_routes(r: Router) -> None:
    r.add("GET", "/libpod/_ping", system.ping)
    r.add("GET", "/libpod/version", version)
    r.add("GET", "/libpod/info", info)
    r.add("GET", "/libpod/containers/json", containers)
    r.add("GET", "/libpod/containers/{id}/json", container)
    r.add("GET", "/libpod/containers/{id}/exists", container_exists)
    r.add("GET", "/libpod/images/json", images)
    r.add("GET", "/libpod/images/{name*}/json", image)
    r.add("GET", "/libpod/images/{name*}/exists", image_exists)
    r.add("DELETE", "/libpod/containers/{id}", remove)
    r.add("POST", "/libpod/images/pull", pull)
