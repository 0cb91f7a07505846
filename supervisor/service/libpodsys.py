"""Podman's `/libpod/...` routes of the system and of the less common verbs, as `podman --url`
(podman-remote) uses them (issue 18): `system df` and `system prune`, `pod stats`, `image
tree`, `update`, `generate systemd`, `container checkpoint` and `restore` (refused as
Podman's service refuses them on a host without CRIU), `image scp` (refused), and manifest
lists (create, add, remove, annotate, inspect, exists, push). Replies in Podman 4.3's shapes
and codes (pkg/api/handlers/libpod)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from supervisor.errors import NotFoundError, ScopeboxError
from supervisor.service.call import Call, Router, blocking
from supervisor.service.http import HTTPError


def _go_time(created: str) -> str:
    """A stored creation time (RFC 3339 already) or, unreadable, Go's zero time: the
    client parses it into a time.Time and would refuse the whole report."""
    from supervisor.timefmt import parse_rfc3339

    return created if parse_rfc3339(created) is not None else "0001-01-01T00:00:00Z"


def _df_report(settings: Any) -> dict[str, Any]:
    """Podman's SystemDfReport from the engine's `system df -v` rows: the remote client
    sums it into its table itself."""
    from supervisor.api import images, volumes

    imgs, ctrs = images.disk_usage_verbose(settings)
    sizes = {i.id: i.size for i in imgs}
    image_docs = []
    for i in imgs:
        repo, _, tag = i.name.rpartition(":") if i.name else ("", "", "")
        image_docs.append({"Repository": repo or "<none>", "Tag": tag or "<none>",
                           "ImageID": i.id, "Created": _go_time(i.created), "Size": i.size,
                           "SharedSize": i.shared, "UniqueSize": i.size - i.shared,
                           "Containers": i.containers})  # fmt: skip
    ctr_docs = [{"ContainerID": c.id, "Image": c.image_id, "Command": c.command.split(),
                 "LocalVolumes": c.volumes, "Size": sizes.get(c.image_id, 0) + c.size,
                 "RWSize": c.size, "Created": _go_time(c.created), "Status": c.status,
                 "Names": c.name} for c in ctrs]  # fmt: skip
    vol_docs = [{"VolumeName": v["VolumeName"], "Links": v["Links"], "Size": v["Size"],
                 "ReclaimableSize": 0 if v["Links"] else v["Size"]}
                for v in volumes.disk_usage(settings)]  # fmt: skip
    return {"Images": image_docs, "Containers": ctr_docs, "Volumes": vol_docs}


async def system_df(call: Call) -> None:
    """`GET /libpod/system/df`."""
    await call.json(await blocking(_df_report, call.settings))


async def system_prune(call: Call) -> None:
    """`POST /libpod/system/prune?all=&volumes=&filters=`: Podman's SystemPruneReport, null
    for a kind of which nothing went (its client prints a section per non-null list)."""
    from supervisor.api import system
    from supervisor.service import compat

    items = compat.filter_items(call.req.arg("filters"))
    report = await blocking(system.prune, call.settings, call.req.flag("all"),
                            call.req.flag("volumes"), items)  # fmt: skip

    def sized(ids: list[str], key: str = "Id") -> list[dict[str, Any]] | None:
        return [{key: i, "Size": 0} for i in ids] or None

    await call.json({
        "PodPruneReport": [{"Err": None, "Id": i} for i in report.pods] or None,
        "ContainerPruneReports": sized(report.containers),
        "ImagePruneReports": sized(report.images),
        "NetworkPruneReports": [{"Name": n, "Error": None} for n in report.networks] or None,
        "VolumePruneReports": sized(report.volumes),
        "ReclaimedSpace": report.reclaimed,
    })  # fmt: skip


async def pod_stats(call: Call) -> None:
    """`GET /libpod/pods/stats?namesOrIDs=&all=`: one reading of every container of the pods
    (none named: the running ones), Podman's report strings; the client repeats the call to
    stream."""
    from supervisor.api import podtools

    refs = call.req.args("namesOrIDs")
    all_ = call.req.flag("all")
    if refs and all_:
        raise HTTPError(400, "--all, --latest and containers cannot be used together")

    def first() -> list[dict[str, str]]:
        # the generator's first reading (it would sleep before its second)
        return [podtools.stats_item(r) for r in next(podtools.stats(call.settings, refs,
                                                                     all_, 1.0))]  # fmt: skip

    try:
        items = await blocking(first)
    except NotFoundError as exc:
        raise HTTPError(404, f"unable to get list of pods: {exc}") from None
    await call.json(items)


async def image_tree(call: Call) -> None:
    """`GET /libpod/images/{name}/tree?whatrequires=`: `{"Tree": TEXT}`."""
    from supervisor.api import images

    name = call.req.params["name"]
    try:
        tree = await blocking(images.tree, call.settings, name, call.req.flag("whatrequires"))
    except NotFoundError:
        raise HTTPError(404, f"failed to find image {name}: {name}: image not known") from None
    await call.json({"Tree": images.tree_text(tree)})


def _devices(value: Any, what: str, key: str) -> tuple[str, ...]:
    """OCI's blockIO device entries ({major, minor, rate|weight}) as the flags' PATH:VALUE,
    the path the kernel's /dev/block link of the numbers."""
    import os

    out = []
    for entry in value or []:
        if not isinstance(entry, dict):
            raise HTTPError(400, f"decode(): invalid blockIO.{what}: expected objects")
        path = f"/dev/block/{entry.get('major')}:{entry.get('minor')}"
        if not os.path.exists(path):
            raise HTTPError(400, f"blockIO.{what}: no block device {path[11:]} on this host")
        out.append(f"{path}:{entry.get(key)}")
    return tuple(out)


def update_options(body: Any) -> Any:
    """Podman's update body (an OCI LinuxResources, as its client sends the flags) as the
    CLI's resource options; a key scopebox does not apply is a 400 naming it."""
    from supervisor.resources import ResourceOptions

    if not isinstance(body, dict):
        raise HTTPError(500, "decode(): the resources must be a JSON object")  # Podman's code
    known = {"memory", "cpu", "pids", "blockIO"}
    if unknown := sorted(k for k, v in body.items() if k not in known and v):
        raise HTTPError(400, f"scopebox does not update these resources: {', '.join(unknown)}")
    parts: dict[str, dict[str, Any]] = {}
    for key in known:
        value = body.get(key) or {}
        if not isinstance(value, dict):
            raise HTTPError(500, f"decode(): {key}: expected a JSON object")
        parts[key] = value
    mem, cpu, blk = parts["memory"], parts["cpu"], parts["blockIO"]

    def number(doc: dict[str, Any], key: str) -> int | None:
        value = doc.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise HTTPError(500, f"decode(): json: cannot unmarshal {type(value).__name__} into"
                                 f" field {key} of type int64")
        return value

    def text(value: int | None) -> str | None:
        return None if value is None else str(value)

    def cpu_list(key: str) -> str | None:
        value = cpu.get(key)
        if value is not None and not isinstance(value, str):
            raise HTTPError(500, f"decode(): json: cannot unmarshal {type(value).__name__} into"
                                 f" field {key} of type string")
        return value or None

    return ResourceOptions(
        memory=text(number(mem, "limit")), memory_swap=text(number(mem, "swap")),
        memory_reservation=text(number(mem, "reservation")),
        memory_swappiness=number(mem, "swappiness"),
        cpu_shares=number(cpu, "shares"), cpu_quota=number(cpu, "quota"),
        cpu_period=number(cpu, "period"), cpuset_cpus=cpu_list("cpus"),
        cpuset_mems=cpu_list("mems"), cpu_rt_period=number(cpu, "realtimePeriod"),
        cpu_rt_runtime=number(cpu, "realtimeRuntime"),
        pids_limit=number(parts["pids"], "limit"), blkio_weight=number(blk, "weight"),
        blkio_weight_device=_devices(blk.get("weightDevice"), "weightDevice", "weight"),
        device_read_bps=_devices(blk.get("throttleReadBpsDevice"), "throttleReadBpsDevice",
                                 "rate"),
        device_write_bps=_devices(blk.get("throttleWriteBpsDevice"), "throttleWriteBpsDevice",
                                  "rate"),
        device_read_iops=_devices(blk.get("throttleReadIOPSDevice"), "throttleReadIOPSDevice",
                                  "rate"),
        device_write_iops=_devices(blk.get("throttleWriteIOPSDevice"),
                                   "throttleWriteIOPSDevice", "rate"),
    )  # fmt: skip


async def update(call: Call) -> None:
    """`POST /libpod/containers/{id}/update`, the new limits as the body: 201 and the id as
    text (Podman's reply, which its client prints)."""
    from supervisor.api import containers
    from supervisor.service.call import first_error
    from supervisor.service.containers import inspect_of

    ref = call.req.params["id"]
    data = await inspect_of(call, ref)
    overrides = update_options(call.req.json())
    first_error(await blocking(containers.update, call.settings, [ref], overrides))
    await call.conn.reply(201, str(data["Id"]).encode(), call.headers,
                          "text/plain; charset=us-ascii")  # fmt: skip


async def generate_systemd(call: Call) -> None:
    """`GET /libpod/generate/{name}/systemd?useName=&new=&noHeader=&...`: `{UNIT: TEXT}`, a
    pod's unit and its containers' too."""
    from supervisor.api import containers, podunits, units

    arg, req = call.req.arg, call.req
    ref = call.req.params["name"]

    opts = units.GenerateRequest(
        new=req.flag("new"), template=req.flag("templateUnitFile"),
        start_timeout=req.integer("startTimeout") or None, after=tuple(req.args("after")),
        requires=tuple(req.args("requires")), wants=tuple(req.args("wants")),
        env=tuple(req.args("additionalEnvVariables")), use_name=req.flag("useName"),
        restart_policy=arg("restartPolicy") or None, restart_sec=req.integer("restartSec"),
        stop_timeout=req.integer("stopTimeout"),
        container_prefix=arg("containerPrefix") or "container",
        separator=arg("separator") or "-", no_header=req.flag("noHeader"))  # fmt: skip
    if opts.template and "new" in req.query and not opts.new:
        raise HTTPError(500, "--template cannot be set with --new=false")

    def generate() -> dict[str, str]:
        if podunits.is_pod(call.settings, ref):
            made = podunits.generate_pod_systemd(call.settings, ref, opts,
                                                 arg("podPrefix") or "pod")  # fmt: skip
        elif containers.exists(call.settings, ref):
            made = [units.generate_systemd(call.settings, ref, opts)]
        else:
            raise HTTPError(500, f"generating systemd units: {ref} does not refer to a "
                                 f"container or pod: no pod with name or ID {ref} found: no "
                                 f'such pod: no container with name or ID "{ref}" found: no '
                                 "such container")  # fmt: skip
        return {unit.name: unit.text for unit in made}

    try:
        await call.json(await blocking(generate))
    except ScopeboxError as exc:
        raise HTTPError(500, f"generating systemd units: {exc}") from None


def _criu(verb: str) -> Callable[[Call], Any]:
    """`POST /libpod/containers/{id}/checkpoint|restore`: the container looked up, then
    refused as Podman's service refuses on a host without CRIU (scopebox never uses it)."""
    async def refuse(call: Call) -> None:
        import shutil

        from supervisor.api import containers

        ref = call.req.params["id"]
        if not await blocking(containers.exists, call.settings, ref):
            if verb == "restore":  # Podman's: it would look for a checkpoint image too
                raise HTTPError(404, f"failed to find container or checkpoint image {ref}")
            raise NotFoundError("container", ref)
        if shutil.which("criu") is None:
            raise HTTPError(500, "checkpoint/restore requires at least CRIU 31100")
        raise HTTPError(500, f"container {verb}: scopebox does not use CRIU, which is "
                             "installed here, to checkpoint or restore containers")

    return refuse


async def image_scp(call: Call) -> None:
    """`POST /libpod/images/scp/{name}?destination=`: refused (scopebox has no `image scp`:
    no transfer to another host or user); no destination is Podman's error first."""
    if not call.req.arg("destination"):
        raise HTTPError(500, "must specify a destination: invalid argument")
    raise HTTPError(400, "scopebox does not copy images to other hosts or users (image scp):"
                         " use save and load")


# manifest lists ------------------------------------------------------------------------------


def _entry_options(body: dict[str, Any]) -> Any:
    from supervisor.api.manifests import EntryOptions

    annotations = body.get("Annotation") or body.get("Annotations") or {}
    if isinstance(annotations, list):  # KEY=VALUE items
        pairs = tuple(str(a) for a in annotations)
    elif isinstance(annotations, dict):
        pairs = tuple(f"{k}={v}" for k, v in annotations.items())
    else:
        raise HTTPError(400, "decode(): invalid annotations")
    return EntryOptions(str(body.get("OS") or ""), str(body.get("Arch") or ""),
                        str(body.get("Variant") or ""), str(body.get("os_version") or ""),
                        pairs)  # fmt: skip


def _all_refused(all_: bool) -> None:
    if all_:
        raise HTTPError(400, "all: scopebox adds local images, never lists, to a list")


async def manifest_create(call: Call) -> None:
    """`POST /libpod/manifests/{name}?images=&all=&amend=`: 201 `{"Id": ID}`."""
    from supervisor.api import manifests

    _all_refused(call.req.flag("all"))
    images = [i for item in call.req.query.get("images", []) for i in item.split(",") if i]
    list_id = await blocking(manifests.create, call.settings, call.req.params["name"], images,
                             call.req.flag("amend"))  # fmt: skip
    await call.json({"Id": list_id}, 201)


async def manifest_modify(call: Call) -> None:
    """`PUT /libpod/manifests/{name}`, body `{"Operation": "update"|"remove"|"annotate",
    "Images": [...], ...}`: `{"Id", "images"}` (Podman 4.x's add, remove and annotate)."""
    from supervisor.api import manifests

    body = call.req.json()
    if not isinstance(body, dict):
        raise HTTPError(400, "decode(): expected a JSON object")
    name = call.req.params["name"]
    images = body.get("Images") or []
    if not isinstance(images, list) or not all(isinstance(i, str) for i in images):
        raise HTTPError(400, "decode(): Images: expected a list of strings")
    op = str(body.get("Operation") or "update").lower()
    if not images:
        raise HTTPError(400, f"{op}: no images given")
    if op == "update":
        _all_refused(bool(body.get("All")))
        list_id = await blocking(manifests.add, call.settings, name, images,
                                 _entry_options(body))  # fmt: skip
    elif op == "remove":
        for digest in images:
            list_id = await blocking(manifests.remove_entry, call.settings, name, digest)
    elif op == "annotate":
        opts = _entry_options(body)
        for digest in images:
            list_id = await blocking(manifests.annotate, call.settings, name, digest, opts)
    else:
        raise HTTPError(400, f"{op!r} is not a valid operation")
    await call.json({"Id": list_id, "images": images})


async def manifest_inspect(call: Call) -> None:
    from supervisor.api import manifests

    await call.json(await blocking(manifests.inspect, call.settings, call.req.params["name"]))


async def manifest_exists(call: Call) -> None:
    """204, or Podman's 404 `manifest not found` (its 500 for an image that is no list is
    the same exit code for its client)."""
    from supervisor.api import manifests

    if not await blocking(manifests.exists, call.settings, call.req.params["name"]):
        raise HTTPError(404, "manifest not found")
    await call.empty()


async def manifest_delete(call: Call) -> None:
    """`DELETE /libpod/manifests/{name}`: Podman's remove report."""
    from supervisor.api import manifests

    name, list_id = await blocking(manifests.remove, call.settings, call.req.params["name"])
    await call.json({"Untagged": [name], "Deleted": [list_id], "ExitCode": 0, "Errors": None})


async def manifest_push(call: Call) -> None:
    """`POST /libpod/manifests/{name}/registry/{dest}?all=&tlsVerify=&quiet=&format=`:
    `{"Id": DIGEST}`, or with quiet=false Podman's stream: `{"Id": "", "stream": ...}` lines,
    then the digest's, or `{"Id": "", "error": ...}`."""
    from supervisor.api import manifests, registry
    from supervisor.service.images import _credentials
    from supervisor.service.streams import from_thread_each

    name, dest = call.req.params["name"], call.req.params["dest"]
    if call.req.arg("all") in ("false", "0"):
        raise HTTPError(400, "all=false: scopebox pushes a list with its images")
    if call.req.arg("format") not in ("", "v2s2"):
        raise HTTPError(400, f"format {call.req.arg('format')}: scopebox pushes a Docker "
                             "manifest list (v2s2) as stored and does not convert it")
    if not await blocking(manifests.exists, call.settings, name):
        raise HTTPError(400, f"retrieving local image from image name {name}: {name}: image "
                             "not known")
    opts = _credentials(call.req.headers.get("x-registry-auth", ""))
    if not call.req.flag("tlsVerify", True):
        opts = registry.RegistryOptions(False, opts.creds, opts.authfile)
    quiet = call.req.flag("quiet", True)
    if quiet:  # one reply, its status the outcome's
        from supervisor.registry.progress import Progress

        digest = await blocking(manifests.push, call.settings, name, dest, opts, Progress(),
                                False)  # fmt: skip
        await call.json({"Id": digest})
        return
    await call.conn.start_chunked(200, call.headers, "application/json")

    def produce(emit: Callable[[dict[str, str]], None], _cancel_fd: int) -> None:
        from supervisor.registry.progress import WordsProgress

        words = WordsProgress(lambda line: emit({"Id": "", "stream": line + "\n"}))
        emit({"Id": manifests.push(call.settings, name, dest, opts, words, False)})

    async def send(doc: dict[str, str]) -> None:
        await call.conn.chunk(json.dumps(doc).encode() + b"\n")

    failed = await from_thread_each(produce, send)
    if failed is not None:
        await send({"Id": "", "error": str(failed)})
    await call.conn.end_chunked()


def add_routes(r: Router) -> None:
    p = "/libpod"
    r.add("GET", f"{p}/system/df", system_df)
    r.add("POST", f"{p}/system/prune", system_prune)
    r.add("GET", f"{p}/pods/stats", pod_stats)
    r.add("GET", f"{p}/images/{{name*}}/tree", image_tree)
    r.add("POST", f"{p}/images/scp/{{name*}}", image_scp)
    r.add("POST", f"{p}/containers/{{id}}/update", update)
    r.add("GET", f"{p}/generate/{{name}}/systemd", generate_systemd)
    r.add("POST", f"{p}/containers/{{id}}/checkpoint", _criu("checkpoint"))
    r.add("POST", f"{p}/containers/{{id}}/restore", _criu("restore"))
    r.add("GET", f"{p}/manifests/{{name*}}/json", manifest_inspect)
    r.add("GET", f"{p}/manifests/{{name*}}/exists", manifest_exists)
    r.add("POST", f"{p}/manifests/{{name*}}/registry/{{dest*}}", manifest_push)
    r.add("POST", f"{p}/manifests/{{name*}}", manifest_create)
    r.add("PUT", f"{p}/manifests/{{name*}}", manifest_modify)
    r.add("DELETE", f"{p}/manifests/{{name*}}", manifest_delete)
