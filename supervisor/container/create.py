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
    SystemError_,
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
from supervisor.runflags import RunFlagFacts  # helper "runflags"
from supervisor.state import Status
from supervisor.store import ContainerLock, ContainerRow, ImagesLock
from supervisor.timefmt import now_rfc3339
from supervisor.views import resolve_args

if TYPE_CHECKING:
    from supervisor.container.context import Context
    from supervisor.idmaps import Userns, UsernsFacts
    from supervisor.registry.progress import PullProgress
    from supervisor.security.config import SecurityFacts


def create(ctx: Context, opts: CreateOptions, progress: PullProgress | None = None) -> ContainerRow:
    if opts.rootfs:
        image, overlay = opts.image, opts.rootfs_overlay
        if image.endswith(":O"):  # Podman's: an overlay over the tree, which stays as it is
            image, overlay = image[:-2], True
        opts = replace(opts, image=os.path.abspath(image), rootfs_overlay=overlay)
    # volumes (issue 14): `-v ./dir:/d` is relative to the caller's directory
    from supervisor.volumes.mounts import absolute_source

    opts = replace(opts, volumes=[absolute_source(v, os.getcwd()) for v in opts.volumes])
    # end volumes
    if opts.name is not None:
        return _create(ctx, opts, opts.name, progress)
    for _ in range(20):  # generated names: another CLI may pick the same one meanwhile
        try:
            return _create(ctx, opts, generate_name(ctx.store.container_names()), progress)
        except ConflictError:
            continue
    raise ConflictError("could not find a free container name; use --name")


def _pull_for_create(
    ctx: Context, opts: CreateOptions, progress: PullProgress | None = None
) -> CreateOptions:
    """`--pull`: fetch the image when asked to (or when missing); returns options naming
    the image by id so the lookup below finds exactly what was pulled."""
    from supervisor import images

    if opts.pull not in PULL_POLICIES:
        raise UsageError(f"invalid --pull {opts.pull!r}: expected {', '.join(PULL_POLICIES)}")
    if opts.image.startswith(ARCHIVE_TRANSPORTS):
        return _load_for_create(ctx, opts, progress)
    missing = f"no such image {opts.image!r} here"
    if opts.pull != "always" and opts.pull != "newer":
        try:
            images.resolve_platform(ctx.store, opts.image, opts.pull_platform)
            return opts
        except NotFoundError as exc:
            if opts.pull == "never" and isinstance(exc, images.WrongPlatform):
                raise
            if opts.pull == "never":  # Podman's words (its system test matches them)
                raise NotFoundError("local image", opts.image) from None
            missing = str(exc) if isinstance(exc, images.WrongPlatform) else missing
    from supervisor.registry.auth import Credentials
    from supervisor.registry.pull import PullOptions, pull

    creds = Credentials.parse(opts.creds) if opts.creds else None
    popts = PullOptions(opts.image, opts.pull_platform, opts.tls_verify, creds, opts.authfile,
                        opts.cert_dir)
    sink = progress(opts.image) if progress is not None else None  # issue 19: run -q
    try:
        result = pull(ctx.store, popts, sink)
    except (RegistryError, UsageError) as exc:
        if opts.pull != "missing":
            raise
        raise RegistryError(f"{missing}; pulling it failed: {exc}") from exc
    finally:
        if sink is not None:
            sink.close()
    from supervisor.events.write import other  # events (issue 14): a pull by run/create

    other(ctx.settings, ctx.paths, "image", "pull", id=result.image.id, name=opts.image)
    return replace(opts, image=result.image.id)


ARCHIVE_TRANSPORTS = ("docker-archive:", "oci-archive:")


def _load_for_create(
    ctx: Context, opts: CreateOptions, progress: PullProgress | None
) -> CreateOptions:
    """`run docker-archive:PATH` (or oci-archive:): the archive's image is loaded first, with
    the copy's lines Podman prints for it (whatever --pull says: an archive is always read)."""
    from supervisor import archive

    path = opts.image.partition(":")[2]
    if not os.path.exists(path) and ":" in path:  # PATH:REFERENCE; the first image is taken
        path = path.rpartition(":")[0]
    sink = progress(opts.image) if progress is not None else None
    try:
        loaded = archive.load(ctx.store, path)
        if not loaded:
            raise UsageError(f"{opts.image}: the archive holds no image")
        img = loaded[0].image
        if sink is not None:
            for diff in img.layers:
                sink.finish(f"sha256:{diff}", "done")
            sink.stored(f"sha256:{img.id}")
    finally:
        if sink is not None:
            sink.close()
    return replace(opts, image=img.id)


def _create(
    ctx: Context, opts: CreateOptions, name: str, progress: PullProgress | None = None
) -> ContainerRow:
    config = container_config(ctx, opts)
    config = replace(config, requires=_requires(ctx, opts.requires))  # helper "flags"
    from supervisor.secrets import use as secrets_use  # secrets: each --secret found

    config = replace(config, secrets=secrets_use.resolve(ctx, config.secrets))
    validate_name(name)
    if not opts.rootfs:
        from supervisor.autoupdate.policy import check_image

        check_image(config.options.labels, opts.image)  # before any pull
    _prune_orphans(ctx)
    if not opts.rootfs:
        opts = _pull_for_create(ctx, opts, progress)
    with ImagesLock(ctx.paths):  # the image cannot be removed under us
        img_cfg: dict[str, Any] = {}
        if opts.rootfs:
            image_id, image_name = "", opts.image
            if opts.rootfs_image:
                from supervisor.imageref import resolve

                image_id = resolve(ctx.store, opts.rootfs_image).id
        else:
            from supervisor import images

            img = images.resolve_platform(ctx.store, opts.image, opts.pull_platform)
            # Podman's ImageName: the name the user gave (#8082), else the image's first
            image_id = img.id
            image_name = ([*images.named_by(img, opts.image), *img.names] or [img.id])[0]
            img_cfg = img.config.get("config") or {}
            if not resolve_args(config.options, img_cfg):
                raise UsageError("no command specified: give one after the image name")
        config = with_image(config, img_cfg)
        if config.userns.mode == "auto":  # issues 17/19
            config = _auto_userns(ctx, config, [] if opts.rootfs else images.layer_dirs(
                ctx.paths, img))
        # volumes (issue 14): --volumes-from, names for anonymous volumes
        from supervisor.volumes import use as volumes_use

        config = volumes_use.prepare(ctx, config)
        # end volumes
        config = _network_checked(ctx, config, img_cfg)  # networking (issue 13)
        cid = os.urandom(32).hex()
        with ContainerLock(ctx.paths, cid) as lock:
            cdir = ctx.paths.container_dir(cid)
            try:
                os.makedirs(cdir, mode=0o700)
                # The overlay's root takes the upper dir's mode: it is the container's "/".
                for sub, mode in (("upper", 0o755), ("work", 0o700), ("merged", 0o755)):
                    os.mkdir(os.path.join(cdir, sub))
                    os.chmod(os.path.join(cdir, sub), mode)
                write_etc_files(ctx, cid, config, name)
                secrets_use.copy_into(ctx, cdir, config.secrets)  # secrets: the container's
                row = ContainerRow(
                    id=cid,
                    name=name,
                    image_id=image_id,
                    image_name=image_name,
                    created=now_rfc3339(),
                    status=Status.CREATED,
                    config=config,
                )
                made = volumes_use.make_volumes(ctx, config)  # volumes (issue 14)
                try:
                    ctx.store.add_container(row)
                except BaseException:
                    volumes_use.discard(ctx, made)  # volumes (issue 14)
                    raise
                from supervisor.events.write import other  # events (issue 14)

                for volume in made:
                    other(ctx.settings, ctx.paths, "volume", "create", name=volume)
            except BaseException:
                shutil.rmtree(cdir, ignore_errors=True)
                lock.discard()
                raise
    return row


def _requires(ctx: Context, refs: list[str]) -> tuple[str, ...]:
    """helper "flags": --requires, each an existing container (Podman's words)."""
    out = []
    for ref in refs:
        try:
            out.append(ctx.find(ref).id)
        except NotFoundError as exc:
            raise UsageError(f'"{ref}" is not a valid container, cannot be used as a'
                             f" dependency: {exc}") from None
    return tuple(dict.fromkeys(out))


def _prune_orphans(ctx: Context) -> None:
    """Container dirs with no row: a create killed half-way. A create in progress holds
    its container's lock, so only unlocked ones go."""
    base = os.path.join(ctx.paths.root, "containers")
    if not os.path.isdir(base):
        return
    from supervisor.container.remove import finish_removals  # issue 16

    finish_removals(ctx, wait=False)
    # issue 16: ids only (decoding every config made each create O(containers))
    known = ctx.store.container_ids()
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
    _rootless_limits(ctx, opts)
    return validate(opts, host_facts(ctx, opts))


def _user_manager(ctx: Context) -> tuple[str, str, bool]:
    """Rootless (issue 17): why the user has no systemd manager ("" if it has), the default
    slice, and whether the user has a journal of their own to read logs back from (journald
    splits by user only in persistent storage: as Podman, k8s-file is the default otherwise);
    ("", "machine.slice", True) as root."""
    from supervisor import rootless

    if not rootless.is_rootless():
        return "", "machine.slice", True
    from supervisor.rootless.session import (
        DEFAULT_SLICE,
        persistent_journal,
        socket_path,
        why_none,
    )

    journal = persistent_journal()
    if ctx.systemd() is not None or socket_path(os.environ) is not None:
        return "", DEFAULT_SLICE, journal  # (cgroupfs chosen: the rootful message)
    why = why_none(os.environ, rootless.user_name(rootless.outer_uid() or 0))
    return why, DEFAULT_SLICE, journal


def _rootless_limits(ctx: Context, opts: CreateOptions) -> None:
    """Rootless (issue 17): limits need cgroup v2 controllers delegated by the user's systemd
    (supervisor/rootless/cgroups.py); refused in one line otherwise rather than silently
    ignored (Podman ignores them on cgroup v1 with a warning)."""
    from supervisor.resources import ResourceOptions
    from supervisor.rootless import is_rootless

    if opts.resources == ResourceOptions() or not is_rootless():
        return
    from supervisor import rootless
    from supervisor.rootless.cgroups import why_refused

    uid = rootless.outer_uid() or 0
    why = why_refused(opts.resources, os.environ, uid, rootless.user_name(uid),
                      ctx.systemd() is not None)
    if why:
        raise UsageError(why)


def host_facts(ctx: Context, opts: CreateOptions) -> HostFacts:
    """What validation needs from the host (and only what these options need)."""
    from supervisor.procs import cgroup_unified
    from supervisor.resources import host_cpus, host_mems

    if opts.runtime:  # run --runtime: this container's own
        from supervisor.runtime import detect_runtime

        runtime = detect_runtime(opts.runtime, env={})
    else:
        runtime = ctx.runtime()
    sources = set()
    # volumes (issue 14): the bind sources of -v and --mount
    from supervisor.volumes.mounts import bind_sources

    for source in bind_sources(opts.volumes, opts.mounts):
        if os.path.exists(source):
            sources.add(source)
    rootfs_dir = opts.rootfs and os.path.isdir(opts.image)
    no_user_manager, default_slice, user_journal = _user_manager(ctx)  # issue 17
    return HostFacts(
        user_journal=user_journal,
        no_user_manager=no_user_manager,
        default_slice=default_slice,
        systemd=ctx.systemd() is not None,
        runtime_name=runtime.name,
        runtime_path=runtime.path,
        host_cpus=frozenset(host_cpus()),
        host_mems=frozenset(host_mems()),
        unified=cgroup_unified() if opts.cgroup_conf else False,
        environ=dict(os.environ),
        env_files={p: _read_lines(p) for p in opts.env_files},
        label_files={p: _read_label_file(p) for p in opts.label_files},  # issue 19
        existing=frozenset(sources),
        directories=frozenset([opts.image] if rootfs_dir else []),
        caller_cgroup=_caller_cgroup() if opts.cgroups == "split" else "",
        runflags=_runflag_facts(ctx, opts),  # helper "runflags"
        userns=_userns_facts(ctx, opts),  # issues 17/19
        security=_security_facts(opts),
        default_network=_default_network(ctx),  # networking (issue 13)
        **_blkio_facts(opts),  # blkio (issue 19)
    )


def _blkio_facts(opts: CreateOptions) -> dict[str, Any]:
    """The devices the blkio flags name and the kernel's weight files, when they are used."""
    from supervisor.resources import blkio_support, device_numbers, device_paths

    res = opts.resources
    facts: dict[str, Any] = {}
    if res.blkio_weight is not None or res.blkio_weight_device:
        facts["blkio"] = blkio_support()
    paths = device_paths(res)
    if paths:
        facts["block_devices"] = device_numbers(paths)
    if res.memory_swappiness is not None and res.memory_swappiness >= 0:  # misc (issue 19)
        from supervisor.resources import swappiness_support

        facts["swappiness"] = swappiness_support()
    return facts


def _runflag_facts(ctx: Context, opts: CreateOptions) -> RunFlagFacts:
    """helper "runflags": the paths its flags name, the containers `container:` names."""
    from supervisor.runflags import gather_facts

    return gather_facts(opts.runflags, lambda ref: ctx.find(ref).id, os.environ,
                        lambda cid: ctx.find(cid).config.runflags.ipc_private)


def _userns_facts(ctx: Context, opts: CreateOptions) -> UsernsFacts:
    """issues 17/19: /etc/subuid's ranges, the container `container:` names, the user's
    namespace when rootless."""
    from supervisor.idmaps import gather_facts

    def find(ref: str) -> tuple[str, Userns]:
        row = ctx.find(ref)
        return row.id, row.config.userns

    return gather_facts(opts.userns, find)


def _auto_userns(ctx: Context, config: ContainerConfig, lowers: list[str]) -> ContainerConfig:
    """issues 17/19: --userns=auto takes the first free range, past every other container's
    (under the images lock, which every create holds)."""
    from supervisor import idmaps
    from supervisor.rootless import is_rootless

    rootless = is_rootless()
    available = idmaps.auto_ranges(rootless, idmaps.ns_size("uid_map") if rootless else 0)
    if not available and not rootless:
        from supervisor.notices import notice

        notice(f'cannot find mappings for user "{idmaps.AUTO_USER}": no subuid ranges found'
               f' for user "{idmaps.AUTO_USER}" in {idmaps.SUBUID}')
    size = 0 if config.userns.auto_size else idmaps.image_id_size(lowers)
    taken = [row.config.userns for row in ctx.store.list_containers()]
    return replace(config, userns=idmaps.allocate(config.userns, taken, available, size))


def _security_facts(opts: CreateOptions) -> SecurityFacts:
    """Device nodes, seccomp profiles, our own capabilities (supervisor/security)."""
    from supervisor.security import host

    return host.gather(opts.devices, opts.security_opt, opts.seccomp_profile)


def _default_network(ctx: Context) -> str:
    from supervisor.network.request import default_mode
    from supervisor.rootless import is_rootless

    return default_mode(ctx.settings.netns, not is_rootless())


def write_etc_files(ctx: Context, cid: str, config: ContainerConfig, name: str = "") -> None:
    from supervisor import etcfiles

    cdir = ctx.paths.container_dir(cid)
    hostname = config.options.hostname or _joined_hostname(ctx, config)
    etcfiles.write_etc_files(cdir, cid, hostname, config.network.value)
    from supervisor.network import etc  # networking (issue 13): --add-host, --dns*

    try:
        etc.write_static(cdir, config, name)
    except OSError as exc:
        raise SystemError_(f"cannot write the container's /etc files in {cdir!r}: "
                           f"{exc.strerror}") from exc


def _joined_hostname(ctx: Context, config: ContainerConfig) -> str | None:
    """`--uts container:X` (a pod's members): X's name, as `hostname` shows inside; Podman
    4.3 writes the UTS owner's hostname in /etc/hostname and /etc/hosts."""
    uts = config.runflags.uts
    if uts.mode != "container":
        return None
    try:
        with open(os.path.join(ctx.paths.container_dir(uts.target), "hostname")) as f:
            return f.readline().strip() or None
    except OSError:
        return None


def _network_checked(ctx: Context, config: ContainerConfig, img_cfg: dict[str, Any],
                     ) -> ContainerConfig:
    """networking (issue 13): the networks exist; the image's ExposedPorts join --expose."""
    from supervisor.network.create import checked

    return checked(ctx, config, img_cfg)


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


def _read_label_file(path: str) -> tuple[str, ...] | str:
    """A --label-file's lines, or Go's text for why it cannot be read (Podman's error)."""
    try:
        with open(path) as f:
            return tuple(f.read().splitlines())
    except IsADirectoryError:
        return f"read {path}: is a directory"
    except OSError as exc:
        return f"open {path}: {(exc.strerror or str(exc)).lower()}"


def _read_lines(path: str) -> tuple[str, ...] | str:
    """An --env-file's lines, or why it cannot be read."""
    try:
        with open(path) as f:
            return tuple(f.read().splitlines())
    except OSError as exc:
        return str(exc.strerror)
