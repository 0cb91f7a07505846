"""`create`: validate the options against the host, resolve (or pull) the image, make the
container's dir and row.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from supervisor.errors import (
    ConflictError,
    NotFoundError,
    RegistryError,
    UsageError,
)
from supervisor.model import (
    SPLIT_SUPERVISOR,
    ContainerConfig,
    HostFacts,
    validate,
    with_image,
)
from supervisor.names import generate_name, validate_name
from supervisor.options import PULL_POLICIES, CreateOptions
from supervisor.state import Status
from supervisor.store import ContainerLock, ContainerRow, ImagesLock
from supervisor.timefmt import now_rfc3339
from supervisor.views import resolve_args

if TYPE_CHECKING:
    from supervisor.container.context import Context


def create(ctx: Context, opts: CreateOptions) -> ContainerRow:
    if opts.rootfs:
        opts = replace(opts, image=os.path.abspath(opts.image))
    if opts.name is not None:
        return _create(ctx, opts, opts.name)
    for _ in range(20):  # generated names: another CLI may pick the same one meanwhile
        try:
            return _create(ctx, opts, generate_name(ctx.store.container_names()))
        except ConflictError:
            continue
    raise ConflictError("could not find a free container name; use --name")


def _pull_for_create(ctx: Context, opts: CreateOptions) -> CreateOptions:
    """`--pull`: fetch the image when asked to (or when missing); returns options naming
    the image by id so the lookup below finds exactly what was pulled."""
    from supervisor import images

    if opts.pull not in PULL_POLICIES:
        raise UsageError(f"invalid --pull {opts.pull!r}: expected {', '.join(PULL_POLICIES)}")
    missing = f"no such image {opts.image!r} here"
    if opts.pull != "always" and opts.pull != "newer":
        try:
            images.resolve_platform(ctx.store, opts.image, opts.pull_platform)
            return opts
        except NotFoundError as exc:
            if opts.pull == "never":
                raise
            missing = str(exc) if isinstance(exc, images.WrongPlatform) else missing
    from supervisor.registry.auth import Credentials
    from supervisor.registry.pull import PullOptions, pull

    creds = Credentials.parse(opts.creds) if opts.creds else None
    popts = PullOptions(opts.image, opts.pull_platform, opts.tls_verify, creds, opts.authfile)
    try:
        result = pull(ctx.store, popts)
    except (RegistryError, UsageError) as exc:
        if opts.pull != "missing":
            raise
        raise RegistryError(f"{missing}; pulling it failed: {exc}") from exc
    return replace(opts, image=result.image.id)


def _create(ctx: Context, opts: CreateOptions, name: str) -> ContainerRow:
    config = container_config(ctx, opts)
    validate_name(name)
    _prune_orphans(ctx)
    if not opts.rootfs:
        opts = _pull_for_create(ctx, opts)
    with ImagesLock(ctx.paths):  # the image cannot be removed under us
        img_cfg: dict[str, Any] = {}
        if opts.rootfs:
            image_id, image_name = "", opts.image
        else:
            from supervisor import images

            img = images.resolve_platform(ctx.store, opts.image, opts.pull_platform)
            image_id, image_name = img.id, (img.names[0] if img.names else img.id)
            img_cfg = img.config.get("config") or {}
            if not resolve_args(config.options, img_cfg):
                raise UsageError("no command specified: give one after the image name")
        config = with_image(config, img_cfg)
        cid = os.urandom(32).hex()
        with ContainerLock(ctx.paths, cid) as lock:
            cdir = ctx.paths.container_dir(cid)
            try:
                os.makedirs(cdir, mode=0o700)
                # The overlay's root takes the upper dir's mode: it is the container's "/".
                for sub, mode in (("upper", 0o755), ("work", 0o700), ("merged", 0o755)):
                    os.mkdir(os.path.join(cdir, sub))
                    os.chmod(os.path.join(cdir, sub), mode)
                write_etc_files(ctx, cid, config)
                row = ContainerRow(
                    id=cid,
                    name=name,
                    image_id=image_id,
                    image_name=image_name,
                    created=now_rfc3339(),
                    status=Status.CREATED,
                    config=config,
                )
                ctx.store.add_container(row)
            except BaseException:
                shutil.rmtree(cdir, ignore_errors=True)
                lock.discard()
                raise
    return row


def _prune_orphans(ctx: Context) -> None:
    """Container dirs with no row: a create killed half-way. A create in progress holds
    its container's lock, so only unlocked ones go."""
    base = os.path.join(ctx.paths.root, "containers")
    if not os.path.isdir(base):
        return
    known = {row.id for row in ctx.store.list_containers()}
    for cid in os.listdir(base):
        if cid in known or _ever_started(os.path.join(base, cid)):
            continue
        lock = ContainerLock(ctx.paths, cid)
        if lock.try_acquire():
            try:
                if ctx.store.get_container(cid) is None:
                    shutil.rmtree(os.path.join(base, cid), ignore_errors=True)
                    lock.discard()
            finally:
                lock.release()


def _ever_started(cdir: str) -> bool:
    """A dir with a bundle config or a mounted root is no half-made create: its row is
    missing for another reason (a state database moved aside), and removing it would delete
    a running container's files through its mount. Left for the user to deal with."""
    from supervisor.mount import is_mountpoint

    return os.path.exists(os.path.join(cdir, "config.json")) or is_mountpoint(
        os.path.join(cdir, "merged")
    )


def container_config(ctx: Context, opts: CreateOptions) -> ContainerConfig:
    """Validate every option before anything is created; return what the store keeps."""
    return validate(opts, host_facts(ctx, opts))


def host_facts(ctx: Context, opts: CreateOptions) -> HostFacts:
    """What validation needs from the host (and only what these options need)."""
    from supervisor import spec
    from supervisor.resources import host_cpus, host_mems
    from supervisor.specgen import cgroup_unified

    runtime = ctx.runtime()
    sources = set()
    for v in opts.volumes:
        source = spec.parse_mount_volume(v).source
        if os.path.exists(source):
            sources.add(source)
    rootfs_dir = opts.rootfs and os.path.isdir(opts.image)
    return HostFacts(
        systemd=ctx.systemd() is not None,
        runtime_name=runtime.name,
        runtime_path=runtime.path,
        host_cpus=frozenset(host_cpus()),
        host_mems=frozenset(host_mems()),
        unified=cgroup_unified() if opts.cgroup_conf else False,
        environ=dict(os.environ),
        env_files={p: _read_lines(p) for p in opts.env_files},
        existing=frozenset(sources),
        directories=frozenset([opts.image] if rootfs_dir else []),
        caller_cgroup=_caller_cgroup() if opts.cgroups == "split" else "",
    )


def write_etc_files(ctx: Context, cid: str, config: ContainerConfig) -> None:
    from supervisor import etcfiles

    cdir = ctx.paths.container_dir(cid)
    etcfiles.write_etc_files(cdir, cid, config.options.hostname, config.network.value)


def replace_named(ctx: Context, name: str) -> None:
    """run/create --replace: a container of that name goes first, as by `rm -f`."""
    try:
        ctx.store.find_container(name)
    except NotFoundError:
        return
    with contextlib.suppress(NotFoundError):
        ctx.remove(name, force=True)


def _caller_cgroup() -> str:
    """Our own cgroup (the unified hierarchy's, or the first v1 one's name=systemd path)."""
    with open("/proc/self/cgroup") as f:
        lines = f.read().splitlines()
    paths: dict[str, str] = {}
    for line in lines:
        _, controllers, where = line.split(":", 2)
        paths[controllers] = where
    path = paths.get("") or paths.get("name=systemd") or ""
    if not path or path == "/":
        return ""  # validation says why that will not do
    path = path.rstrip("/")
    if "" in paths and path.endswith("/" + SPLIT_SUPERVISOR):
        path = path[: -len(SPLIT_SUPERVISOR) - 1]  # a second split run in the same unit
    return path


def _read_lines(path: str) -> tuple[str, ...] | str:
    """An --env-file's lines, or why it cannot be read."""
    try:
        with open(path) as f:
            return tuple(f.read().splitlines())
    except OSError as exc:
        return str(exc.strerror)
