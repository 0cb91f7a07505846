"""Podman's `/libpod/...` routes that move data in and out, as `podman --url` (podman-remote)
and podman-py use them (issue 18): `cp` (the archive routes, Docker's handler as in Podman),
`commit`, `diff` (changes), `export`, `save` (images export and get), `load`, `import`,
`history`, `untag`, `push`, `init`, `generate kube`, `kube play` and `kube down`, network
connect and disconnect, secrets, `search`, `pod top`, and the prunes of volumes, networks
and pods. Replies in
Podman 4.3's shapes and codes (pkg/api/handlers/libpod)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any, cast

from supervisor.errors import NotFoundError, ScopeboxError
from supervisor.service.call import Call, Router, blocking
from supervisor.service.http import HTTPError
from supervisor.service.libpodops import _lazy
from supervisor.service.streams import from_thread_each, spool_body, tar_reply

# Podman's libpod diff kinds (archive.ChangeType): the client prints C, A, D
_KINDS = {"changed": 0, "added": 1, "deleted": 2}


async def commit(call: Call) -> None:
    """`POST /libpod/commit?container=&repo=&tag=&author=&changes=&comment=&format=&pause=`:
    `{"Id": ID}` (the bare id the CLI prints), 200."""
    from supervisor.api import copy
    from supervisor.service.containers import inspect_of

    ref = call.req.arg("container")
    if not ref:
        raise HTTPError(400, "a container (query parameter container) is required")
    await inspect_of(call, ref)
    repo, tag = call.req.arg("repo"), call.req.arg("tag") or "latest"
    changes = tuple(c for c in call.req.query.get("changes", []) if c)
    fmt = call.req.arg("format") or "oci"
    if fmt not in ("oci", "docker"):
        raise HTTPError(500, f"unrecognized image format {fmt!r}")
    req = copy.CommitRequest(ref, f"{repo}:{tag}" if repo else None, changes,
                             call.req.arg("comment"), call.req.arg("author"),
                             call.req.flag("pause"), fmt)  # fmt: skip
    image_id = await blocking(copy.commit, call.settings, req)
    await call.json({"Id": image_id.removeprefix("sha256:")})


async def changes(call: Call) -> None:
    """`GET /libpod/containers/{id}/changes?diffType=all|container|image`: Podman's
    `[{"Path", "Kind"}]`, sorted by path as the CLI prints them."""
    from supervisor.api import copy

    ref = call.req.params["id"]
    what = {"": "all", "all": "all", "container": "container", "image": "layer"}.get(
        call.req.arg("diffType"), "all")
    found = await blocking(copy.diff, call.settings, ref, what)
    items = [(p, _KINDS[kind]) for kind in _KINDS for p in getattr(found, kind)]
    await call.json([{"Path": p, "Kind": k} for p, k in sorted(items)])


async def export(call: Call) -> None:
    """`GET /libpod/containers/{id}/export`: the container's file system as a tarball."""
    from supervisor.api import containers

    ref = call.req.params["id"]
    if not await blocking(containers.exists, call.settings, ref):
        raise NotFoundError("container", ref)
    await tar_reply(call, f"export of {ref}",
                     lambda out: containers.export(call.settings, ref, out))


async def images_export(call: Call) -> None:
    """`GET /libpod/images/export?references=&format=` and `GET /libpod/images/{name}/get`:
    `save`'s archive (docker-archive or oci-archive)."""
    from supervisor.api import images

    names = [call.req.params["name"]] if "name" in call.req.params else [
        r for r in call.req.query.get("references", []) if r]
    if not names:
        raise HTTPError(400, "no references")
    fmt = call.req.arg("format") or "docker-archive"
    if fmt not in images.ARCHIVE_FORMATS:  # scopebox's save writes no directory formats
        raise HTTPError(500, f"unsupported format {fmt!r}")
    if len(names) > 1 and fmt != "docker-archive":
        raise HTTPError(500, "multi-image archives must use format of docker-archive")
    for name in names:  # a missing image is a 404 before the tar begins
        if not await blocking(images.exists, call.settings, name):
            raise NotFoundError("image", name)

    await tar_reply(call, f"save of {names}",
                     lambda out: images.save(call.settings, names, out, fmt))


async def load(call: Call) -> None:
    """`POST /libpod/images/load`: `{"Names": [...]}` of what the body's archive held."""
    from supervisor.api import images

    path = await spool_body(call, "scopebox-load-")
    try:
        names = await blocking(images.load, call.settings, path)
    finally:
        os.unlink(path)
    await call.json({"Names": names})


load.streams_body = True  # type: ignore[attr-defined]


async def import_(call: Call) -> None:
    """`POST /libpod/images/import?reference=&changes=&message=&url=`: `{"Id": ID}`."""
    from supervisor.api import images

    url = call.req.arg("url") or call.req.arg("URL")
    path = None if url else await spool_body(call, "scopebox-import-")
    try:
        arg = call.req.arg
        opts = images.ImportOptions(url or cast(str, path), arg("reference") or None,
                                    [c for c in call.req.query.get("changes", []) if c],
                                    arg("message"), arg("OS"), arg("Architecture"),
                                    arg("Variant"))  # fmt: skip
        image_id = await blocking(images.import_, call.settings, opts)
    finally:
        if path is not None:
            os.unlink(path)
    await call.json({"Id": "sha256:" + image_id.removeprefix("sha256:")})  # as Podman's


import_.streams_body = True  # type: ignore[attr-defined]


async def untag(call: Call) -> None:
    """`POST /libpod/images/{name}/untag?repo=&tag=`: one name, or every name without a
    repo; 201."""
    from supervisor.api import images

    name, repo = call.req.params["name"], call.req.arg("repo")
    names = [f"{repo}:{call.req.arg('tag') or 'latest'}"] if repo else []
    await blocking(images.untag, call.settings, name, names)
    await call.empty(201)


async def push(call: Call) -> None:
    """`POST /libpod/images/{name}/push?destination=&tlsVerify=&format=&quiet=`: Podman's
    stream of `{"stream": ...}` lines (progress, unless quiet), `{"error": ...}` on failure."""
    from supervisor.api import images, registry
    from supervisor.service.images import _credentials

    name = call.req.params["name"]
    if not await blocking(images.exists, call.settings, name):
        raise NotFoundError("image", name)
    dest = call.req.arg("destination") or name
    opts = _credentials(call.req.headers.get("x-registry-auth", ""))
    if not call.req.flag("tlsVerify", True):
        opts = registry.RegistryOptions(False, opts.creds, opts.authfile)
    quiet = call.req.flag("quiet", True)
    await call.conn.start_chunked(200, call.headers, "application/json")

    def produce(emit: Callable[[str], None], _cancel_fd: int) -> None:
        from supervisor.registry.progress import Progress, WordsProgress

        progress = Progress() if quiet else WordsProgress(lambda line: emit(line + "\n"))
        registry.push(call.settings, name, dest if dest != name else None, opts, progress,
                      call.req.arg("format") or None)

    async def send(line: str) -> None:
        await call.conn.chunk(json.dumps({"stream": line}).encode() + b"\n")

    failed = await from_thread_each(produce, send)
    if failed is not None:
        if not isinstance(failed, ScopeboxError):
            print(f"scopebox service: push of {name}: {failed}", flush=True)
        await call.conn.chunk(json.dumps({"error": str(failed)}).encode() + b"\n")
    await call.conn.end_chunked()


async def init(call: Call) -> None:
    """`POST /libpod/containers/{id}/init`: 204; 304 when it was initialized already."""
    from supervisor.api import containers
    from supervisor.service.containers import inspect_of

    ref = call.req.params["id"]
    data = await inspect_of(call, ref)
    if data["State"].get("Status") not in ("configured", "created", "exited", "stopped"):
        await call.empty(304)
        return
    (report,) = await blocking(containers.init, call.settings, [ref])
    if report.err is not None:
        raise report.err
    await call.empty()


async def volumes_prune(call: Call) -> None:
    """`POST /libpod/volumes/prune?filters=`: `[{"Id", "Size"}]`, one per removed volume."""
    from supervisor.api import volumes
    from supervisor.service import compat

    wanted = compat.filters(call.req.arg("filters"))
    removed = await blocking(volumes.prune, call.settings, wanted or None)
    await call.json([{"Id": name, "Size": 0} for name in removed])


async def networks_prune(call: Call) -> None:
    """`POST /libpod/networks/prune?filters=`: `[{"Name", "Error"}]`."""
    from supervisor.api import networks
    from supervisor.service import compat

    wanted = compat.filters(call.req.arg("filters"))
    removed = await blocking(networks.prune, call.settings, wanted or None)
    await call.json([{"Name": name, "Error": None} for name in removed])


async def pods_prune(call: Call) -> None:
    """`POST /libpod/pods/prune`: `[{"Err", "Id"}]`, one per removed pod."""
    from supervisor.api import pods

    removed = await blocking(pods.prune, call.settings)
    await call.json([{"Err": None, "Id": pid} for pid in removed])


async def network_connect(call: Call) -> None:
    """`POST /libpod/networks/{name}/connect`, body `{"container", "aliases", "static_ips",
    "static_mac"}`: 200."""
    from supervisor.api import networks

    body: dict[str, Any] = call.req.json() or {}
    ctr = body.get("container") or body.get("Container") or ""
    if not ctr:
        raise HTTPError(400, "a container is required")
    ips = body.get("static_ips") or []
    opts = networks.ConnectOptions(
        aliases=list(body.get("aliases") or ()),
        ip=next((ip for ip in ips if ":" not in ip), ""),
        ip6=next((ip for ip in ips if ":" in ip), ""),
        mac=body.get("static_mac") or "")
    await blocking(networks.connect, call.settings, call.req.params["name"], ctr, opts)
    await call.json("OK")


async def network_disconnect(call: Call) -> None:
    """`POST /libpod/networks/{name}/disconnect`, body `{"Container", "Force"}`: 200."""
    from supervisor.api import networks

    body: dict[str, Any] = call.req.json() or {}
    ctr = body.get("Container") or body.get("container") or ""
    if not ctr:
        raise HTTPError(400, "a container is required")
    await blocking(networks.disconnect, call.settings, call.req.params["name"], ctr)
    await call.json("OK")


async def kube_generate(call: Call) -> None:
    """`GET /libpod/generate/kube?names=&service=`: the YAML, as text."""
    from supervisor.api import kube

    names = [n for n in call.req.query.get("names", []) if n]
    if not names:
        raise HTTPError(400, "at least one container, pod or volume name is required")
    opts = kube.GenerateOptions(service=call.req.flag("service"))
    report = await blocking(kube.generate, call.settings, names, opts)
    await call.conn.reply(200, report.text.encode(), call.headers, "text/plain; charset=utf-8")


def _play_report(pods: list[dict[str, Any]] | None = None, volumes: list[str] | None = None,
                 stopped: list[str] | None = None, removed: list[str] | None = None
                 ) -> dict[str, Any]:  # fmt: skip
    """Podman's PlayKubeReport: null where a list is not given, as its Go nil slices."""
    return {
        "Pods": pods,
        "Volumes": None if volumes is None else [{"Name": v} for v in volumes],
        "StopReport": None if stopped is None else [{"Errs": [], "Id": i} for i in stopped],
        "RmReport": None if removed is None else [{"Err": None, "Id": i} for i in removed],
        "Secrets": None,
    }


async def kube_play(call: Call) -> None:
    """`POST /libpod/play/kube?network=&start=&logDriver=&logOptions=&noHosts=&userns=
    &staticIPs=&staticMACs=&tlsVerify=&annotations=`, the YAML as the body: Podman's
    PlayKubeReport."""
    from supervisor.api import kube

    arg, query = call.req.arg, call.req.query
    text = call.req.body.decode(errors="replace")
    try:
        annotations = dict(json.loads(arg("annotations") or "{}"))
    except ValueError as exc:
        raise HTTPError(400, f"annotations: {exc}") from None
    log_opts = dict(item.partition("=")[::2] for item in query.get("logOptions", []) if item)
    extra = kube.PlayExtra(
        annotations=tuple(f"{k}={v}" for k, v in annotations.items()), log_opts=log_opts,
        no_hosts=call.req.flag("noHosts"), ips=tuple(query.get("staticIPs", [])),
        macs=tuple(query.get("staticMACs", [])), userns=arg("userns"),
        tls_verify=call.req.flag("tlsVerify", True))
    opts = kube.PlayOptions(start=call.req.flag("start", True),
                            network=",".join(n for n in query.get("network", []) if n),
                            log_driver=arg("logDriver") or None, extra=extra)  # fmt: skip
    report = await blocking(kube.play, call.settings, text, opts)
    pods = [{"ID": p.id, "Containers": p.containers, "InitContainers": None, "Logs": None,
             "ContainerErrors": None} for p in report.pods]  # fmt: skip
    await call.json(_play_report(pods, report.volumes))


async def kube_down(call: Call) -> None:
    """`DELETE /libpod/play/kube`, the YAML as the body: the pods stopped and removed."""
    from supervisor.api import kube

    text = call.req.body.decode(errors="replace")
    report = await blocking(kube.down, call.settings, text)
    await call.json(_play_report(stopped=report.stopped, removed=report.removed))


async def search(call: Call) -> None:
    """`GET /libpod/images/search?term=&limit=&filters=&tlsVerify=&listTags=`: Podman's
    search reports."""
    from supervisor.api import registry
    from supervisor.service import compat
    from supervisor.service.images import _credentials

    term = call.req.arg("term")
    if not term:
        raise HTTPError(400, "a search term (query parameter term) is required")
    items = compat.filter_items(call.req.arg("filters"))
    list_tags = call.req.flag("listTags")
    if list_tags and items:
        raise HTTPError(400, "filters are not applicable to list tags result")
    keep = registry.search_filter(items)
    opts = _credentials(call.req.headers.get("x-registry-auth", ""))
    if "tlsVerify" in call.req.query:
        opts = registry.RegistryOptions(call.req.flag("tlsVerify"), opts.creds, opts.authfile)
    found = await blocking(registry.search, call.settings, term, opts,
                           call.req.integer("limit") or 25, list_tags)  # fmt: skip
    await call.json([f._asdict() for f in found if keep(f._asdict())])


async def secret_create(call: Call) -> None:
    """`POST /libpod/secrets/create?name=&driver=&driveropts=&labels=`, the data as the
    body: `{"ID": ID}`."""
    from supervisor.api import secrets

    def mapping(name: str) -> dict[str, str]:
        try:
            return {str(k): str(v) for k, v in dict(json.loads(call.req.arg(name) or "{}")).items()}
        except ValueError as exc:
            raise HTTPError(400, f"{name}: {exc}") from None

    opts = secrets.CreateOptions(call.req.arg("name"), call.req.body,
                                 call.req.arg("driver") or "file", mapping("driveropts"),
                                 mapping("labels"))  # fmt: skip
    await call.json({"ID": await blocking(secrets.create, call.settings, opts)})


async def secret_list(call: Call) -> None:
    from supervisor.api import secrets
    from supervisor.service import compat

    wanted = compat.filters(call.req.arg("filters"))
    await call.json(await blocking(secrets.list_secrets, call.settings, wanted or None))


async def secret_inspect(call: Call) -> None:
    from supervisor.api import secrets

    (report,) = await blocking(secrets.inspect, call.settings, [call.req.params["name"]])
    if report.err is not None:
        raise report.err
    await call.json(report.data)


async def secret_remove(call: Call) -> None:
    """`DELETE /libpod/secrets/{name}?all=`: 204."""
    from supervisor.api import secrets
    from supervisor.service.call import first_error

    ref = call.req.params["name"]
    all_ = call.req.flag("all")
    first_error(await blocking(secrets.remove, call.settings, [] if all_ else [ref], all_))
    await call.empty()


async def pod_top(call: Call) -> None:
    """`GET /libpod/pods/{name}/top?ps_args=`: `{"Titles", "Processes"}`."""
    from supervisor.api import podtools

    args = [d for item in call.req.query.get("ps_args", []) for d in item.replace(",", " ").split()]
    report = await blocking(podtools.top, call.settings, call.req.params["name"], args)
    await call.json({"Titles": report.headers, "Processes": report.rows})


def _libpod_build_request(call: Call, context: str) -> Any:
    """`POST /libpod/build`'s query (podman-remote's): dockerfile a JSON list, the pull
    policy by name, the format as a manifest type, networkmode a number (0: the default)."""
    from supervisor.api import build as api
    from supervisor.service.build import _json_arg, request

    arg = call.req.arg

    def pairs(name: str) -> dict[str, str]:
        """labels and annotations: podman's client sends a JSON list of KEY=VALUE"""
        text = arg(name)
        if not text.startswith("["):
            return _json_arg(call, name)
        try:
            items = [str(i) for i in json.loads(text)]
        except ValueError:
            raise HTTPError(400, f"{name}: not a JSON list") from None
        return dict(i.partition("=")[::2] for i in items)

    base = request(call, context, pairs("labels"))  # tags, build args, target, nocache, rm, q
    files = arg("dockerfile")
    if files.startswith("["):
        try:
            names = [str(n) for n in json.loads(files)]
        except ValueError:
            raise HTTPError(400, "dockerfile: not a JSON list") from None
        if len(names) > 1:
            raise HTTPError(400, "scopebox builds from one Containerfile (several -f given)")
        files = names[0] if names else ""
    path = ""
    if files:
        path = os.path.normpath(os.path.join(context, files))
        if not path.startswith(context.rstrip("/") + "/"):
            raise HTTPError(400, f"dockerfile {files!r} is outside the build context")
    policy = arg("pullpolicy") or ("always" if arg("pull") in ("1", "true") else "missing")
    if policy not in ("always", "missing", "never", "newer", "ifmissing", "ifnewer"):
        raise HTTPError(400, f"invalid pull policy {policy!r}")
    policy = {"ifmissing": "missing", "ifnewer": "newer"}.get(policy, policy)
    fmt = "docker" if "docker" in arg("outputformat") else "oci"
    network = arg("networkmode")
    return api.BuildRequest(
        context, path, None, base.tags, base.build_args, base.target, base.labels,
        pairs("annotations"), base.quiet, base.no_cache,
        arg("layers") not in ("0", "false"), base.rm, arg("forcerm") not in ("0", "false"),
        fmt, policy, "" if network in ("", "0", "default", "bridge") else network)  # fmt: skip


async def build(call: Call) -> None:
    """`POST /libpod/build` (podman-remote's build): the body the context, Podman's
    stream."""
    from supervisor.service.build import build_from

    await build_from(call, _libpod_build_request)


build.streams_body = True  # type: ignore[attr-defined]


def add_routes(r: Router) -> None:
    p = "/libpod"
    # cp: the same handler as Docker's route (Podman's is compat.Archive for both)
    r.add("GET", f"{p}/containers/{{id}}/archive", _lazy("archive", "get"))
    r.add("PUT", f"{p}/containers/{{id}}/archive", _lazy("archive", "put"))
    r.add("POST", f"{p}/build", build)
    r.add("POST", f"{p}/commit", commit)
    r.add("GET", f"{p}/containers/{{id}}/changes", changes)
    r.add("GET", f"{p}/containers/{{id}}/export", export)
    r.add("POST", f"{p}/containers/{{id}}/init", init)
    r.add("GET", f"{p}/images/export", images_export)
    r.add("POST", f"{p}/images/load", load)
    r.add("POST", f"{p}/images/import", import_)
    r.add("GET", f"{p}/images/{{name*}}/get", images_export)
    r.add("GET", f"{p}/images/{{name*}}/history", _lazy("images", "history"))
    r.add("POST", f"{p}/images/{{name*}}/untag", untag)
    r.add("POST", f"{p}/images/{{name*}}/push", push)
    r.add("POST", f"{p}/volumes/prune", volumes_prune)
    r.add("POST", f"{p}/networks/prune", networks_prune)
    r.add("POST", f"{p}/pods/prune", pods_prune)
    r.add("POST", f"{p}/networks/{{name}}/connect", network_connect)
    r.add("POST", f"{p}/networks/{{name}}/disconnect", network_disconnect)
    r.add("GET", f"{p}/images/search", search)
    r.add("POST", f"{p}/secrets/create", secret_create)
    r.add("GET", f"{p}/secrets/json", secret_list)
    r.add("GET", f"{p}/secrets/{{name}}/json", secret_inspect)
    r.add("DELETE", f"{p}/secrets/{{name}}", secret_remove)
    r.add("GET", f"{p}/pods/{{name}}/top", pod_top)
    r.add("GET", f"{p}/generate/kube", kube_generate)
    r.add("GET", f"{p}/kube/generate", kube_generate)  # Podman 4.4's names
    for path in (f"{p}/play/kube", f"{p}/kube/play"):
        r.add("POST", path, kube_play)
        r.add("DELETE", path, kube_down)

