"""Docker's shapes: a create request's body to `CreateOptions`, and the engine API's reports
(Podman's JSON) to the objects Docker clients read. Pure functions, no I/O."""

from __future__ import annotations

from supervisor.errors import UsageError
from supervisor.service.wire import HTTPError

TYPE_CHECKING = False  # (not typing's, nor dataclasses at the top: a list needs neither)

if TYPE_CHECKING:  # the create path imports them (a list or an inspect needs none)
    from typing import Any

    from supervisor.health import HealthFlags
    from supervisor.network.request import NetFlags
    from supervisor.options import CreateOptions, RunFlagOptions
    from supervisor.resources import ResourceOptions

# Docker's default network is called bridge; Podman's (and ours) podman.
DEFAULT_NETWORK = "podman"


def _strings(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) and what in ("Cmd", "Entrypoint"):  # Docker's strslice
        import shlex

        return shlex.split(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise HTTPError(400, f"invalid {what}: expected a list of strings")


def _dict(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise HTTPError(400, f"invalid {what}: expected an object")
    return value


def _int(value: Any, what: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise HTTPError(400, f"invalid {what}: expected an integer")
    return value


def create_options(body: Any, name: str) -> CreateOptions:
    """`POST /containers/create`: Config with HostConfig inside (Docker's request)."""
    from dataclasses import replace

    if not isinstance(body, dict):
        raise HTTPError(400, "invalid create request: expected a JSON object")
    image = body.get("Image")
    if not isinstance(image, str) or not image:
        raise HTTPError(400, "config cannot be empty in order to create a container")
    host = _dict(body.get("HostConfig"), "HostConfig")
    entry = body.get("Entrypoint")
    from supervisor.options import CreateOptions

    opts = CreateOptions(
        image=image,
        command=_strings(body.get("Cmd"), "Cmd"),
        name=name or None,
        entrypoint=None if entry is None else _strings(entry, "Entrypoint"),
        env=_strings(body.get("Env"), "Env"),
        workdir=body.get("WorkingDir") or None,
        create_workdir=True,  # moby makes a missing working directory (so does Podman's API)
        user=body.get("User") or None,
        hostname=body.get("Hostname") or None,
        labels={str(k): str(v) for k, v in _dict(body.get("Labels"), "Labels").items()},
        interactive=bool(body.get("OpenStdin")),
        tty=bool(body.get("Tty")),
        stop_signal=body.get("StopSignal") or None,
        stop_timeout=body.get("StopTimeout"),
        volumes=_strings(host.get("Binds"), "Binds"),
        tmpfs=[f"{k}:{v}" if v else k for k, v in _dict(host.get("Tmpfs"), "Tmpfs").items()],
        read_only=bool(host.get("ReadonlyRootfs")),
        auto_remove=bool(host.get("AutoRemove")),
        restart=_restart(_dict(host.get("RestartPolicy"), "RestartPolicy")),
        network=_networks(body, host),
        resources=_resources(host),
        cap_add=_strings(host.get("CapAdd"), "CapAdd"),
        cap_drop=_strings(host.get("CapDrop"), "CapDrop"),
        privileged=bool(host.get("Privileged")),
        security_opt=_strings(host.get("SecurityOpt"), "SecurityOpt"),
        mounts=[_mount(m) for m in host.get("Mounts") or []],
        volumes_from=_strings(host.get("VolumesFrom"), "VolumesFrom"),
        net=_net_flags(body, host),
        health=health_flags(body.get("Healthcheck")),
        pull="never",  # Docker's create does not pull: the client does, on our 404
    )
    log = _dict(host.get("LogConfig"), "LogConfig")
    if log.get("Type") in ("journald", "k8s-file", "none"):
        opts = replace(opts, log_driver=log["Type"])
    opts = replace(opts, runflags=_runflags(host), ulimits=_ulimits(host.get("Ulimits")),
                   devices=[_device(d) for d in host.get("Devices") or []],
                   cgroup_parent=host.get("CgroupParent") or None,
                   volumes=opts.volumes + _anonymous(body, opts))  # fmt: skip
    if body.get("MacAddress"):
        opts = replace(opts, net=replace(opts.net, mac=str(body["MacAddress"])))
    return opts


def _runflags(host: dict[str, Any]) -> RunFlagOptions:
    """Init, Sysctls, ShmSize, GroupAdd, the namespace modes, OomScoreAdj."""
    def mode(key: str) -> str | None:
        value = host.get(key)
        if not value:
            return None
        if not isinstance(value, str):
            raise HTTPError(400, f"invalid {key}")
        return value

    shm = _int(host.get("ShmSize"), "ShmSize")
    oom = host.get("OomScoreAdj")
    from supervisor.options import RunFlagOptions

    return RunFlagOptions(
        init=bool(host.get("Init")),
        sysctls=[f"{k}={v}" for k, v in _dict(host.get("Sysctls"), "Sysctls").items()],
        pid=mode("PidMode"), ipc=mode("IpcMode"), uts=mode("UTSMode"),
        cgroupns=mode("CgroupnsMode"),
        shm_size=str(shm) if shm > 0 else None,
        group_add=[str(g) for g in host.get("GroupAdd") or []],
        oom_score_adj=_int(oom, "OomScoreAdj") if oom else None,
        oom_kill_disable=bool(host.get("OomKillDisable")),
    )


def _ulimits(value: Any) -> list[str]:
    """[{"Name": "nofile", "Soft": 1024, "Hard": 2048}] as the engine's name=soft:hard."""
    out = []
    for u in value or []:
        u = _dict(u, "Ulimits")
        if not isinstance(u.get("Name"), str) or not u["Name"]:
            raise HTTPError(400, "invalid Ulimits: each needs a Name")
        soft, hard = _int(u.get("Soft"), "Ulimits.Soft"), _int(u.get("Hard"), "Ulimits.Hard")
        out.append(f"{u['Name']}={soft}:{hard or soft}")
    return out


def _device(d: Any) -> str:
    d = _dict(d, "Devices")
    host_path = d.get("PathOnHost")
    if not isinstance(host_path, str) or not host_path:
        raise HTTPError(400, "invalid Devices: each needs a PathOnHost")
    inner = d.get("PathInContainer") or host_path
    return f"{host_path}:{inner}:{d.get('CgroupPermissions') or 'rwm'}"


def _anonymous(body: dict[str, Any], opts: CreateOptions) -> list[str]:
    """Config.Volumes {"/path": {}}: an anonymous volume at each path no bind, mount or tmpfs
    already covers (Docker's create; compose sends its services' volume targets here too)."""
    taken = {v.split(":")[1] if ":" in v else v for v in opts.volumes}
    taken |= {t.split(":")[0] for t in opts.tmpfs}
    for m in opts.mounts:
        for part in m.split(","):
            key, _, value = part.partition("=")
            if key in ("target", "destination", "dst"):
                taken.add(value)
    return [str(path) for path in _dict(body.get("Volumes"), "Volumes")
            if str(path).rstrip("/") not in {t.rstrip("/") for t in taken}]


def _restart(policy: dict[str, Any]) -> str:
    name = policy.get("Name") or "no"
    retries = _int(policy.get("MaximumRetryCount"), "MaximumRetryCount")
    if name == "on-failure" and retries:
        return f"on-failure:{retries}"
    return str(name)


def _network_mode(mode: Any) -> str:
    if not mode or mode == "default":
        return ""
    if not isinstance(mode, str):
        raise HTTPError(400, "invalid NetworkMode")
    return DEFAULT_NETWORK if mode == "bridge" else mode


def _networks(body: dict[str, Any], host: dict[str, Any]) -> str:
    """HostConfig.NetworkMode and NetworkingConfig.EndpointsConfig as the engine's --network
    (`NAME:alias=A,ip=I,...` per network): compose names each service's container on the
    project network by an alias, the service's name."""
    mode = _network_mode(host.get("NetworkMode"))
    networking = _dict(body.get("NetworkingConfig"), "NetworkingConfig")
    endpoints = {engine_name(str(k)): _dict(v, "EndpointsConfig")
                 for k, v in _dict(networking.get("EndpointsConfig"), "EndpointsConfig").items()}
    if not endpoints or mode in ("none", "host") or mode.startswith(("container:", "ns:")):
        return mode
    names = [mode] if mode else []
    names += [n for n in endpoints if n not in names]
    parts = []
    for name in names:
        ep = endpoints.get(name, {})
        ipam = _dict(ep.get("IPAMConfig"), "IPAMConfig")
        opts = [f"alias={a}" for a in _strings(ep.get("Aliases"), "Aliases")]
        if ipam.get("IPv4Address"):
            opts.append(f"ip={ipam['IPv4Address']}")
        if ipam.get("IPv6Address"):
            opts.append(f"ip6={ipam['IPv6Address']}")
        if ep.get("MacAddress"):
            opts.append(f"mac={ep['MacAddress']}")
        parts.append(f"{name}:{','.join(opts)}" if opts else name)
    return ",".join(parts)


def _resources(host: dict[str, Any]) -> ResourceOptions:
    def positive(key: str) -> int | None:
        n = _int(host.get(key), key)
        return n if n > 0 else None

    memory, swap = positive("Memory"), _int(host.get("MemorySwap"), "MemorySwap")
    nano = positive("NanoCpus")
    pids = host.get("PidsLimit")
    from supervisor.resources import ResourceOptions

    return ResourceOptions(
        memory=str(memory) if memory else None,
        memory_swap=(str(swap) if swap > 0 else "-1" if swap == -1 else None) if memory
        else None,
        memory_reservation=str(positive("MemoryReservation") or "") or None,
        cpus=f"{nano / 1e9:g}" if nano else None,
        cpu_shares=positive("CpuShares"),
        cpu_quota=positive("CpuQuota"),
        cpu_period=positive("CpuPeriod"),
        cpuset_cpus=host.get("CpusetCpus") or None,
        cpuset_mems=host.get("CpusetMems") or None,
        pids_limit=pids if isinstance(pids, int) and pids != 0 else None,
    )


def _mount(m: Any) -> str:
    m = _dict(m, "Mounts")
    parts = [f"type={m.get('Type') or 'volume'}"]
    if m.get("Source"):
        parts.append(f"source={m['Source']}")
    if not m.get("Target"):
        raise HTTPError(400, "invalid mount config: Target is required")
    parts.append(f"target={m['Target']}")
    if m.get("ReadOnly"):
        parts.append("ro=true")
    return ",".join(parts)


def _net_flags(body: dict[str, Any], host: dict[str, Any]) -> NetFlags:
    publish = []
    for port, bindings in _dict(host.get("PortBindings"), "PortBindings").items():
        cport, _, proto = str(port).partition("/")
        for b in bindings or [{}]:
            ip, hport = (b or {}).get("HostIp") or "", (b or {}).get("HostPort") or ""
            text = f"{cport}/{proto or 'tcp'}"
            publish.append(f"{ip}:{hport}:{text}" if ip else f"{hport}:{text}" if hport
                           else text)  # fmt: skip
    from supervisor.network.request import NetFlags

    return NetFlags(
        publish=tuple(publish),
        publish_all=bool(host.get("PublishAllPorts")),
        expose=tuple(str(p) for p in _dict(body.get("ExposedPorts"), "ExposedPorts")),
        dns=tuple(_strings(host.get("Dns"), "Dns")),
        dns_search=tuple(_strings(host.get("DnsSearch"), "DnsSearch")),
        dns_options=tuple(_strings(host.get("DnsOptions"), "DnsOptions")),
        add_hosts=tuple(_strings(host.get("ExtraHosts"), "ExtraHosts")),
    )


def health_flags(check: Any, what: str = "Healthcheck") -> HealthFlags:
    """Config.Healthcheck (libpod's `healthconfig` has the same shape): Test
    ["CMD-SHELL", "..."] or ["CMD", ...]; durations in ns."""
    from dataclasses import replace

    from supervisor.health import HealthFlags

    check = _dict(check, what)
    test = _strings(check.get("Test"), f"{what}.Test")
    if not test:
        return HealthFlags()
    if test[0] == "NONE":
        return HealthFlags(disabled=True)
    import json

    cmd = test[1] if test[0] == "CMD-SHELL" and len(test) == 2 else json.dumps(test[1:])

    def seconds(key: str) -> str | None:
        ns = _int(check.get(key), key)
        return f"{ns / 1e9:g}s" if ns > 0 else None

    flags = HealthFlags(cmd=cmd, interval=seconds("Interval"), timeout=seconds("Timeout"),
                        start_period=seconds("StartPeriod"))
    retries = _int(check.get("Retries"), "Retries")
    if retries > 0:
        flags = replace(flags, retries=retries)
    return flags


# reports to Docker's objects -----------------------------------------------------------------


def container_item(doc: dict[str, Any],
                   endpoints: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """`GET /containers/json`: one of Docker's list entries from Podman's `ps` object and the
    container's network endpoints (Docker's list has each network's addresses: testcontainers
    reads its Gateway)."""
    ports = []
    for p in doc.get("Ports") or []:
        for i in range(int(p.get("range") or 1)):
            entry: dict[str, Any] = {"PrivatePort": p["container_port"] + i,
                                     "Type": p.get("protocol", "tcp")}  # fmt: skip
            if p.get("host_port"):
                entry["IP"] = p.get("host_ip") or "0.0.0.0"
                entry["PublicPort"] = p["host_port"] + i
            ports.append(entry)
    endpoints = endpoints or {}
    networks = list(endpoints) or doc.get("Networks") or []
    return {
        "Id": doc["Id"],
        "Names": [f"/{n}" for n in doc.get("Names", [])],
        "Image": doc.get("Image", ""),
        "ImageID": f"sha256:{doc.get('ImageID', '')}",
        "Command": _join(doc.get("Command") or []),
        "Created": doc.get("Created", 0),
        "Ports": ports,
        "Labels": doc.get("Labels") or {},
        "State": doc.get("State", ""),
        "Status": doc.get("Status", ""),
        "HostConfig": {"NetworkMode": _docker_net(networks[0]) if networks else "default"},
        "NetworkSettings": {"Networks": {_docker_net(n): endpoints.get(n, {})
                                         for n in networks}},
        "Mounts": [{"Destination": m} if isinstance(m, str) else m
                   for m in doc.get("Mounts") or []],
    }


def _docker_net(name: str) -> str:
    return "bridge" if name == DEFAULT_NETWORK else name


def container_inspect(data: dict[str, Any]) -> dict[str, Any]:
    """`GET /containers/{id}/json`: Docker's names for what Podman's inspect has."""
    out = dict(data)
    out["Name"] = "/" + str(data.get("Name", "")).lstrip("/")
    out.setdefault("Platform", "linux")
    if out.get("Image") and not str(out["Image"]).startswith("sha256:"):
        out["Image"] = f"sha256:{out['Image']}"  # Docker's; Podman's inspect has the bare id
    config = dict(out.get("Config") or {})
    config["Image"] = data.get("ImageName") or config.get("Image", "")
    config.setdefault("ExposedPorts", {})
    if isinstance(config.get("StopSignal"), int):  # Podman's number, Docker's name
        config["StopSignal"] = _signal_name(config["StopSignal"])
    out["Config"] = config
    host = dict(out.get("HostConfig") or {})
    if host.get("NetworkMode") in ("bridge", DEFAULT_NETWORK):
        # Docker's mode names the container's (first) network: "bridge" is its default one
        attached = list((data.get("NetworkSettings") or {}).get("Networks") or {})
        host["NetworkMode"] = _docker_net(attached[0]) if attached else "bridge"
    log = dict(host.get("LogConfig") or {})
    if log.get("Type") == "k8s-file":
        # The engine's own log file, served by the logs endpoint as Docker's json-file is:
        # clients (docker-py's run) read logs only from the drivers they know.
        log["Type"] = "json-file"
    host["LogConfig"] = log
    out["HostConfig"] = host
    net = dict(out.get("NetworkSettings") or {})
    for bindings in (net.get("Ports") or {}).values():  # Docker's: every address is 0.0.0.0
        for b in bindings or []:
            if isinstance(b, dict) and not b.get("HostIp"):
                b["HostIp"] = "0.0.0.0"
    if isinstance(net.get("Networks"), dict):
        net["Networks"] = {_docker_net(k): v for k, v in net["Networks"].items()}
    out["NetworkSettings"] = net
    state = dict(out.get("State") or {})
    if state.get("Status") == "stopped":
        state["Status"] = "exited"
    out["State"] = state
    for key in PODMAN_ONLY_INSPECT:  # Docker's shape (podman's compat inspect has none)
        out.pop(key, None)
    return out


# Podman's inspect keys that Docker's (and podman's compat endpoint) do not have
PODMAN_ONLY_INSPECT = (
    "BoundingCaps", "ConmonPidFile", "Dependencies", "EffectiveCaps", "ImageDigest",
    "ImageName", "IsInfra", "IsService", "Namespace", "OCIConfigPath", "OCIRuntime", "PidFile",
    "Pod", "Rootfs", "StaticDir",
)


def _signal_name(number: int) -> str:
    import signal

    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def image_item(doc: dict[str, Any]) -> dict[str, Any]:
    """`GET /images/json`: Docker's entry from Podman's `images` object."""
    return {
        "Id": f"sha256:{doc['Id']}",
        "ParentId": doc.get("ParentId", ""),
        "RepoTags": doc.get("RepoTags") or ["<none>:<none>"],
        "RepoDigests": doc.get("RepoDigests") or [],
        "Created": doc.get("Created", 0),
        "Size": doc.get("Size", 0),
        "SharedSize": doc.get("SharedSize", 0),
        "VirtualSize": doc.get("VirtualSize", doc.get("Size", 0)),
        "Labels": doc.get("Labels") or {},
        "Containers": doc.get("Containers", 0),
    }


_IMAGE_CONFIG = {"Hostname": "", "Domainname": "", "User": "", "AttachStdin": False,
                 "AttachStdout": False, "AttachStderr": False, "Tty": False,
                 "OpenStdin": False, "StdinOnce": False, "Env": None, "Cmd": None,
                 "Image": "", "Volumes": None, "WorkingDir": "", "Entrypoint": None,
                 "OnBuild": None, "Labels": None}  # fmt: skip


def image_inspect(data: dict[str, Any]) -> dict[str, Any]:
    """Docker's image object (Podman's compat keys): compose reads ContainerConfig."""
    image_id = str(data.get("Id", ""))
    config = {**_IMAGE_CONFIG, **_dict(data.get("Config"), "Config")}
    if isinstance(config.get("StopSignal"), int):
        config["StopSignal"] = _signal_name(config["StopSignal"])
    return {
        "Id": image_id if image_id.startswith("sha256:") else f"sha256:{image_id}",
        "RepoTags": data.get("RepoTags") or [],
        "RepoDigests": data.get("RepoDigests") or [],
        "Parent": data.get("Parent", ""),
        "Comment": data.get("Comment", ""),
        "Created": data.get("Created", ""),
        "Container": "",
        "ContainerConfig": {**_IMAGE_CONFIG, "Hostname": image_id.split(":")[-1][:11]},
        "DockerVersion": "",
        "Author": data.get("Author", ""),
        "Config": config,
        "Architecture": data.get("Architecture", ""),
        "Os": data.get("Os", "linux"),
        "Size": data.get("Size", 0),
        "VirtualSize": data.get("VirtualSize", data.get("Size", 0)),
        "GraphDriver": data.get("GraphDriver") or {"Name": "overlay", "Data": {}},
        "RootFS": data.get("RootFS") or {"Type": "layers", "Layers": []},
        "Metadata": {"LastTagTime": "0001-01-01T00:00:00Z"},
    }


def network(doc: dict[str, Any], containers: dict[str, Any] | None = None) -> dict[str, Any]:
    """Docker's network object from Podman's (netavark's) JSON."""
    name = str(doc.get("name", ""))
    return {
        "Name": _docker_net(name),
        "Id": doc.get("id", ""),
        "Created": doc.get("created", ""),
        "Scope": "local",
        "Driver": doc.get("driver", "bridge"),
        "EnableIPv6": bool(doc.get("ipv6_enabled")),
        "IPAM": {
            "Driver": "default",
            "Options": None,
            "Config": [{"Subnet": s.get("subnet", ""), "Gateway": s.get("gateway", "")}
                       for s in doc.get("subnets") or []],
        },
        "Internal": bool(doc.get("internal")),
        "Attachable": False,
        "Ingress": False,
        "ConfigFrom": {"Network": ""},
        "ConfigOnly": False,
        "Containers": containers or {},
        "Options": doc.get("options") or {},
        "Labels": doc.get("labels") or {},
    }


def engine_name(network_name: str) -> str:
    """A Docker client's network name as the engine calls it."""
    return DEFAULT_NETWORK if network_name == "bridge" else network_name


def volume(doc: dict[str, Any]) -> dict[str, Any]:
    keys = ("Name", "Driver", "Mountpoint", "CreatedAt", "Labels", "Scope", "Options")
    out = {k: doc.get(k) for k in keys}
    out["Labels"] = out["Labels"] or {}
    out["Options"] = out["Options"] or {}
    return out


def filter_items(text: str) -> list[str]:
    """Docker's `filters` query as the engine API's `KEY=VALUE` items, one per value."""
    return [f"{k}={v}" for k, values in filters(text).items() for v in values]


def filters(text: str) -> dict[str, list[str]]:
    """Docker's `filters` query: JSON {"key": ["v", ...]} or the old {"key": {"v": true}}."""
    if not text:
        return {}
    import json

    try:
        raw = json.loads(text)
    except ValueError:
        raise HTTPError(400, f"invalid filters: {text!r}") from None
    if not isinstance(raw, dict):
        raise HTTPError(400, "invalid filters: expected an object")
    out: dict[str, list[str]] = {}
    for key, values in raw.items():
        if isinstance(values, dict):
            out[key] = [k for k, on in values.items() if on]
        elif isinstance(values, list):
            out[key] = [str(v) for v in values]
        else:
            raise UsageError(f"invalid filter {key!r}")
    return out


def stats(name: str, now: Any, before: Any | None, read: str, preread: str) -> dict[str, Any]:
    """Docker's stats object from two of the engine's readings (`api.stats.Reading`; the
    first of a stream has no `before`: its precpu_stats are zeros, as Docker's)."""

    def cpu(reading: Any | None) -> dict[str, Any]:
        total = reading.stats.cpu_ns if reading is not None else 0
        return {"cpu_usage": {"total_usage": total, "usage_in_kernelmode": 0,
                              "usage_in_usermode": 0},
                "system_cpu_usage": reading.system_cpu_ns if reading is not None else 0,
                "online_cpus": reading.online_cpus if reading is not None else 0,
                "throttling_data": {"periods": 0, "throttled_periods": 0,
                                    "throttled_time": 0}}  # fmt: skip

    s = now.stats
    blkio = [{"major": 0, "minor": 0, "op": op, "value": value}
             for op, value in (("read", s.block_read), ("write", s.block_write))]
    return {
        "read": read, "preread": preread,
        "id": s.id, "name": "/" + name.lstrip("/"),
        "pids_stats": {"current": s.pids, **({"limit": now.limit_pids}
                                              if now.limit_pids else {})},
        "blkio_stats": {"io_service_bytes_recursive": blkio if s.running else None,
                        "io_serviced_recursive": None, "io_queue_recursive": None,
                        "io_service_time_recursive": None, "io_wait_time_recursive": None,
                        "io_merged_recursive": None, "io_time_recursive": None,
                        "sectors_recursive": None},
        "num_procs": 0, "storage_stats": {},
        "cpu_stats": cpu(now),
        "precpu_stats": cpu(before),
        "memory_stats": {"usage": s.mem_usage, "max_usage": s.mem_peak or 0, "stats": {},
                         "limit": s.mem_limit} if s.running else {},
    }  # fmt: skip


def path_stat(name: str, size: int, mode: int, mtime: float, link: str,
              resolved: str | None = None) -> str:
    """X-Docker-Container-Path-Stat: base64 of the path's JSON, its mode as Go's FileMode
    (the docker CLI's cp reads IsDir from it). `resolved`: Podman's form (its libpod route),
    where `linkTarget` is the resolved path of any file, not only of a link, and `isDir` is
    given: podman-remote's cp copies into that path."""
    import base64
    import json
    import stat
    import time

    go = mode & 0o777
    for test, bit in ((stat.S_ISDIR, 1 << 31), (stat.S_ISLNK, 1 << 27), (stat.S_ISFIFO, 1 << 25),
                      (stat.S_ISSOCK, 1 << 24), (stat.S_ISCHR, (1 << 26) | (1 << 21)),
                      (stat.S_ISBLK, 1 << 26)):  # fmt: skip
        if test(mode):
            go |= bit
    for flag, bit in ((stat.S_ISUID, 1 << 23), (stat.S_ISGID, 1 << 22), (stat.S_ISVTX, 1 << 20)):
        if mode & flag:
            go |= bit
    ns = int(mtime * 1e9)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 10**9)) + f".{ns % 10**9:09d}Z"
    doc: dict[str, object] = {"name": name, "size": size, "mode": go, "mtime": stamp,
                              "linkTarget": link}  # fmt: skip
    if resolved is not None:
        doc.update(isDir=stat.S_ISDIR(mode), linkTarget=link or resolved)
    return base64.b64encode(json.dumps(doc).encode()).decode()



_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-")


def _join(words: list[str]) -> str:
    """shlex.join, without importing `shlex` (and its `re`) when no word needs quoting (the
    same rule as shlex.quote's)."""
    if all(w and _SAFE.issuperset(w) for w in words):
        return " ".join(words)
    import shlex

    return shlex.join(words)
