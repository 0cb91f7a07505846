"""Containers: options in, reports out (Podman's `entities` pattern, trimmed to our verbs).

Multi-container verbs return one `Report` per input, in order: they act on what they can and
the face decides the exit code (the last failure's, as Docker and Podman do).
"""

from __future__ import annotations

import contextlib
import os

from supervisor.api import InspectReport, Report, enter, session
from supervisor.errors import NotFoundError, ScopeboxError, UsageError, mapped, start_failure
from supervisor.records import NamedTuple
from supervisor.settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from collections.abc import Callable, Iterator
    from typing import Any, BinaryIO

    from supervisor.attach import AttachClient  # terminals
    from supervisor.container.launch import Started
    from supervisor.engine import Engine
    from supervisor.logs import LogRecord as LogRecord  # re-exported for the CLI's types
    from supervisor.options import CreateOptions
    from supervisor.registry.progress import PullProgress
    from supervisor.resources import ResourceOptions
    from supervisor.store import ContainerRow, ImageRow

FILTER_KEYS: tuple[str, ...] = (
    "name", "id", "status", "label", "ancestor", "health", "exited", "since", "before"
)
# fidelity: Podman 4.3's other ps filters (no pods exist here: pod= matches nothing)
FILTER_KEYS += ("until", "volume", "network", "pod", "restart-policy")


# per-item verbs ---------------------------------------------------------------------------


def _each(
    eng: Engine, refs: list[str], action: Callable[[str], Any], ignore: bool = False
) -> list[Report]:
    from functools import partial

    from supervisor.api import report_of

    reports = [report_of(ref, partial(action, ref), ignore) for ref in refs]
    return [r for r in reports if r is not None]


class StopOptions(NamedTuple):
    refs: list[str]
    timeout: int | None = None
    ignore: bool = False  # no such container is no error
    cidfiles: list[str] = []  # noqa: RUF012


def stop(settings: Settings, opts: StopOptions) -> list[Report]:
    from supervisor.api import quickstop  # issue 16: a running one, without the engine

    refs = [*opts.refs, *read_cidfiles(opts.cidfiles, opts.ignore)]
    return quickstop.stop(settings, refs, opts.timeout, opts.ignore)


class RemoveOptions(NamedTuple):
    refs: list[str]
    force: bool = False
    all: bool = False
    ignore: bool = False
    cidfiles: list[str] = []  # noqa: RUF012
    timeout: int | None = None  # with force: seconds to stop gracefully first (Podman's -t)
    volumes: bool = False  # volumes (issue 14): -v, the anonymous volumes go too
    depend: bool = False  # helper "flags": rm --depend, the dependents go first


def remove(settings: Settings, opts: RemoveOptions) -> list[Report]:
    """`rm`: each container that can go goes; the id files go when all went (Podman)."""
    from supervisor.depends import removal_order  # helper "flags"

    from_files = read_cidfiles(opts.cidfiles, opts.ignore)
    with session(settings) as eng:
        if opts.all:  # issue 16: what `run --rm` left to a monitor is finished too
            from supervisor.container.remove import finish_removals

            finish_removals(eng, wait=True)
        refs = [r.id for r in eng.store.list_containers()] if opts.all else opts.refs
        if opts.all:  # helper "flags": dependents before what they depend on
            refs = removal_order(eng, refs, False)
        elif opts.depend:
            refs = _with_dependents(eng, refs)
        # Podman: --force also ignores containers that do not exist.
        ignore = opts.ignore or opts.force
        reports = _each(eng, [*refs, *from_files], lambda r: _remove_one(eng, r, opts), ignore)
    if all(r.err is None for r in reports):
        for path in opts.cidfiles:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
    return reports


def prune(settings: Settings, filters: list[str] | None = None) -> list[str]:
    """`container prune`: the ids of the stopped (exited or created) containers removed, those
    `filters` pass (Podman's label=, label!=, until=; checked before anything goes); one that
    cannot go (a concurrent start, a pod's infra) is left, as Podman's prune does."""
    from supervisor.pods import INFRA_LABEL, SERVICE_LABEL
    from supervisor.state import Status

    chosen = prune_filter(filters or [])
    removed = []
    with session(settings) as eng:
        for row in current_rows(eng):
            labels = row.config.options.labels
            if (row.status in (Status.EXITED, Status.CREATED) and chosen(row)
                    and INFRA_LABEL not in labels  # it goes with its pod
                    and SERVICE_LABEL not in labels):  # with its pods (pods/service.py)
                try:
                    with mapped():
                        eng.remove(row.id, False, False)
                except ScopeboxError:
                    continue
                removed.append(row.id)
    return removed


def prune_filter(items: list[str]) -> Callable[[ContainerRow], bool]:
    """`container prune --filter` (and `system prune`'s): Podman 4.3's keys and words."""
    from functools import partial

    from supervisor.timefmt import parse_since

    tests: list[Callable[[ContainerRow], bool]] = []
    for item in items:
        key, eq, value = item.partition("=")
        if not eq:
            raise UsageError(f"filter input must be in the form of filter=value: {item} is invalid")
        if key == "until":
            try:
                cutoff = parse_since(value, "until filter")
            except UsageError:
                raise UsageError(f'failed to parse value as time or duration: "{value}"') from None
            tests.append(partial(_created_before, cutoff=cutoff))
        elif key in ("label", "label!"):
            tests.append(partial(_labelled, label=value, wanted=key == "label"))
        else:
            raise UsageError(f"{key} is an invalid filter")
    return lambda row: all(test(row) for test in tests)


def _created_before(row: ContainerRow, cutoff: float) -> bool:
    return _created(row) < cutoff


def _labelled(row: ContainerRow, label: str, wanted: bool) -> bool:
    """label=K[=V] (`wanted`) or label!=K[=V]."""
    name, has_value, value = label.partition("=")
    labels = row.config.options.labels
    return (name in labels and (not has_value or labels[name] == value)) == wanted


def _with_dependents(eng: Engine, refs: list[str]) -> list[str]:
    """helper "flags": rm --depend: each container's dependents first (by id), then it."""
    from supervisor.depends import removal_order

    out: list[str] = []
    for ref in refs:
        try:
            cid = eng.find(ref).id
        except NotFoundError:
            out.append(ref)  # reported as missing, in its turn
            continue
        out += [c for c in removal_order(eng, [cid], True) if c not in out]
    return out


def _remove_one(eng: Engine, ref: str, opts: RemoveOptions) -> ContainerRow:
    from supervisor.pods import INFRA_LABEL, SERVICE_LABEL

    row = eng.find(ref)
    pod_id = row.config.options.labels.get(INFRA_LABEL, "")
    if pod_id:  # Podman's rule: the infra goes with its pod, by `rm --all|--depend`, `pod rm`
        if not (opts.all or opts.depend):
            raise ScopeboxError(f"container {row.id} is the infra container of pod {pod_id} and"
                             " cannot be removed without removing the pod")  # fmt: skip
        from supervisor.events.write import other
        from supervisor.pods import ops

        pod = ops.remove(eng, pod_id, opts.force, opts.timeout)
        other(eng.settings, eng.paths, "pod", "remove", id=pod.id, name=pod.name)  # as pod rm
        return row
    if SERVICE_LABEL in row.config.options.labels:  # kube play --service-container's
        from supervisor.pods import service

        service.check_removal(eng, row)  # not while its pods are
    if opts.force and opts.timeout:
        row = eng.settled(ref)
        if row.status.is_active:
            eng.stop(ref, opts.timeout)
    return eng.remove(ref, opts.force, opts.volumes)


def kill(settings: Settings, refs: list[str], signal: str = "SIGKILL") -> list[Report]:
    from supervisor.api import quickstop  # issue 16: a running one, without the engine

    return quickstop.kill(settings, refs, signal)


def pause(settings: Settings, refs: list[str]) -> list[Report]:
    with session(settings) as eng:
        return _each(eng, refs, eng.pause)


def unpause(settings: Settings, refs: list[str]) -> list[Report]:
    with session(settings) as eng:
        return _each(eng, refs, eng.unpause)


def restart(settings: Settings, refs: list[str], timeout: int | None = None) -> list[Report]:
    with session(settings) as eng:
        return _each(eng, refs, lambda ref: eng.restart(ref, timeout))


class WaitReport(NamedTuple):
    raw_input: str
    exit_code: int = 0
    err: ScopeboxError | None = None


def wait(settings: Settings, refs: list[str]) -> list[WaitReport]:
    """Each container's exit code once it exited; the engine is loaded only for a container
    the quick path leaves to it (supervisor/waitquick.py, issue 16)."""
    from supervisor.waitquick import wait_quick

    with mapped():
        enter(settings)
    out = []
    with contextlib.ExitStack() as stack:
        eng: Engine | None = None
        for ref in refs:
            try:
                with mapped():
                    code = wait_quick(settings, ref)
                    if code is None:
                        eng = eng or stack.enter_context(session(settings))
                        code = eng.wait(ref)
                out.append(WaitReport(ref, code))
            except ScopeboxError as exc:
                out.append(WaitReport(ref, err=exc))
    return out


def wait_state(settings: Settings, refs: list[str], states: frozenset[str], interval: float,
               on_exit: bool) -> list[tuple[str, str]]:
    """`wait --condition` of a state other than the exit: each container polled every
    `interval` s until its status is one of `states` (or, with `on_exit`, it exited);
    returns (ref, status reached), in order. A container that cannot be found raises."""
    import time

    out = []
    for ref in refs:
        while True:
            with session(settings) as eng, mapped():
                status = eng.find(ref).status.value
            if status in states or (on_exit and status == "exited"):
                out.append((ref, status))
                break
            time.sleep(interval)
    return out


def removed_exit_code(settings: Settings, cid: str) -> int | None:
    """The exit code a container removed by --rm left (its cleanup keeps it for waiters:
    the REST face's wait for condition=removed); None when none was kept."""
    with session(settings) as eng:
        return eng.removed_exit_code(cid)


def rename(settings: Settings, ref: str, new_name: str) -> None:
    with session(settings) as eng:
        eng.rename(ref, new_name)


def cleanup(settings: Settings, ids: list[str]) -> None:
    """The monitor's exit command."""
    with mapped():
        enter(settings)
        ids = [cid for cid in ids if not _cleaned_up(settings, cid)]
    if not ids:
        return
    with session(settings) as eng:
        for cid in ids:
            eng.cleanup(cid)


def _conf_dns(opts: CreateOptions) -> CreateOptions:
    """containers.conf's dns_servers, dns_searches, dns_options: the defaults of --dns,
    --dns-search, --dns-option (a flag given wins; a network's own DNS server gives way to
    them as to --dns). Not for a container joining another's network: its resolv.conf is
    the other's."""
    from dataclasses import replace

    from supervisor.settings import conf_strings

    if opts.network.startswith("container:") or opts.network in ("none", "ns"):
        return opts
    net = opts.net
    env = os.environ
    return replace(opts, net=replace(
        net, dns=net.dns or tuple(conf_strings(env, "dns_servers")),
        dns_search=net.dns_search or tuple(conf_strings(env, "dns_searches")),
        dns_options=net.dns_options or tuple(conf_strings(env, "dns_options"))))


def _cleaned_up(settings: Settings, cid: str) -> bool:
    """The exit was cleaned up already (`stop` does it itself, issue 16), or the container is
    gone (--rm): the exit command has nothing to do, and ends without loading the engine."""
    from supervisor.store import ContainerLock, Store

    store = Store(settings.paths)
    try:
        with ContainerLock(settings.paths, cid) as lock:  # a stop cleaning up now: after it
            try:
                row = store.find_container_state(cid)
            except NotFoundError:  # --rm: removed (the lock file goes with it, as rm's)
                if store.has_removal(cid):
                    return False  # issue 16: a `run --rm` left its teardown to us
                lock.discard()
                return True
    finally:
        store.close()
    return row is not None and row["status"] == "exited" and bool(row["cleaned"])


# id files ----------------------------------------------------------------------------------


def read_cidfiles(paths: list[str], ignore: bool) -> list[str]:
    """`rm/stop --cidfile`: the ids in these files (missing files are skipped with -i)."""
    refs = []
    for path in paths:
        try:
            with open(path) as f:
                cid = f.read().strip()
        except FileNotFoundError:
            if ignore:
                continue
            raise UsageError(f"cannot read --cidfile {path!r}: no such file") from None
        except OSError as exc:
            raise UsageError(f"cannot read --cidfile {path!r}: {exc.strerror}") from exc
        if cid:
            refs.append(cid)
    return refs


class CreateRequest(NamedTuple):
    options: CreateOptions
    cidfile: str | None = None  # write the new id here (must not exist)
    replace: bool = False  # remove a container of the same name first
    pod: str = ""  # pods (issue 15): --pod NAME|new:NAME
    progress: PullProgress | None = None  # issue 19: a pull's output (run/create -q: none)


def with_defaults(opts: CreateOptions, settings: Settings) -> CreateOptions:
    """What the user left unset, from the settings (containers.conf, the environment)."""
    from dataclasses import replace

    if settings.log_driver and opts.log_driver is None:
        opts = replace(opts, log_driver=settings.log_driver)
    if settings.stop_timeout is not None and opts.stop_timeout is None:
        opts = replace(opts, stop_timeout=settings.stop_timeout)
    if settings.pids_limit is not None and opts.resources.pids_limit is None:
        # containers.conf's 0 (and -1) mean unlimited; --pids-limit says -1
        limit = -1 if settings.pids_limit <= 0 else settings.pids_limit
        opts = replace(opts, resources=replace(opts.resources, pids_limit=limit))
    if settings.log_size_max is not None and "max-size" not in opts.log_opts:
        size = max(settings.log_size_max, 0)  # -1: unlimited, max-size=0 here
        opts = replace(opts, log_opts={**opts.log_opts, "max-size": str(size)})
    # helper "runflags": containers.conf's default_sysctls and tz
    from supervisor.settings import default_sysctls

    flags = replace(opts.runflags, default_sysctls=default_sysctls(os.environ))
    if settings.tz and flags.tz is None:
        flags = replace(flags, tz=settings.tz)
    if settings.umask is not None and flags.umask is None:  # issue 19
        flags = replace(flags, umask=settings.umask)
    if settings.http_proxy is False and opts.http_proxy is None:  # misc (issue 19)
        opts = replace(opts, http_proxy=False)
    opts = replace(opts, runflags=flags)
    opts = _conf_dns(opts)
    if not opts.image_volume:  # containers.conf's image_volume_mode, else Podman's bind
        opts = replace(opts, image_volume=settings.image_volume_mode or "bind")
    if settings.userns and not opts.userns.given:  # issues 17/19: containers.conf's userns
        opts = replace(opts, userns=replace(opts.userns, userns=settings.userns))
    # security (supervisor/security): containers.conf's default_capabilities, seccomp_profile
    # (read here, for create only: the system's file names default_capabilities, and parsing
    # it for every verb would cost the CLI's cold start)
    from supervisor.security.host import conf_defaults

    caps, profile = conf_defaults(os.environ)
    if caps is not None and opts.default_capabilities is None:
        opts = replace(opts, default_capabilities=list(caps))
    if profile and opts.seccomp_profile is None:
        opts = replace(opts, seccomp_profile=profile)
    return opts


def create_in(eng: Engine, req: CreateRequest) -> ContainerRow:
    """create/run: --replace and --cidfile around Engine.create (Podman's behaviour)."""
    if req.cidfile and os.path.lexists(req.cidfile):
        raise UsageError(
            f"container id file {req.cidfile!r} exists: is another container using it?"
            " remove it first"
        )
    opts = with_defaults(req.options, eng.settings)
    if opts.init_ctr:  # issue 19: Podman's checks, in its order
        if not req.pod:
            raise UsageError("must specify pod value with init-ctr")
        if opts.init_ctr not in ("always", "once"):
            raise UsageError("init-ctr value must be 'always' or 'once'")
    if req.replace and opts.name:
        eng.replace(opts.name)
    # pods (issue 15): join the pod's namespaces (new:NAME makes it); membership recorded
    pod = None
    if req.pod:
        from supervisor.pods import ops as pod_ops

        pod, opts = pod_ops.join(eng, req.pod, opts, lambda o: create_in(eng, CreateRequest(o)))
    try:
        if pod is not None and opts.init_ctr:
            pod_ops.check_init_ctr(eng, pod)
        row = eng.create(opts, req.progress)
    except BaseException:
        if pod is not None and req.pod.startswith("new:"):  # the pod made for it goes too
            with contextlib.suppress(ScopeboxError):
                pod_ops.remove(eng, pod.id, force=True)
        raise
    if pod is not None:
        pod_ops.record_member(eng, pod, row.id)
    # end pods
    from supervisor.events.write import container as event  # events (issue 14)

    event(eng, row, "create")
    if req.cidfile:
        try:
            fd = os.open(req.cidfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
            with os.fdopen(fd, "w") as f:
                f.write(row.id)
        except OSError as exc:
            eng.remove(row.id, force=True)
            raise UsageError(f"cannot write --cidfile {req.cidfile!r}: {exc.strerror}") from exc
    return row


def create(settings: Settings, req: CreateRequest) -> str:
    with session(settings) as eng:
        return create_in(eng, req).id


class CloneRequest(NamedTuple):
    """`container clone`: what changes from the original's stored options."""

    name: str = ""  # default: ORIGINAL-clone (then -clone1, -clone2, ...)
    image: str = ""
    resources: ResourceOptions | None = None  # merged over the original's, as `update`'s
    pod: str = ""  # default: the original's pod, if it has one
    destroy: bool = False  # remove the original (a running one with force)
    force: bool = False
    run: bool = False  # start the copy


def clone(settings: Settings, ref: str, req: CloneRequest) -> str:
    """`container clone`: the id of a new container made from another's stored create
    options; the original is removed after the copy exists (`destroy`)."""
    from dataclasses import replace

    from supervisor.pods import INFRA_LABEL

    if req.force and not req.destroy:
        raise UsageError("cannot set --force without --destroy: invalid argument")
    with session(settings) as eng:
        src = eng.find(ref)
        opts = src.config.options
        from supervisor.pods.clone import free_name  # performance: pods only for a clone

        taken = eng.store.container_names().__contains__
        changes: dict[str, Any] = {"name": req.name or free_name(src.name, taken)}
        if req.image:
            changes["image"] = req.image
        if req.resources is not None:
            from supervisor.update import merge

            changes["resources"] = merge(opts.resources, req.resources)
        pod = req.pod
        if INFRA_LABEL in opts.labels:
            raise UsageError(f"{src.name} is a pod's infra container: clone its pod"
                             " (pod clone)")  # fmt: skip
        from supervisor.pods.db import PodDB

        member_of = PodDB(eng.store).pod_row_of(src.id)
        if member_of is not None:  # joined namespaces are the pod's to set again
            from supervisor.pods.clone import unjoined

            opts = unjoined(opts, member_of.infra_id, member_of.config.cgroup,
                            pod=member_of.config)  # fmt: skip
            pod = pod or member_of.id
        row = create_in(eng, CreateRequest(replace(opts, **changes), pod=pod))
        if req.destroy:
            _remove_one(eng, src.id, RemoveOptions([src.id], force=req.force))
        if req.run:
            _start_named(eng, row.id)
        return row.id


def remove_cidfile(req: CreateRequest) -> None:
    if req.cidfile:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(req.cidfile)


# start and run -------------------------------------------------------------------------------


def start(settings: Settings, refs: list[str], preserve_fds: int = 0) -> list[Report]:
    """`start`: `preserve_fds`, our descriptors 3.. for each container (socket activation)."""
    with session(settings) as eng:
        return _each(eng, refs, lambda ref: _start_named(eng, ref, preserve_fds=preserve_fds).row)


def init(settings: Settings, refs: list[str]) -> list[Report]:
    """`init`: created in the runtime, not started (Podman's "initialized")."""
    from supervisor.container.start import init as init_one

    with session(settings) as eng:
        return _each(eng, refs, lambda ref: init_one(eng, ref))


def start_all(settings: Settings, policies: list[str]) -> list[Report]:
    """`start --all [--filter restart-policy=P]`: unless-stopped skips what a user stopped."""
    with session(settings) as eng:
        refs = [row.id for row in eng.startable(policies)]
        return _each(eng, refs, lambda ref: _start_named(eng, ref).row)


def start_matching(
    settings: Settings, refs: list[str], filters: list[tuple[str, str]]
) -> list[Report]:
    """`start [--all] --filter K=V`: Podman's ps filters choose among all containers (with
    --all, those not running) or among those named; each is started and named by its id."""
    from supervisor.views import ps_item

    with session(settings) as eng:
        match = _Matcher(eng, filters)
        named = {eng.find(ref).id for ref in refs}
        pods: dict[str, tuple[str, str]] = {}
        if any(k == "pod" for k, _ in filters):
            from supervisor.pods.ops import pod_of_containers

            pods = pod_of_containers(eng)
        # --all: what `start --all` may start (an unless-stopped container its user stopped
        # stays down: the boot unit runs `start --all --filter restart-policy=...`)
        allowed = None if refs else {row.id for row in eng.startable([])}
        ids = []
        for row in current_rows(eng):
            if (row.id not in named) if refs else row.id not in (allowed or ()):
                continue
            item = ps_item(row, eng.store.get_image(row.image_id), eng.paths)
            _pod_ps(eng, row, item, pods)
            if match(row, item):
                ids.append(row.id)
        return _each(eng, ids, lambda ref: _start_named(eng, ref).row)


def _start_named(eng: Engine, ref: str, attach: bool = False, preserve_fds: int = 0) -> Started:
    """The `start` verb's failure names the container as Podman's does (`unable to start
    container "ID": ` before the runtime's words, which `run` prints alone), with the
    engine's 125 whatever the runtime's reason (a `run` gives 126 or 127)."""
    from supervisor.errors import CommandCannotRun, CommandNotFound, RuntimeFailed

    try:
        return eng.start(ref, attach=attach, preserve_fds=preserve_fds)
    except (RuntimeFailed, CommandCannotRun, CommandNotFound) as exc:
        cid = eng.store.find_container(ref).id
        named = cid if attach else f'"{cid}"'  # Podman quotes it, but not for `start -a`
        raise RuntimeFailed(f"unable to start container {named}: {exc}") from exc


# listing -----------------------------------------------------------------------------------


class ListOptions(NamedTuple):
    all: bool = False
    filters: list[tuple[str, str]] = []  # noqa: RUF012
    size: bool = False  # fidelity: ps --size (walks each writable layer)
    pod: bool = False  # ps --pod: the JSON's PodName too (its Pod, the id, is always there)


class ListEntry(NamedTuple):
    """One row of `ps`: Docker's template fields and Podman's JSON object."""

    id: str
    fields: dict[str, Any]
    json: dict[str, Any]
    endpoints: dict[str, Any] | None = None  # NetworkSettings.Networks (the REST face's list)


def parse_filters(items: list[str]) -> list[tuple[str, str]]:
    out = []
    for item in items:
        key, eq, value = item.partition("=")
        if not eq:
            raise UsageError(f"invalid filter {item!r}: expected key=value")
        if key not in FILTER_KEYS:
            raise UsageError(f"unsupported filter {key!r} ({', '.join(FILTER_KEYS)})")
        if key == "status" and value not in _statuses():
            raise UsageError(f"invalid status filter {value!r}")
        if key == "health" and value not in _health_statuses():
            raise UsageError(f"invalid health filter {value!r} ({', '.join(_health_statuses())})")
        if key == "restart-policy" and value not in _RESTART_POLICIES:
            raise UsageError(f"{value} invalid restart policy")  # Podman's words
        if key == "exited" and not value.lstrip("-").isdigit():
            raise UsageError(f"exited code filter {value!r} must be an integer")
        if key == "until":
            from supervisor.timefmt import parse_since

            parse_since(value, "until filter")
        out.append((key, value))
    return out


# Podman's restart policy names; "none" is its name for a container given no --restart
_RESTART_POLICIES = ("none", "no", "on-failure", "always", "unless-stopped")

# Podman's other state names (libpod's ContainerStatus) as the states scopebox has
_STATUS_ALIASES = {"stopped": "exited", "configured": "created"}


def _statuses() -> set[str]:
    from supervisor.state import Status  # performance (issue 16): enum, for a filter only

    # Podman 4.3 refuses `stopping` and `configured` in this filter (measured here)
    return {s.value for s in Status} | {"removing", "unknown", "stopped"}


def _health_statuses() -> tuple[str, ...]:
    from supervisor.health import STATUSES  # performance: not for every `ps`

    return tuple(STATUSES)


def list_containers(settings: Settings, opts: ListOptions) -> list[ListEntry]:
    from supervisor.api import read_session
    from supervisor.views import ps_item, ps_json

    with read_session(settings) as eng:
        by_status = any(k == "status" for k, _ in opts.filters)
        # performance (issue 16): without -a, only the rows stored as running or paused are
        # read and refreshed (a created or exited container becomes active only by a start,
        # which stores it); the others are neither decoded nor reconciled.
        active = () if opts.all or by_status else ACTIVE
        # Podman's ps without -a lists running containers only: not paused ones either
        rows = [r for r in current_rows(eng, active, _named(opts.filters))
                if not active or r.status.value == "running"]  # fmt: skip
        match = _Matcher(eng, opts.filters)
        pods: dict[str, tuple[str, str]] = {}
        if rows:  # performance: no pod code for an empty listing
            from supervisor.pods.ops import pod_of_containers  # pods (issue 15)

            pods = pod_of_containers(eng)
        out = []
        images = _ImageCache(eng)
        for row in rows:
            item = ps_item(row, images(row.image_id), eng.paths)
            ports_json = _network_ps(eng, row, item)  # networking (issue 13)
            endpoints = item.pop("NetworkEndpoints", None)
            _pod_ps(eng, row, item, pods)  # pods (issue 15)
            if match(row, item):
                doc = ps_json(item, row)
                if ports_json:  # networking (net6): Podman's PortMapping objects
                    doc["Ports"] = ports_json
                if item.get("Networks"):  # the names, as Podman's JSON lists them
                    doc["Networks"] = list(item["Networks"])
                _complete_ps(eng, row, item, doc, images if opts.size else None)  # fidelity
                pod_id, pod_name = pods.get(row.id, ("", ""))  # Podman's JSON: the full id
                doc.update(Pod=pod_id, PodName=pod_name if opts.pod else "",
                           IsInfra=item["IsInfra"])  # fmt: skip
                out.append(ListEntry(row.id, item, doc, endpoints))
        return out


class _ImageCache:
    """performance (issue 16): each image of a listing read and decoded once (its row holds
    its whole config as JSON: 200 containers of one image decoded it 400 times)."""

    def __init__(self, eng: Engine) -> None:
        self.store = eng.store
        self.seen: dict[str, ImageRow | None] = {}

    def __call__(self, image_id: str) -> ImageRow | None:
        if image_id not in self.seen:
            self.seen[image_id] = self.store.get_image(image_id)
        return self.seen[image_id]


def _complete_ps(eng: Engine, row: ContainerRow, item: dict[str, Any], doc: dict[str, Any],
                 images: _ImageCache | None) -> None:  # fmt: skip
    """`images`: with `--size` (the image's size is part of it)."""
    from supervisor.views_podman import complete_ps, size_fields

    sizes = None if images is None else size_fields(eng.paths, row, images(row.image_id))
    complete_ps(item, doc, row, sizes)


ACTIVE = ("running", "paused")  # the stored statuses of Status.is_active


def current_rows(eng: Engine, statuses: tuple[str, ...] = (),
                 keep: Callable[[str, str], bool] | None = None) -> Iterator[ContainerRow]:
    """Every container (stored with one of `statuses`, if given; with an id and name `keep`
    keeps, if given) brought up to date; one removed under us (another `rm`, an --rm
    cleanup) is skipped: a listing never fails because a row vanished."""
    for row in eng.store.list_containers(statuses, keep):
        try:
            yield eng.refresh(row)
        except NotFoundError:
            if eng.store.get_container(row.id) is not None:
                raise


def _named(filters: list[tuple[str, str]]) -> Callable[[str, str], bool] | None:
    """performance (issue 16): the name= and id= filters, on a row's id and name alone: a
    row they refuse is not decoded nor reconciled (`ps -a --filter name=web` of 200
    containers decodes one). They are _Matcher's tests (the same key ORs, keys AND); what
    they let through is matched on every filter after."""
    by_key: dict[str, list[re.Pattern[str]]] = {}
    for key, value in filters:
        if key in ("name", "id"):
            by_key.setdefault(key, []).append(_regex(value))
    if not by_key:
        return None
    names, ids = by_key.get("name"), by_key.get("id")

    def keep(cid: str, name: str) -> bool:
        return (names is None or any(r.search(name) for r in names)) and (
            ids is None or any(r.search(cid) for r in ids))

    return keep


class _Matcher:
    """Docker's rule: the same key ORs (label= ANDs, as in Podman), different keys AND."""

    def __init__(self, eng: Engine, filters: list[tuple[str, str]]) -> None:
        self.eng = eng
        self.by_key: dict[str, list[str]] = {}
        for key, value in filters:
            self.by_key.setdefault(key, []).append(value)
        # Resolved once: the image each ancestor names (none if it names no image here), the
        # creation time of each container since=/before= name.
        self.ancestors = {v: _ancestor_ids(eng, v) for v in self.by_key.get("ancestor", [])}
        self.created = {
            v: _created(eng.find(v)) for k in ("since", "before") for v in self.by_key.get(k, [])
        }

    def __call__(self, row: ContainerRow, item: dict[str, Any]) -> bool:
        # Podman's exception: every label= filter must match.
        return all(
            (all if key == "label" else any)(self._one(row, item, key, v) for v in values)
            for key, values in self.by_key.items()
        )

    def _one(self, row: ContainerRow, item: dict[str, Any], key: str, value: str) -> bool:
        from supervisor.views import health_status

        if key == "ancestor":
            return _ancestor_match(row, value, self.ancestors[value])
        if key == "health":
            return health_status(self.eng.paths, row) == value
        # Podman's name= and id= are regular expressions, searched (`^web$` is exact).
        if key == "name":
            return _regex(value).search(row.name) is not None
        if key == "id":
            return _regex(value).search(row.id) is not None
        if key == "status":  # Podman's "stopped" is its name for exited here
            return bool(row.status.value == _STATUS_ALIASES.get(value, value))
        if key == "exited":
            return row.status.value == "exited" and row.exit_code == int(value)
        if key == "since":
            return _created(row) > self.created[value]
        if key == "before":
            return _created(row) < self.created[value]
        if key == "pod":  # pods (issue 15)
            return _pod_match(item, value)
        if key in FILTER_KEYS[9:]:
            return _more_filters(row, key, value)
        k, eq, v = value.partition("=")  # label
        labels = item["Labels"]
        return k in labels and (not eq or labels[k] == v)


def _more_filters(row: ContainerRow, key: str, value: str) -> bool:
    """fidelity: until=, volume=, network=, pod=, restart-policy=, as Podman's."""
    from supervisor.timefmt import parse_since

    cfg = row.config
    if key == "until":
        return _created(row) < parse_since(value, "until filter")
    if key == "volume":
        return any(value in (m.source, f"{m.source}:{m.destination}") for m in cfg.mounts)
    if key == "network":  # a network's name: the modes none and host are none
        return value not in ("none", "host", "private") and bool(cfg.network.value == value)
    if key == "restart-policy":
        return bool(cfg.restart.name.value == ("no" if value == "none" else value))
    return False  # pod=: no pods


def _regex(value: str) -> re.Pattern[str]:
    """A filter's regular expression; one that does not compile matches itself literally
    (Podman matches nothing rather than failing)."""
    import re

    try:
        return re.compile(value)
    except re.error:
        return re.compile(re.escape(value))


def _created(row: ContainerRow) -> float:
    from supervisor.timefmt import parse_rfc3339

    return parse_rfc3339(row.created) or 0.0


def _ancestor_ids(eng: Engine, ref: str) -> set[str]:
    """The image a reference names, as Podman resolves it (short name, id or id prefix)."""
    from supervisor import images

    try:
        img: ImageRow = images.resolve(eng.store, ref)
    except (NotFoundError, UsageError):
        return set()
    return {img.id}


def _ancestor_match(row: ContainerRow, value: str, ids: set[str]) -> bool:
    if row.image_id in ids:
        return True
    name = row.image_name
    bare, _, tag = name.rpartition(":") if ":" in name.rsplit("/", 1)[-1] else (name, "", "")
    return value in (name, row.image_id) or (value == bare and tag == "latest")


# logs ----------------------------------------------------------------------------------------


class LogsOptions(NamedTuple):
    follow: bool = False
    tail: int | None = None  # the last N lines; None: all
    since: float | None = None  # seconds since the epoch
    timestamps: bool = False
    until: float | None = None  # seconds since the epoch: records up to this time


def parse_tail(value: str) -> int | None:
    if value == "all":
        return None
    if not value.lstrip("-").isdigit():
        raise UsageError(f"invalid --tail {value!r}: a number or 'all'")
    return int(value) if int(value) >= 0 else None


def logs(settings: Settings, ref: str, opts: LogsOptions,
         cancel_fd: int | None = None) -> Iterator[LogRecord]:  # fmt: skip
    """The container's log records; with `follow`, until its last run is over (or until
    `cancel_fd` is readable: a caller whose client left)."""
    with session(settings) as eng:
        quick_file = None if opts.follow else _k8s_log_file(eng, ref)
        # performance: imported after the quick lookup
        from supervisor.logs import LogQuery, read_k8s, read_logs

        q = LogQuery(
            follow=opts.follow, tail=opts.tail, since=opts.since, timestamps=opts.timestamps
        )
        if quick_file is not None:
            records = read_k8s(quick_file, q)
        else:
            row = eng.find(ref)
            if opts.follow and row.config.log.driver.value == "journald":
                _check_journald_follow(settings)
            running, monitor_pid = _follow_rule(eng, row)
            records = read_logs(row, _log_path(eng, row), q, running, monitor_pid, cancel_fd)
        if opts.until is None:
            yield from records
            return
        from supervisor.timefmt import parse_rfc3339

        for rec in records:
            if (parse_rfc3339(rec.timestamp) or 0.0) > opts.until:
                return
            yield rec


def _check_journald_follow(settings: Settings) -> None:
    """Podman's rule (and words): following a journald log needs the journald events backend
    (Podman learns of the container's exit from the events journal)."""
    from supervisor.events.write import backend

    kind = backend(settings)
    if kind != "journald":
        raise UsageError("using --follow with the journald --log-driver but without the"
                         f" journald --events-backend ({kind}) is not supported")


def check_signal(value: str) -> None:
    """`kill -s`'s signal as Podman parses it (UsageError in its words): checked before any
    container or pod is looked up."""
    from supervisor.signals import parse_signal

    parse_signal(value)


def ids_and_names(settings: Settings, refs: list[str]) -> list[tuple[str, str]]:
    """Each container's id and name (NotFoundError for a missing one)."""
    with session(settings) as eng:
        return [(row.id, row.name) for row in (eng.find(ref) for ref in refs)]


def _k8s_log_file(eng: Engine, ref: str) -> str | None:
    """performance (issue 16): the log file of a container logging to k8s-file, looked up
    without decoding its config or reconciling its state (what is in the file does not depend
    on either): `logs` then loads neither the model nor the container operations. None for
    any other driver (journald's reader and the none driver's error take the row)."""
    found = eng.store.find_container_log(ref)
    if found is None or found[1] != "k8s-file":
        return None
    cid, _, path = found
    return path or eng.paths.log_file(cid)


def _log_path(eng: Engine, row: ContainerRow) -> str:
    return row.config.log.path or eng.paths.log_file(row.id)


def _follow_rule(eng: Engine, row: ContainerRow) -> tuple[Callable[[], bool], int]:
    """When following ends: with the monitor, or (a restart policy: monitors come and go)
    when the container is no longer active; the pid is the monitor to wake on, 0 for none."""
    from supervisor.procs import alive
    from supervisor.restarts import is_service

    if not is_service(row):
        return (lambda: alive(row.monitor_pid, row.monitor_start)), row.monitor_pid

    def running() -> bool:
        fresh = eng.store.get_container(row.id)
        return fresh is not None and eng.refresh(fresh).status.is_active

    return running, 0  # no pidfd to wake on: the journal reader checks periodically


class RunReport(NamedTuple):
    id: str
    exit_code: int | None = None  # None: detached


def run(settings: Settings, req: CreateRequest, detach: bool, stdin_fd: int | None,
        detach_keys: str | None = None, sig_proxy: bool = True,
        preserve_fds: int = 0, streams: Streams | None = None) -> RunReport:  # fmt: skip
    """create + start; in the foreground, attached (output to our fds, signals proxied) and
    until the container exits (exit code 0 when the user detached from its terminal, or
    with the detach keys on a non-tty -i). `preserve_fds`: our descriptors 3.. passed to the
    container. `streams`: run -a (the output streams not named go nowhere)."""
    keys = _tty_keys(settings, True, detach_keys)  # terminals: checked first
    with session(settings) as eng:
        row = create_in(eng, req)
        try:
            started = eng.start(row.id, attach=not detach, preserve_fds=preserve_fds,
                                tty_size=None if detach else _caller_size(stdin_fd))
        except ScopeboxError as exc:
            if req.options.auto_remove:
                with contextlib.suppress(ScopeboxError):
                    eng.remove(row.id, force=True)
                remove_cidfile(req)
            err = start_failure(exc)
            if err is exc:
                raise
            raise err from exc
        if detach:
            return RunReport(row.id)
        if streams is not None and streams.announce is not None:  # terminals: run -a stdin
            streams.announce(row.id)
        code = _foreground(eng, started, stdin_fd, keys, sig_proxy, streams)
        if code is None:  # terminals: detached; the container runs on with its terminal
            return RunReport(row.id, 0)
        # Docker returns once the container is gone (--rm: its name is free again), or
        # once its exit is recorded and its run's resources (its network too) are undone:
        # quicker than waiting for the monitor's own cleanup, which then finds nothing left
        # to do (both take the container's lock). issue 16: --rm without a network, volumes
        # or a pod returns once the row is gone; the monitor's exit command tears down.
        eng.cleanup(started.row.id, hand_off=True)
        return RunReport(row.id, code)


def _caller_size(stdin_fd: int | None) -> tuple[int, int] | None:
    """The size of the caller's terminal (stdin's, else stdout's), as the tty pump takes it."""
    from supervisor.terminal.session import window_size

    return window_size(0 if stdin_fd is None else stdin_fd) or window_size(1)


def _attach_event(eng: Engine, row: ContainerRow) -> None:  # events (issue 14)
    from supervisor.events.write import container as event

    event(eng, row, "attach")


def _foreground(eng: Engine, started: Started, stdin_fd: int | None, keys: bytes = b"",
                sig_proxy: bool = True, streams: Streams | None = None) -> int | None:  # fmt: skip
    with _output_fds(streams) as (out_fd, err_fd):  # terminals: run -a
        if started.attach is not None and started.row.config.options.tty:  # terminals
            # Podman's --sig-proxy is for non-tty containers: keys are bytes on a terminal
            return _pump_tty(eng, started.row, started.attach, stdin_fd, keys, out_fd)
        if sig_proxy:  # run --sig-proxy=false leaves our signals to us
            _proxy_signals(started.row.pid)
        record = None
        if started.attach is not None:
            record = started.attach.pump(stdin_fd, out_fd, err_fd,
                                          keys if stdin_fd is not None else b"")
            if started.attach.detached:  # terminals: the detach keys on a non-tty -i
                return None
    if record is not None:
        return record.exit_code
    return eng.wait(started.row.id)


# terminals: the tty side of run, start -a and attach (supervisor/terminal/session.py)


def _tty_keys(settings: Settings, tty: bool, flag: str | None) -> bytes:
    from supervisor.api.interactive import tty_keys

    return tty_keys(settings, tty, flag)


def _proxy_signals(pid: int) -> None:
    from supervisor.api.interactive import proxy_signals

    proxy_signals(pid)


def _pump_tty(eng: Engine, row: ContainerRow, client: AttachClient, stdin_fd: int | None,
              keys: bytes, out_fd: int = 1) -> int | None:  # fmt: skip
    """The container's exit code, or None when the user detached (it runs on)."""
    from supervisor.terminal.session import pump_tty

    out = pump_tty(client, eng.paths.container_rundir(row.id), stdin_fd, keys, out_fd)
    if out.detached:
        return None
    return out.record.exit_code if out.record is not None else eng.wait(row.id)


class Streams(NamedTuple):
    """run -a/--attach: the output streams shown here (the others go nowhere); `announce`
    is called with the container's id once started when neither is (Podman prints it)."""

    stdout: bool = True
    stderr: bool = True
    announce: Callable[[str], None] | None = None


@contextlib.contextmanager
def _output_fds(streams: Streams | None) -> Iterator[tuple[int, int]]:
    if streams is None or (streams.stdout and streams.stderr):
        yield 1, 2
        return
    null = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
    try:
        yield (1 if streams.stdout else null), (2 if streams.stderr else null)
    finally:
        os.close(null)


# end terminals


def start_attach(settings: Settings, ref: str, stdin_fd: int | None,
                 detach_keys: str | None = None, sig_proxy: bool = True,
                 preserve_fds: int = 0) -> int:  # fmt: skip
    """`start -a`: the container's output here until it exits; its exit code (0 when the
    user detached from its terminal). `sig_proxy`: the signals we receive go to the
    container's process (Podman's default when attached)."""
    with session(settings) as eng:
        keys = _tty_keys(settings, True, detach_keys)  # terminals
        started = _start_named(eng, ref, attach=True, preserve_fds=preserve_fds)
        if started.attach is None:  # it was running already
            return eng.wait(started.row.id)
        if started.row.config.options.tty:  # terminals
            code = _pump_tty(eng, started.row, started.attach, stdin_fd, keys)
            return 0 if code is None else code
        if sig_proxy:  # helper "flags"
            _proxy_signals(started.row.pid)
        rec = started.attach.pump(stdin_fd, keys=keys if stdin_fd is not None else b"")
        if started.attach.detached:  # terminals: the detach keys on a non-tty -i
            return 0
        return rec.exit_code if rec else eng.wait(started.row.id)


def update(settings: Settings, refs: list[str], overrides: ResourceOptions) -> list[Report]:
    """`update`: new limits for created or running containers."""
    from supervisor.update import update as update_one

    with session(settings) as eng:
        return _each(eng, refs, lambda ref: update_one(eng, ref, overrides))


# inspect, export, exec ---------------------------------------------------------------------




def inspect(
    settings: Settings, refs: list[str], kind: str = "all", size: bool = False
) -> list[InspectReport]:
    """`inspect --type container|image|all`: Docker's objects, a container first; `size`:
    with a container's SizeRw and SizeRootFs (Podman's `--size`)."""
    out = []
    with session(settings) as eng:
        for ref in refs:
            try:
                with mapped():
                    data = _inspect_one(eng, ref, kind)
                    if size and "SizeRw" not in data and "State" in data:  # fidelity
                        data.update(_sizes(eng, data["Id"]))
                    out.append(InspectReport(ref, data))
            except NotFoundError:
                what = "container object" if kind == "container" else "object"
                out.append(InspectReport(ref, err=NotFoundError(what, ref)))
    return out


def _sizes(eng: Engine, cid: str) -> dict[str, int]:
    from supervisor.views_podman import size_fields

    row = eng.find(cid)
    return size_fields(eng.paths, row, eng.store.get_image(row.image_id))


def latest_container(settings: Settings) -> str:
    """`-l/--latest`: the id of the container created last (NotFoundError when none)."""
    with session(settings) as eng, mapped():
        rows = eng.store.list_containers()
        if not rows:
            raise NotFoundError("container", "latest")
        return max(rows, key=lambda r: r.created).id


def _inspect_one(eng: Engine, ref: str, kind: str) -> dict[str, Any]:
    from supervisor.imageref import resolve  # performance: not supervisor.images
    from supervisor.views import inspect_container, inspect_image

    if kind in ("container", "all"):
        try:
            row = eng.find(ref)
            out = inspect_container(
                eng.paths, row, eng.store.get_image(row.image_id), eng.restarting(row)
            )
            _network_inspect(eng, row, out)  # networking (issue 13)
            return out
        except NotFoundError:
            if kind == "container":
                raise
    return inspect_image(resolve(eng.store, ref), eng.paths)


def export(settings: Settings, ref: str, out: BinaryIO) -> None:
    with session(settings) as eng:
        eng.export(ref, out)


def resize(settings: Settings, ref: str, rows: int, cols: int) -> None:
    """The REST face's resize (issue 18): a running tty container's terminal to rows x
    cols (its monitor sets it); a container without a terminal ignores it, as Podman's."""
    from supervisor.errors import StateError
    from supervisor.state import Status
    from supervisor.terminal.session import send_size

    if rows <= 0 or cols <= 0:
        raise UsageError(f"invalid terminal size {rows}x{cols}")
    with session(settings) as eng:
        row = eng.settled(ref)
        if row.status is not Status.RUNNING:
            raise StateError(f"container {row.id} is not running")
        if row.config.options.tty:
            send_size(eng.paths.container_rundir(row.id), (rows, cols))


def healthcheck_run(settings: Settings, ref: str) -> tuple[int, str]:
    """`healthcheck run`: (0, "healthy") or (1, "unhealthy"/"starting")."""
    from supervisor.execute import healthcheck_run as run_check

    with session(settings) as eng:
        return run_check(eng, ref)


def port(settings: Settings, ref: str | None, want: str = "", latest: bool = False,
         ) -> list[str]:
    """`port`: the container's published ports (Podman's lines); `ref` None: every running
    container's, each line after its short id (`--all`)."""
    from supervisor.network.views import port_lines, state_of

    with session(settings) as eng:
        if latest:
            rows = sorted(eng.list(), key=lambda r: r.created)[-1:]
            if not rows:
                raise NotFoundError("container", "latest")
            ref = rows[0].id
        if ref is not None:
            row = eng.find(ref)
            return port_lines(row, state_of(eng, row), want)
        return [line for row in current_rows(eng) if row.status.is_active
                for line in port_lines(row, state_of(eng, row), want, row.id[:12] + "\t")]


# pods (issue 15): a member's pod in ps (Pod, PodName) and --filter pod=


def _pod_ps(eng: Engine, row: ContainerRow, item: dict[str, Any],
            pods: dict[str, tuple[str, str]]) -> None:
    pod_id, pod_name = pods.get(row.id, ("", ""))
    item["Pod"] = pod_id[:12]
    item["PodName"] = pod_name
    item["IsInfra"] = False
    if pod_id:  # performance: ps and inspect load no pod module for a container of none
        from supervisor.pods import INFRA_LABEL

        item["IsInfra"] = INFRA_LABEL in row.config.options.labels


def _pod_match(item: dict[str, Any], value: str) -> bool:
    """pods (issue 15): --filter pod= names a pod or gives its id (a prefix of it)."""
    short = str(item.get("Pod", ""))
    return bool(short) and (value == item.get("PodName") or short.startswith(value[:12]))


# networking (issue 13): the network parts of ps and inspect (supervisor/network/views.py)


def _network_ps(eng: Engine, row: ContainerRow, item: dict[str, Any]
                ) -> list[dict[str, Any]] | None:
    """`ps`'s PORTS and NETWORKS; returns the JSON form's Ports."""
    from supervisor.network.views import EMPTY, endpoints, ps_ports, ps_ports_json, state_of

    if row.config.net.mode in ("pasta", "slirp4netns"):  # rootless (issue 17): as asked
        item["Ports"] = ps_ports(row, EMPTY)
        return ps_ports_json(row, EMPTY)
    if not row.config.net.bridged:
        return None
    st = state_of(eng, row)
    item["Ports"] = ps_ports(row, st)
    item["Networks"] = [a.network for a in row.config.net.networks]
    item["NetworkEndpoints"] = endpoints(row, st)  # the REST face's list (issue 18)
    return ps_ports_json(row, st)


def _network_inspect(eng: Engine, row: ContainerRow, out: dict[str, Any]) -> None:
    from supervisor.network import views

    st = views.state_of(eng, row)
    out["NetworkSettings"] = views.network_settings(row, st)
    out["HostConfig"]["NetworkMode"] = views.network_mode(row)
    out["HostConfig"]["PortBindings"] = views.port_bindings(row, st)


def exists(settings: Settings, ref: str) -> bool:
    """`container exists`: by name, id or id prefix, in any state."""
    with session(settings) as eng:
        try:
            eng.find(ref)
        except NotFoundError:
            return False
        return True


class StreamsRequest(NamedTuple):
    """The REST face's attach (issue 18): the container's streams on descriptors the face
    reads and writes (no terminal of ours, no signals). `start`: start it attached first, as
    Docker's clients attach before they start (no output is lost); `on_started` is called
    once it runs. A tty container's output all goes to `out_fd`."""

    stdin_fd: int | None
    out_fd: int
    err_fd: int
    start: bool = False
    on_started: Callable[[], None] | None = None


def attach_streams(settings: Settings, ref: str, req: StreamsRequest) -> int | None:
    """Until the container exits: its exit code (None: it was not running and `start` was
    not asked, or the stream ended before its exit was known)."""
    from supervisor.attach import AttachClient
    from supervisor.errors import StateError
    from supervisor.state import Status

    with session(settings) as eng:
        client = None
        if req.start:
            started = eng.start(ref, attach=True)
            row, client = started.row, started.attach
        else:
            row = eng.settled(ref)
            if row.status is not Status.RUNNING:
                raise StateError("you can only attach to running containers")
        if req.on_started is not None:
            req.on_started()
        if client is None:
            client = AttachClient.connect(eng.paths.container_rundir(row.id))
        _attach_event(eng, row)  # events (issue 14)
        stdin_fd = req.stdin_fd if row.config.options.interactive else None
        if row.config.options.tty:
            from supervisor.terminal.session import pump_tty

            rundir = eng.paths.container_rundir(row.id)
            # never our own fd 0 (a terminal the service was started from): no input is EOF
            null = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC) if stdin_fd is None else -1
            try:
                out = pump_tty(client, rundir, stdin_fd if null < 0 else null, b"", req.out_fd)
            finally:
                if null >= 0:
                    os.close(null)
            return out.record.exit_code if out.record is not None else None
        record = client.pump(stdin_fd, req.out_fd, req.err_fd)
        return record.exit_code if record is not None else None
