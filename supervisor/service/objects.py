"""`/networks/...` and `/volumes/...`: Docker's endpoints over `supervisor.api.networks` and
`supervisor.api.volumes` (Docker's default network `bridge` is the engine's `podman`)."""

from __future__ import annotations

from functools import partial
from typing import Any

from supervisor.api import networks, volumes
from supervisor.errors import NotFoundError
from supervisor.service import compat
from supervisor.service.call import Call, Router, blocking, first_error
from supervisor.service.http import HTTPError


def _body(call: Call) -> dict[str, Any]:
    body = call.req.json()
    if not isinstance(body, dict):
        raise HTTPError(400, "invalid request body: expected a JSON object")
    return body


def _labels(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items()} if isinstance(value, dict) else {}


async def network_list(call: Call) -> None:
    wanted = compat.filters(call.req.arg("filters"))
    if "name" in wanted:
        wanted["name"] = [compat.engine_name(n) for n in wanted["name"]]
    docs = await blocking(networks.list_networks, call.settings, wanted or None)
    await call.json([compat.network(d) for d in docs])


async def network_inspect(call: Call) -> None:
    ref = compat.engine_name(call.req.params["id"])
    (report,) = await blocking(networks.inspect, call.settings, [ref])
    if report.err is not None or report.data is None:
        raise NotFoundError("network", call.req.params["id"])
    await call.json(compat.network(report.data))


async def network_create(call: Call) -> None:
    body = _body(call)
    name = body.get("Name")
    if not isinstance(name, str) or not name:
        raise HTTPError(400, "a network name (Name) is required")
    ipam = body.get("IPAM") or {}
    configs = ipam.get("Config") or [] if isinstance(ipam, dict) else []
    opts = networks.CreateOptions(
        name=name,
        driver=body.get("Driver") or "bridge",
        subnets=[c["Subnet"] for c in configs if c.get("Subnet")],
        gateways=[c["Gateway"] for c in configs if c.get("Gateway")],
        ip_ranges=[c["IPRange"] for c in configs if c.get("IPRange")],
        internal=bool(body.get("Internal")),
        ipv6=bool(body.get("EnableIPv6")),
        labels=_labels(body.get("Labels")),
        options=_labels(body.get("Options")),
        ignore=not body.get("CheckDuplicate", False),
    )
    doc = await blocking(networks.create, call.settings, opts)
    await call.json({"Id": doc.get("id", ""), "Warning": ""}, 201)


async def network_remove(call: Call) -> None:
    ref = compat.engine_name(call.req.params["id"])
    first_error(await blocking(networks.remove, call.settings, [ref]))
    await call.empty()


async def network_prune(call: Call) -> None:
    removed = await blocking(networks.prune, call.settings, None)
    await call.json({"NetworksDeleted": removed})


async def network_connect(call: Call) -> None:
    body = _body(call)
    container = body.get("Container")
    if not isinstance(container, str) or not container:
        raise HTTPError(400, "a container (Container) is required")
    ep = body.get("EndpointConfig") or {}
    ipam = ep.get("IPAMConfig") or {}
    opts = networks.ConnectOptions(aliases=list(ep.get("Aliases") or []),
                                   ip=ipam.get("IPv4Address") or "",
                                   ip6=ipam.get("IPv6Address") or "")  # fmt: skip
    network = compat.engine_name(call.req.params["id"])
    await blocking(networks.connect, call.settings, network, container, opts)
    await call.empty(200)


async def network_disconnect(call: Call) -> None:
    body = _body(call)
    container = body.get("Container")
    if not isinstance(container, str) or not container:
        raise HTTPError(400, "a container (Container) is required")
    network = compat.engine_name(call.req.params["id"])
    await blocking(networks.disconnect, call.settings, network, container)
    await call.empty(200)


# volumes -------------------------------------------------------------------------------------


async def volume_list(call: Call) -> None:
    wanted = compat.filters(call.req.arg("filters"))
    docs = await blocking(volumes.list_volumes, call.settings, wanted or None)
    await call.json({"Volumes": [compat.volume(d) for d in docs], "Warnings": []})


async def volume_create(call: Call) -> None:
    body = _body(call)
    opts = volumes.CreateOptions(name=str(body.get("Name") or ""),
                                 driver=str(body.get("Driver") or "local"),
                                 labels=_labels(body.get("Labels")),
                                 options=_labels(body.get("DriverOpts")),
                                 ignore=True)  # Docker's create returns an existing volume
    doc = await blocking(volumes.create, call.settings, opts)
    await call.json(compat.volume(doc), 201)


async def volume_inspect(call: Call) -> None:
    name = call.req.params["name"]
    (report,) = await blocking(volumes.inspect, call.settings, [name])
    if report.err is not None:
        raise report.err
    await call.json(compat.volume(report.data or {}))


async def volume_remove(call: Call) -> None:
    name = call.req.params["name"]
    reports = await blocking(partial(volumes.remove, call.settings, [name],
                                     force=call.req.flag("force")))  # fmt: skip
    first_error(reports)
    await call.empty()


async def volume_prune(call: Call) -> None:
    removed = await blocking(volumes.prune, call.settings, None)
    await call.json({"VolumesDeleted": removed, "SpaceReclaimed": 0})


def add_routes(r: Router) -> None:
    r.add("GET", "/networks", network_list)
    r.add("POST", "/networks/create", network_create)
    r.add("POST", "/networks/prune", network_prune)
    r.add("GET", "/networks/{id}", network_inspect)
    r.add("DELETE", "/networks/{id}", network_remove)
    r.add("POST", "/networks/{id}/connect", network_connect)
    r.add("POST", "/networks/{id}/disconnect", network_disconnect)
    r.add("GET", "/volumes", volume_list)
    r.add("POST", "/volumes/create", volume_create)
    r.add("POST", "/volumes/prune", volume_prune)
    r.add("GET", "/volumes/{name}", volume_inspect)
    r.add("DELETE", "/volumes/{name}", volume_remove)
