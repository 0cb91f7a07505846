"""Podman's `/libpod/...` routes that change things, as `podman --url` (podman-remote) and
podman-py use them: containers create (a SpecGenerator, specgen.py), start, stop, kill,
wait, attach, logs, exec; images tag and remove; pods, networks and volumes. The Docker
routes' handlers serve where Podman's replies are the same (start, kill, attach, exec);
the others answer in Podman's shapes and codes."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from supervisor.errors import NotFoundError
from supervisor.service.call import Call, Router, blocking, first_error
from supervisor.service.http import HTTPError

ZERO_TIME = "0001-01-01T00:00:00Z"  # Go's zero time: podman's client sends it for "unset"


def _lazy(module: str, name: str) -> Callable[[Call], Awaitable[None]]:
    """A handler of another route module, imported at its first request (podman's `ps`, the
    first request after a socket-activated start, loads none of them)."""
    async def handler(call: Call) -> None:
        await getattr(importlib.import_module(f"supervisor.service.{module}"), name)(call)

    return handler


async def create(call: Call) -> None:
    from supervisor import notices
    from supervisor.api import containers as api
    from supervisor.service import specgen

    opts, pod = specgen.create_options(call.req.json())

    def create() -> tuple[str, list[str]]:
        with notices.captured() as warnings:  # podman's client prints them (ports dropped)
            return api.create(call.settings, api.CreateRequest(opts, pod=pod)), warnings

    cid, warnings = await blocking(create)
    await call.json({"Id": cid, "Warnings": warnings}, 201)


async def stop(call: Call) -> None:
    """`?timeout=&ignore=`: 304 when not running, as podman's service."""
    from supervisor.api import containers as api
    from supervisor.service import containers

    ref = call.req.params["id"]
    try:
        data = await containers.inspect_of(call, ref)
    except NotFoundError:
        if call.req.flag("ignore"):
            await call.empty()
            return
        raise
    if not data["State"].get("Running"):
        await call.empty(304)
        return
    opts = api.StopOptions([ref], timeout=call.req.integer("timeout", call.req.integer("t")))
    first_error(await blocking(api.stop, call.settings, opts))
    await call.empty()


async def restart(call: Call) -> None:
    from supervisor.api import containers as api

    ref = call.req.params["id"]
    timeout = call.req.integer("t", call.req.integer("timeout"))
    first_error(await blocking(api.restart, call.settings, [ref], timeout))
    await call.empty()


async def wait(call: Call) -> None:
    """`?condition=`: the exit code as a bare JSON number (podman's); stopped/exited (the
    default) wait for the exit, running for a start."""
    import anyio

    from supervisor.service import containers
    from supervisor.service.streams import until_disconnect

    ref = call.req.params["id"]
    conditions = set(call.req.query.get("condition", [])) or {"stopped"}
    first = await containers.inspect_of(call, ref)
    if conditions - {"stopped", "exited", "running"}:
        raise HTTPError(400, f"unsupported wait condition {sorted(conditions)}")
    if conditions == {"running"}:
        while not first["State"].get("Running"):
            await anyio.sleep(containers.POLL)
            first = await containers.inspect_of(call, ref)
        await call.json(-1)
        return
    code = await until_disconnect(call.conn, partial(containers._wait, call, first["Id"],
                                                     first, "not-running"))  # fmt: skip
    if code is not None:
        await call.json(code)


def _epoch(value: str) -> str:
    """An RFC 3339 time (podman's client) as seconds for the Docker handler; Go's zero
    time as unset."""
    import re
    from datetime import datetime

    if not value or value == ZERO_TIME or value.startswith("0001-"):
        return ""
    if value.replace(".", "", 1).isdigit():
        return value
    # Go writes up to 9 fractional digits, Python reads 6
    text = re.sub(r"(\.\d{6})\d+", r"\1", value).replace("Z", "+00:00")
    try:
        return f"{datetime.fromisoformat(text).timestamp():.6f}"
    except ValueError:
        raise HTTPError(400, f"invalid time {value!r}") from None


async def logs(call: Call) -> None:
    """Podman's query (times in RFC 3339, tail -1 for all) onto the Docker handler's; the
    frames are the same."""
    from supervisor.service import containers

    q = call.req.query
    for key in ("since", "until"):
        if key in q:
            q[key] = [_epoch(call.req.arg(key))]
    if call.req.arg("tail") in ("-1", ""):
        q["tail"] = ["all"]
    await containers.logs(call)


async def images_remove(call: Call) -> None:
    """`DELETE /libpod/images/remove?images=&force=&all=&ignore=`: Podman's report, a 200
    even for errors (its client prints them and exits with `ExitCode`: 1 when an image did
    not exist, 2 when one is in use, 125 else, as `rmi`)."""
    from supervisor.api import images
    from supervisor.errors import ConflictError

    refs = [r for r in call.req.query.get("images", []) if r]
    reports = await blocking(partial(images.remove, call.settings, refs,
                                     force=call.req.flag("force"), all=call.req.flag("all"),
                                     ignore=call.req.flag("ignore")))  # fmt: skip
    doc: dict[str, Any] = {}
    codes = set()
    for r in reports:
        if isinstance(r.err, NotFoundError) and call.req.flag("lookupmanifest"):
            # `manifest rm` (podman-remote 4.3's): a manifest list by that name goes instead
            from supervisor.api import manifests

            try:
                name, list_id = await blocking(manifests.remove, call.settings, r.raw_input)
            except NotFoundError:
                pass
            else:
                doc.setdefault("Untagged", []).append(name)
                doc.setdefault("Deleted", []).append(list_id)
                continue
        if r.err is not None:
            doc.setdefault("Errors", []).append(str(r.err))
            codes.add(1 if isinstance(r.err, NotFoundError) else
                      2 if isinstance(r.err, ConflictError) else 125)  # fmt: skip
        for line in r.lines:
            key, _, value = line.partition(": ")
            doc.setdefault(key, []).append(value)
    doc["ExitCode"] = 125 if codes - {1, 2} else 1 if 1 in codes else max(codes, default=0)
    await call.json(doc)


async def image_remove(call: Call) -> None:
    """`DELETE /libpod/images/{name}` (podman-py)."""
    call.req.query["images"] = [call.req.params["name"]]
    await images_remove(call)


async def events(call: Call) -> None:
    """`GET /libpod/events?stream=&since=&until=&filters=`: Docker's messages with the
    attributes podman's client reads back (`containerExitCode`, `podId`: it drops an event
    without them); `stream=false` ends after the past ones."""
    import contextlib
    import json

    from supervisor.api import events as api_events
    from supervisor.service import compat, system
    from supervisor.service.http import Closed
    from supervisor.service.streams import from_thread_each, until_disconnect

    items = compat.filter_items(call.req.arg("filters"))
    opts = api_events.EventsOptions(items, call.req.arg("since") or None,
                                    call.req.arg("until") or None,
                                    call.req.flag("stream", True))  # fmt: skip
    await call.conn.start_chunked(200, call.headers, "application/json")

    def produce(emit: Callable[[dict[str, Any]], None], cancel_fd: int) -> None:
        for ev in api_events.events(call.settings, opts, cancel_fd):
            data = api_events.template_data(ev)
            doc = system._docker_event(data, ev)
            attrs = doc["Actor"]["Attributes"]
            attrs["containerExitCode"] = str(data.get("ContainerExitCode") or 0)
            attrs["podId"] = str(data.get("PodID") or "")
            emit(doc)

    async def send(doc: dict[str, Any]) -> None:
        await call.conn.chunk(json.dumps(doc).encode() + b"\n")

    failed = await until_disconnect(call.conn, lambda: from_thread_each(produce, send))
    if failed is not None:
        await send({"error": str(failed), "errorDetail": {"message": str(failed)}})
    with contextlib.suppress(Closed):
        await call.conn.end_chunked()


# pods ----------------------------------------------------------------------------------------


async def pod_create(call: Call) -> None:
    from supervisor.api import pods
    from supervisor.service.specgen import pod_request

    body = call.req.json()
    if not isinstance(body, dict):
        raise HTTPError(400, "decode(): invalid pod spec: expected a JSON object")
    pod_id = await blocking(pods.create, call.settings, pod_request(body))
    await call.json({"Id": pod_id}, 201)


async def pod_list(call: Call) -> None:
    from supervisor.api import pods
    from supervisor.service import compat

    items = compat.filter_items(call.req.arg("filters"))
    opts = pods.ListOptions(pods.parse_filters(items), no_trunc=True)
    await call.json([e.json for e in await blocking(pods.list_pods, call.settings, opts)])


async def pod_inspect(call: Call) -> None:
    from supervisor.api import pods

    ref = call.req.params["name"]
    (report,) = await blocking(pods.inspect, call.settings, [ref])
    if report.err is not None or report.data is None:
        raise report.err or NotFoundError("pod", ref)
    await call.json(report.data)


async def pod_exists(call: Call) -> None:
    from supervisor.api import pods

    ref = call.req.params["name"]
    if not await blocking(pods.exists, call.settings, ref):
        raise NotFoundError("pod", ref)
    await call.empty()


async def pod_remove(call: Call) -> None:
    from supervisor.api import pods

    ref = call.req.params["name"]
    opts = pods.RemoveOptions(force=call.req.flag("force"), timeout=call.req.integer("t"))
    (report,) = await blocking(pods.remove, call.settings, [ref], opts)
    if report.err is not None:
        raise report.err
    await call.json({"Err": None, "Id": report.id})


def _pod_verb(name: str) -> Any:
    async def verb(call: Call) -> None:
        from supervisor.api import pods

        ref = call.req.params["name"]
        reports = await blocking(getattr(pods, name), call.settings, [ref])
        first_error(reports)
        await call.json({"Errs": None, "Id": reports[0].id})

    return verb


# networks and volumes: Podman's JSON as the engine API has it -------------------------------


def _labels(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


async def network_list(call: Call) -> None:
    from supervisor.api import networks
    from supervisor.service import compat

    wanted = compat.filters(call.req.arg("filters"))
    await call.json(await blocking(networks.list_networks, call.settings, wanted or None))


async def network_inspect(call: Call) -> None:
    from supervisor.api import networks

    ref = call.req.params["name"]
    (report,) = await blocking(networks.inspect, call.settings, [ref])
    if report.err is not None or report.data is None:
        raise report.err or NotFoundError("network", ref)
    await call.json(report.data)


async def network_create(call: Call) -> None:
    from supervisor.api import networks

    body = call.req.json()
    if not isinstance(body, dict):
        raise HTTPError(400, "decode(): invalid network: expected a JSON object")
    subnets = [s for s in body.get("subnets") or [] if isinstance(s, dict)]
    opts = networks.CreateOptions(
        name=str(body.get("name") or ""),
        driver=str(body.get("driver") or "bridge"),
        subnets=[str(s["subnet"]) for s in subnets if s.get("subnet")],
        gateways=[str(s["gateway"]) for s in subnets if s.get("gateway")],
        internal=bool(body.get("internal")),
        disable_dns=body.get("dns_enabled", True) is False,
        ipv6=bool(body.get("ipv6_enabled")),
        labels=_labels(body.get("labels")),
        options=_labels(body.get("options")),
    )
    await call.json(await blocking(networks.create, call.settings, opts))


async def network_remove(call: Call) -> None:
    from supervisor.api import networks

    ref = call.req.params["name"]
    (report,) = await blocking(partial(networks.remove, call.settings, [ref],
                                       force=call.req.flag("force")))  # fmt: skip
    if report.err is not None:
        raise report.err
    await call.json([{"Name": ref, "Err": None}])


async def volume_list(call: Call) -> None:
    from supervisor.api import volumes
    from supervisor.service import compat

    wanted = compat.filters(call.req.arg("filters"))
    await call.json(await blocking(volumes.list_volumes, call.settings, wanted or None))


async def volume_create(call: Call) -> None:
    from supervisor.api import volumes

    body = call.req.json()
    if not isinstance(body, dict):
        raise HTTPError(400, "decode(): invalid volume: expected a JSON object")
    opts = volumes.CreateOptions(name=str(body.get("Name") or ""),
                                 driver=str(body.get("Driver") or "local"),
                                 labels=_labels(body.get("Label") or body.get("Labels")),
                                 options=_labels(body.get("Options")))  # fmt: skip
    await call.json(await blocking(volumes.create, call.settings, opts), 201)


async def volume_inspect(call: Call) -> None:
    from supervisor.api import volumes

    ref = call.req.params["name"]
    (report,) = await blocking(volumes.inspect, call.settings, [ref])
    if report.err is not None or report.data is None:
        raise report.err or NotFoundError("volume", ref)
    await call.json(report.data)


async def volume_remove(call: Call) -> None:
    from supervisor.api import volumes

    ref = call.req.params["name"]
    first_error(await blocking(partial(volumes.remove, call.settings, [ref],
                                       force=call.req.flag("force"))))  # fmt: skip
    await call.empty()


async def containers_prune(call: Call) -> None:
    """`POST /libpod/containers/prune`: Podman's reports, one per removed container."""
    from supervisor.api import containers as api
    from supervisor.service import compat

    items = compat.filter_items(call.req.arg("filters"))
    removed = await blocking(api.prune, call.settings, items or None)
    await call.json([{"Id": cid, "Size": 0, "Err": None} for cid in removed or []])


async def images_prune(call: Call) -> None:
    """`POST /libpod/images/prune?all=&filters=`: Podman's reports."""
    from supervisor.api import images
    from supervisor.service import compat

    items = compat.filter_items(call.req.arg("filters"))
    removed = await blocking(images.prune, call.settings, call.req.flag("all"), items)
    await call.json([{"Id": i, "Size": 0, "Err": None} for i in removed or []])


async def healthcheck(call: Call) -> None:
    """`GET /libpod/containers/{id}/healthcheck` (`podman --url healthcheck run`): one check
    now; Podman's result, whose Status the client prints when unhealthy."""
    from supervisor.api import containers as api

    ref = call.req.params["id"]
    try:
        code, _ = await blocking(api.healthcheck_run, call.settings, ref)
    except NotFoundError as exc:
        raise HTTPError(404, f"unable to look up {ref} to perform a health check: {exc}") from None
    # this check's result, as podman's service gives it (a failure within the retries is
    # "unhealthy" here too: its client exits 1 only for that word)
    await call.json({"Status": "healthy" if code == 0 else "unhealthy", "FailingStreak": 0,
                     "Log": None})  # fmt: skip


def _stats_doc(s: Any, first: bool) -> dict[str, Any]:
    """One container's reading as Podman's ContainerStats (a first reading's CPU % is the
    average since the start, as podman's)."""
    import time

    cpu = s.avg_cpu_percent if first else s.cpu_percent
    return {"AvgCPU": s.avg_cpu_percent, "ContainerID": s.id, "Name": s.name, "PerCPU": None,
            "CPU": cpu, "CPUNano": s.cpu_ns, "CPUSystemNano": 0, "SystemNano": time.time_ns(),
            "MemUsage": s.mem_usage, "MemLimit": s.mem_limit, "MemPerc": s.mem_percent,
            "NetInput": 0, "NetOutput": 0, "BlockInput": s.block_read,
            "BlockOutput": s.block_write, "PIDs": s.pids, "UpTime": s.cpu_ns,
            "Duration": s.cpu_ns}  # fmt: skip


async def stats(call: Call) -> None:
    """`GET /libpod/containers/stats?containers=&stream=&interval=` (`podman --url stats`):
    Podman's `{"Error", "Stats": [...]}` reports, one now, then one each interval while
    streaming; no containers named: the running ones."""
    import contextlib
    import json

    import anyio

    from supervisor.api import containers as api
    from supervisor.api import stats as api_stats
    from supervisor.service.http import Closed
    from supervisor.service.streams import until_disconnect

    refs = [r for r in call.req.query.get("containers", []) if r]
    interval = call.req.integer("interval", 5) or 5
    if interval <= 0:
        raise HTTPError(400, f"invalid interval {interval}")
    if not refs:
        listed = await blocking(api.list_containers, call.settings, api.ListOptions())
        refs = [e.id for e in listed]
    before = {ref: (await blocking(api_stats.read, call.settings, ref)).stats for ref in refs}
    first = {"Error": None, "Stats": [_stats_doc(s, True) for s in before.values()]}
    if not call.req.flag("stream", True):
        await call.json(first)
        return
    await call.conn.start_chunked(200, call.headers, "application/json")

    async def each_interval() -> None:
        doc: dict[str, Any] = first
        while True:
            await call.conn.chunk(json.dumps(doc).encode() + b"\n")
            await anyio.sleep(interval)
            for ref in refs:
                before[ref] = (await blocking(api_stats.read, call.settings, ref,
                                              before[ref])).stats  # fmt: skip
            doc = {"Error": None, "Stats": [_stats_doc(s, False) for s in before.values()]}

    await until_disconnect(call.conn, each_interval)
    with contextlib.suppress(Closed):
        await call.conn.end_chunked()


def _exists(kind: str) -> Any:
    """`GET /libpod/{networks,volumes}/{name}/exists`: 204, or Podman's 404."""
    async def exists(call: Call) -> None:
        import importlib

        module = importlib.import_module(f"supervisor.api.{kind}s")
        ref = call.req.params["name"]
        if not await blocking(module.exists, call.settings, ref):
            raise NotFoundError(kind, ref)
        await call.empty()

    return exists


def add_routes(r: Router) -> None:
    p = "/libpod"
    r.add("POST", f"{p}/containers/create", create)
    r.add("POST", f"{p}/containers/prune", containers_prune)
    r.add("GET", f"{p}/containers/stats", stats)
    r.add("POST", f"{p}/images/prune", images_prune)
    r.add("GET", f"{p}/containers/{{id}}/healthcheck", healthcheck)
    r.add("POST", f"{p}/containers/{{id}}/start", _lazy("containers", "start"))
    r.add("POST", f"{p}/containers/{{id}}/stop", stop)
    r.add("POST", f"{p}/containers/{{id}}/restart", restart)
    r.add("POST", f"{p}/containers/{{id}}/kill", _lazy("containers", "kill"))
    r.add("POST", f"{p}/containers/{{id}}/pause", _lazy("containers", "pause"))
    r.add("POST", f"{p}/containers/{{id}}/unpause", _lazy("containers", "unpause"))
    r.add("POST", f"{p}/containers/{{id}}/wait", wait)
    r.add("POST", f"{p}/containers/{{id}}/rename", _lazy("containers", "rename"))
    r.add("POST", f"{p}/containers/{{id}}/attach", _lazy("containers", "attach"))
    r.add("POST", f"{p}/containers/{{id}}/resize", _lazy("containers", "resize"))
    r.add("GET", f"{p}/containers/{{id}}/logs", logs)
    r.add("GET", f"{p}/containers/{{id}}/top", _lazy("containers", "top"))
    r.add("POST", f"{p}/containers/{{id}}/exec", _lazy("execs", "create"))
    r.add("POST", f"{p}/exec/{{id}}/start", _lazy("execs", "start"))
    r.add("GET", f"{p}/exec/{{id}}/json", _lazy("execs", "inspect"))
    r.add("POST", f"{p}/exec/{{id}}/resize", _lazy("execs", "resize"))
    r.add("POST", f"{p}/images/{{name*}}/tag", _lazy("images", "tag"))
    r.add("DELETE", f"{p}/images/remove", images_remove)
    r.add("DELETE", f"{p}/images/{{name*}}", image_remove)
    r.add("GET", f"{p}/events", events)
    r.add("POST", f"{p}/pods/create", pod_create)
    r.add("GET", f"{p}/pods/json", pod_list)
    r.add("GET", f"{p}/pods/{{name}}/json", pod_inspect)
    r.add("GET", f"{p}/pods/{{name}}/exists", pod_exists)
    r.add("DELETE", f"{p}/pods/{{name}}", pod_remove)
    for verb in ("start", "stop", "kill", "restart", "pause", "unpause"):
        r.add("POST", f"{p}/pods/{{name}}/{verb}", _pod_verb(verb))
    r.add("GET", f"{p}/networks/json", network_list)
    r.add("POST", f"{p}/networks/create", network_create)
    r.add("GET", f"{p}/networks/{{name}}/json", network_inspect)
    r.add("DELETE", f"{p}/networks/{{name}}", network_remove)
    r.add("GET", f"{p}/networks/{{name}}/exists", _exists("network"))
    r.add("GET", f"{p}/volumes/{{name}}/exists", _exists("volume"))
    r.add("GET", f"{p}/volumes/json", volume_list)
    r.add("POST", f"{p}/volumes/create", volume_create)
    r.add("GET", f"{p}/volumes/{{name}}/json", volume_inspect)
    r.add("DELETE", f"{p}/volumes/{{name}}", volume_remove)
