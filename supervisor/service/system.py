"""`/_ping`, `/version`, `/info`, `/events`."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from typing import Any

from supervisor.service.call import Call, blocking
from supervisor.service.http import Closed
from supervisor.service.quick import PING_HEADERS, PING_TYPE, version_doc

# system --------------------------------------------------------------------------------------


async def ping(call: Call) -> None:
    headers = {**call.headers, **PING_HEADERS}
    await call.conn.reply(200, b"OK", headers, PING_TYPE, head=call.req.method == "HEAD")


async def version(call: Call) -> None:
    await call.json(version_doc())


async def info(call: Call) -> None:
    from supervisor.api import system

    data = await blocking(system.info, call.settings)
    host, store = data.get("host", {}), data.get("store", {})
    counts = store.get("containerStore", {})
    await call.json({
        "ID": host.get("hostname", ""), "Name": host.get("hostname", ""),
        "Containers": counts.get("number", 0), "ContainersRunning": counts.get("running", 0),
        "ContainersPaused": counts.get("paused", 0),
        "ContainersStopped": counts.get("stopped", 0),
        "Images": store.get("imageStore", {}).get("number", 0),
        "Driver": store.get("graphDriverName", "overlay"), "DriverStatus": [],
        "DockerRootDir": store.get("graphRoot", ""),
        "KernelVersion": host.get("kernel", ""), "OperatingSystem":
            host.get("distribution", {}).get("distribution", "linux"),
        "OSType": "linux", "Architecture": os.uname().machine,
        "NCPU": host.get("cpus", 0), "MemTotal": host.get("memTotal", 0),
        "CgroupDriver": host.get("cgroupManager", "cgroupfs"),
        "CgroupVersion": host.get("cgroupVersion", "v1").lstrip("v"),
        "LoggingDriver": host.get("logDriver", ""),
        "ServerVersion": data.get("version", {}).get("Version", ""),
        "DefaultRuntime": "runc", "Runtimes": {"runc": {"path": "runc"}},
        "Swarm": {"LocalNodeState": "inactive", "ControlAvailable": False},
        "SecurityOptions": ["name=seccomp,profile=default"], "Plugins": data.get("plugins", {}),
        "RegistryConfig": {"IndexConfigs": {}, "InsecureRegistryCIDRs": ["127.0.0.0/8"]},
        "Labels": [], "ExperimentalBuild": False, "Debug": False, "Warnings": [],
        "IndexServerAddress": "https://index.docker.io/v1/", "HttpProxy": "", "HttpsProxy": "",
        "NoProxy": "", "LiveRestoreEnabled": True, "Isolation": "", "InitBinary": "",
        **_info_rest(host),
    })


def _info_rest(host: dict[str, Any]) -> dict[str, Any]:
    """The rest of the keys of Docker's info (podman's service has them all), from what this
    host has: its kernel's switches, the time, no containerd."""
    import time

    def proc_flag(path: str) -> bool:
        try:
            with open(path) as f:
                return f.read().strip() == "1"
        except OSError:
            return False

    nf = "/proc/sys/net/bridge/bridge-nf-call-"
    commit = {"ID": "", "Expected": ""}
    cgroup_v2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
    return {
        "MemoryLimit": True, "SwapLimit": True, "KernelMemory": False,
        "KernelMemoryTCP": False, "CpuCfsPeriod": True, "CpuCfsQuota": True, "CPUShares": True,
        "CPUSet": True, "PidsLimit": True, "OomKillDisable": not cgroup_v2,
        "CPURealtimePeriod": False, "CPURealtimeRuntime": False,
        "IPv4Forwarding": proc_flag("/proc/sys/net/ipv4/ip_forward"),
        "BridgeNfIptables": proc_flag(f"{nf}iptables"),
        "BridgeNfIp6tables": proc_flag(f"{nf}ip6tables"),
        "NFd": len(os.listdir("/proc/self/fd")), "NGoroutines": 0, "NEventsListener": 0,
        "SystemTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "OSVersion": host.get("distribution", {}).get("version", ""),
        "ContainerdCommit": commit, "RuncCommit": commit, "InitCommit": commit,
        "GenericResources": None, "ProductLicense": "Apache-2.0",
        "BuildahVersion": "", "Rootless": os.geteuid() != 0,
        "SwapFree": host.get("swapFree", 0), "SwapTotal": host.get("swapTotal", 0),
        "Uptime": host.get("uptime", ""),
    }




async def df(call: Call) -> None:
    """`GET /system/df`: images, containers and volumes with their sizes (Docker's keys)."""
    from supervisor.api import containers, images, volumes
    from supervisor.service import compat

    entries = await blocking(images.list_images, call.settings, None)
    ctrs = await blocking(containers.list_containers, call.settings,
                          containers.ListOptions(all=True, size=True))  # fmt: skip
    vols = await blocking(volumes.list_volumes, call.settings, None)
    usage = {v["VolumeName"]: v for v in await blocking(volumes.disk_usage, call.settings)}
    image_docs = []
    for e in entries:
        doc = compat.image_item(e.json)
        doc["Containers"] = sum(1 for c in ctrs if c.json.get("ImageID") == e.id)
        image_docs.append(doc)
    ctr_docs = []
    for c in ctrs:
        doc = compat.container_item(c.json, c.endpoints)
        size = c.json.get("Size") or {}
        doc["SizeRw"] = size.get("rwSize", 0) if isinstance(size, dict) else 0
        doc["SizeRootFs"] = size.get("rootFsSize", 0) if isinstance(size, dict) else 0
        ctr_docs.append(doc)
    vol_docs = []
    for v in vols:
        doc = compat.volume(v)
        u = usage.get(str(v.get("Name")), {})
        doc["UsageData"] = {"Size": u.get("Size", -1), "RefCount": u.get("Links", 0)}
        vol_docs.append(doc)
    await call.json({"LayersSize": sum(d["Size"] for d in image_docs), "BuilderSize": 0,
                     "Images": image_docs, "Containers": ctr_docs, "Volumes": vol_docs,
                     "BuildCache": []})  # fmt: skip


async def events(call: Call) -> None:
    """`GET /events`: Docker's JSON messages, one per line, past ones with since= and new
    ones until until= (or until the client leaves)."""
    from supervisor.api import events as api
    from supervisor.service import compat
    from supervisor.service.streams import from_thread_each, until_disconnect

    items = compat.filter_items(call.req.arg("filters"))
    opts = api.EventsOptions(items, call.req.arg("since") or None,
                             call.req.arg("until") or None, True)  # fmt: skip
    await call.conn.start_chunked(200, call.headers, "application/json")

    def produce(emit: Callable[[dict[str, Any]], None], cancel_fd: int) -> None:
        for ev in api.events(call.settings, opts, cancel_fd):
            emit(_docker_event(api.template_data(ev), ev))

    async def send(doc: dict[str, Any]) -> None:
        await call.conn.chunk(json.dumps(doc).encode() + b"\n")

    failed = await until_disconnect(call.conn, lambda: from_thread_each(produce, send))
    if failed is not None:
        await send({"error": str(failed), "errorDetail": {"message": str(failed)}})
    with contextlib.suppress(Closed):
        await call.conn.end_chunked()


def _docker_event(data: dict[str, Any], ev: Any) -> dict[str, Any]:
    ns = int(getattr(ev, "time_ns", 0) or 0)
    actor = {"ID": data.get("ID") or data.get("Name") or "",
             "Attributes": {**data.get("Attributes", {}), "name": data.get("Name", ""),
                            "image": data.get("Image", "")}}  # fmt: skip
    status = str(data.get("Status", ""))
    doc: dict[str, Any] = {"status": status, "id": actor["ID"], "from": data.get("Image", ""),
                           "Type": data.get("Type", ""), "Action": status, "Actor": actor,
                           "scope": "local", "time": ns // 10**9, "timeNano": ns}  # fmt: skip
    return doc
