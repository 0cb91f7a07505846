"""Containers: options in, reports out (Podman's `entities` pattern, trimmed to our verbs).

Multi-container verbs return one `Report` per input, in order: they act on what they can and
the face decides the exit code (the last failure's, as Docker and Podman do).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from supervisor.api import InspectReport, Report, session
from supervisor.errors import NotFoundError, ScopeboxError, UsageError, mapped
from supervisor.settings import Settings

if TYPE_CHECKING:
    from supervisor.container.launch import Started
    from supervisor.engine import Engine
    from supervisor.logs import LogRecord
    from supervisor.options import CreateOptions
    from supervisor.resources import ResourceOptions
    from supervisor.store import ContainerRow, ImageRow

FILTER_KEYS = ("name", "id", "status", "label", "ancestor", "health", "exited", "since", "before")


# per-item verbs ---------------------------------------------------------------------------


def _each(
    eng: Engine, refs: list[str], action: Callable[[str], Any], ignore: bool = False
) -> list[Report]:
    reports = []
    for ref in refs:
        try:
            with mapped():
                result = action(ref)
        except NotFoundError as exc:
            if not ignore:
                reports.append(Report(ref, ref, exc))
            continue
        except ScopeboxError as exc:
            reports.append(Report(ref, ref, exc))
            continue
        rid = getattr(result, "id", None)
        reports.append(Report(rid if isinstance(rid, str) else ref, ref, None))
    return reports


@dataclass(frozen=True)
class StopOptions:
    refs: list[str]
    timeout: int | None = None
    ignore: bool = False  # no such container is no error
    cidfiles: list[str] = field(default_factory=list)


def stop(settings: Settings, opts: StopOptions) -> list[Report]:
    refs = [*opts.refs, *read_cidfiles(opts.cidfiles, opts.ignore)]
    with session(settings) as eng:
        return _each(eng, refs, lambda ref: eng.stop(ref, opts.timeout), opts.ignore)


@dataclass(frozen=True)
class RemoveOptions:
    refs: list[str]
    force: bool = False
    all: bool = False
    ignore: bool = False
    cidfiles: list[str] = field(default_factory=list)
    timeout: int | None = None  # with force: seconds to stop gracefully first (Podman's -t)


def remove(settings: Settings, opts: RemoveOptions) -> list[Report]:
    """`rm`: each container that can go goes; the id files go when all went (Podman)."""
    from_files = read_cidfiles(opts.cidfiles, opts.ignore)
    with session(settings) as eng:
        refs = [r.id for r in eng.store.list_containers()] if opts.all else opts.refs
        # Podman: --force also ignores containers that do not exist.
        ignore = opts.ignore or opts.force
        reports = _each(eng, [*refs, *from_files], lambda r: _remove_one(eng, r, opts), ignore)
    if all(r.err is None for r in reports):
        for path in opts.cidfiles:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
    return reports


def _remove_one(eng: Engine, ref: str, opts: RemoveOptions) -> ContainerRow:
    if opts.force and opts.timeout:
        row = eng.settled(ref)
        if row.status.is_active:
            eng.stop(ref, opts.timeout)
    return eng.remove(ref, opts.force)


def kill(settings: Settings, refs: list[str], signal: str = "SIGKILL") -> list[Report]:
    with session(settings) as eng:
        return _each(eng, refs, lambda ref: eng.kill(ref, signal))


def pause(settings: Settings, refs: list[str]) -> list[Report]:
    with session(settings) as eng:
        return _each(eng, refs, eng.pause)


def unpause(settings: Settings, refs: list[str]) -> list[Report]:
    with session(settings) as eng:
        return _each(eng, refs, eng.unpause)


def restart(settings: Settings, refs: list[str], timeout: int | None = None) -> list[Report]:
    with session(settings) as eng:
        return _each(eng, refs, lambda ref: eng.restart(ref, timeout))


@dataclass(frozen=True)
class WaitReport:
    raw_input: str
    exit_code: int = 0
    err: ScopeboxError | None = None


def wait(settings: Settings, refs: list[str]) -> list[WaitReport]:
    out = []
    with session(settings) as eng:
        for ref in refs:
            try:
                with mapped():
                    out.append(WaitReport(ref, eng.wait(ref)))
            except ScopeboxError as exc:
                out.append(WaitReport(ref, err=exc))
    return out


def rename(settings: Settings, ref: str, new_name: str) -> None:
    with session(settings) as eng:
        eng.rename(ref, new_name)


def cleanup(settings: Settings, ids: list[str]) -> None:
    """The monitor's exit command."""
    with session(settings) as eng:
        for cid in ids:
            eng.cleanup(cid)


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


@dataclass(frozen=True)
class CreateRequest:
    options: CreateOptions
    cidfile: str | None = None  # write the new id here (must not exist)
    replace: bool = False  # remove a container of the same name first


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
    return opts


def create_in(eng: Engine, req: CreateRequest) -> ContainerRow:
    """create/run: --replace and --cidfile around Engine.create (Podman's behaviour)."""
    if req.cidfile and os.path.lexists(req.cidfile):
        raise UsageError(
            f"container id file {req.cidfile!r} exists: is another container using it?"
            " remove it first"
        )
    opts = with_defaults(req.options, eng.settings)
    if req.replace and opts.name:
        eng.replace(opts.name)
    row = eng.create(opts)
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


def remove_cidfile(req: CreateRequest) -> None:
    if req.cidfile:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(req.cidfile)


# start and run -------------------------------------------------------------------------------


def start(settings: Settings, refs: list[str]) -> list[Report]:
    with session(settings) as eng:
        return _each(eng, refs, lambda ref: eng.start(ref).row)


def start_all(settings: Settings, policies: list[str]) -> list[Report]:
    """`start --all [--filter restart-policy=P]`: unless-stopped skips what a user stopped."""
    with session(settings) as eng:
        refs = [row.id for row in eng.startable(policies)]
        return _each(eng, refs, lambda ref: eng.start(ref).row)


# listing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListOptions:
    all: bool = False
    filters: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ListEntry:
    """One row of `ps`: Docker's template fields and Podman's JSON object."""

    id: str
    fields: dict[str, Any]
    json: dict[str, Any]


def parse_filters(items: list[str]) -> list[tuple[str, str]]:
    from supervisor.health import STATUSES
    from supervisor.state import Status

    out = []
    for item in items:
        key, eq, value = item.partition("=")
        if not eq:
            raise UsageError(f"invalid filter {item!r}: expected key=value")
        if key not in FILTER_KEYS:
            raise UsageError(f"unsupported filter {key!r} ({', '.join(FILTER_KEYS)})")
        if key == "status" and value not in {s.value for s in Status}:
            raise UsageError(f"invalid status filter {value!r}")
        if key == "health" and value not in STATUSES:
            raise UsageError(f"invalid health filter {value!r} ({', '.join(STATUSES)})")
        if key == "exited" and not value.lstrip("-").isdigit():
            raise UsageError(f"exited code filter {value!r} must be an integer")
        out.append((key, value))
    return out


def list_containers(settings: Settings, opts: ListOptions) -> list[ListEntry]:
    from supervisor.views import ps_item, ps_json

    with session(settings) as eng:
        by_status = any(k == "status" for k, _ in opts.filters)
        rows = [r for r in current_rows(eng) if opts.all or by_status or r.status.is_active]
        match = _Matcher(eng, opts.filters)
        out = []
        for row in rows:
            item = ps_item(row, eng.store.get_image(row.image_id), eng.paths)
            if match(row, item):
                out.append(ListEntry(row.id, item, ps_json(item, row)))
        return out


def current_rows(eng: Engine) -> Iterator[ContainerRow]:
    """Every container brought up to date; one removed under us (another `rm`, an --rm
    cleanup) is skipped: a listing never fails because a row vanished."""
    for row in eng.store.list_containers():
        try:
            yield eng.refresh(row)
        except NotFoundError:
            if eng.store.get_container(row.id) is not None:
                raise


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
        if key == "status":
            return bool(row.status.value == value)
        if key == "exited":
            return row.status.value == "exited" and row.exit_code == int(value)
        if key == "since":
            return _created(row) > self.created[value]
        if key == "before":
            return _created(row) < self.created[value]
        k, eq, v = value.partition("=")  # label
        labels = item["Labels"]
        return k in labels and (not eq or labels[k] == v)


def _regex(value: str) -> re.Pattern[str]:
    """A filter's regular expression; one that does not compile matches itself literally
    (Podman matches nothing rather than failing)."""
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


@dataclass(frozen=True)
class LogsOptions:
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


def logs(settings: Settings, ref: str, opts: LogsOptions) -> Iterator[LogRecord]:
    """The container's log records; with `follow`, until its last run is over."""
    from supervisor.logs import LogQuery, read_logs

    q = LogQuery(follow=opts.follow, tail=opts.tail, since=opts.since, timestamps=opts.timestamps)
    with session(settings) as eng:
        row = eng.find(ref)
        running, monitor_pid = _follow_rule(eng, row)
        records = read_logs(row, _log_path(eng, row), q, running, monitor_pid)
        if opts.until is None:
            yield from records
            return
        from supervisor.timefmt import parse_rfc3339

        for rec in records:
            if (parse_rfc3339(rec.timestamp) or 0.0) > opts.until:
                return
            yield rec


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


# Signals a foreground `run` passes on to the container (Docker's --sig-proxy).
PROXIED = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH")


@dataclass(frozen=True)
class RunReport:
    id: str
    exit_code: int | None = None  # None: detached


def run(settings: Settings, req: CreateRequest, detach: bool, stdin_fd: int | None) -> RunReport:
    """create + start; in the foreground, attached (output to our fds, signals proxied) and
    until the container exits."""
    with session(settings) as eng:
        row = create_in(eng, req)
        try:
            started = eng.start(row.id, attach=not detach)
        except ScopeboxError:
            if req.options.auto_remove:
                with contextlib.suppress(ScopeboxError):
                    eng.remove(row.id, force=True)
                remove_cidfile(req)
            raise
        if detach:
            return RunReport(row.id)
        code = _foreground(eng, started, stdin_fd)
        if req.options.auto_remove:
            # Docker returns once the container is gone (its name is free again). Removing
            # it here is quicker than waiting for the monitor's own cleanup, which then
            # finds nothing left to do (both take the container's lock).
            eng.cleanup(started.row.id)
        return RunReport(row.id, code)


def _foreground(eng: Engine, started: Started, stdin_fd: int | None) -> int:
    import signal

    pid = started.row.pid

    def forward(signum: int, frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    for name in PROXIED:
        signal.signal(getattr(signal, name), forward)
    record = started.attach.pump(stdin_fd) if started.attach is not None else None
    if record is not None:
        return record.exit_code
    return eng.wait(started.row.id)


def start_attach(settings: Settings, ref: str, stdin_fd: int | None) -> int:
    """`start -a`: the container's output here until it exits; its exit code."""
    with session(settings) as eng:
        started = eng.start(ref, attach=True)
        if started.attach is None:  # it was running already
            return eng.wait(started.row.id)
        rec = started.attach.pump(stdin_fd)
        return rec.exit_code if rec else eng.wait(started.row.id)


def update(settings: Settings, refs: list[str], overrides: ResourceOptions) -> list[Report]:
    """`update`: new limits for created or running containers."""
    from supervisor.update import update as update_one

    with session(settings) as eng:
        return _each(eng, refs, lambda ref: update_one(eng, ref, overrides))


# inspect, export, exec ---------------------------------------------------------------------




def inspect(settings: Settings, refs: list[str], kind: str = "all") -> list[InspectReport]:
    """`inspect --type container|image|all`: Docker's objects, a container first."""
    out = []
    with session(settings) as eng:
        for ref in refs:
            try:
                with mapped():
                    out.append(InspectReport(ref, _inspect_one(eng, ref, kind)))
            except NotFoundError:
                what = "container object" if kind == "container" else "object"
                out.append(InspectReport(ref, err=NotFoundError(what, ref)))
    return out


def _inspect_one(eng: Engine, ref: str, kind: str) -> dict[str, Any]:
    from supervisor import images
    from supervisor.views import inspect_container, inspect_image

    if kind in ("container", "all"):
        try:
            row = eng.find(ref)
            return inspect_container(
                eng.paths, row, eng.store.get_image(row.image_id), eng.restarting(row)
            )
        except NotFoundError:
            if kind == "container":
                raise
    return inspect_image(images.resolve(eng.store, ref), eng.paths)


def export(settings: Settings, ref: str, out: BinaryIO) -> None:
    with session(settings) as eng:
        eng.export(ref, out)


@dataclass(frozen=True)
class ExecRequest:
    command: list[str]
    env: list[str] = field(default_factory=list)
    user: str | None = None
    workdir: str | None = None
    interactive: bool = False
    detach: bool = False


def exec_(settings: Settings, ref: str, req: ExecRequest) -> int:
    """`exec`: the command's exit code (0 when detached)."""
    from supervisor.execute import ExecOptions, exec_in

    opts = ExecOptions(req.command, req.env, req.user, req.workdir, req.interactive, req.detach)
    with session(settings) as eng:
        return exec_in(eng, ref, opts)


def healthcheck_run(settings: Settings, ref: str) -> tuple[int, str]:
    """`healthcheck run`: (0, "healthy") or (1, "unhealthy"/"starting")."""
    from supervisor.execute import healthcheck_run as run_check

    with session(settings) as eng:
        return run_check(eng, ref)


def port(settings: Settings, ref: str) -> list[str]:
    """`port`: the container's published ports; none can be published yet."""
    with session(settings) as eng:
        eng.find(ref)
    return []


def exists(settings: Settings, ref: str) -> bool:
    """`container exists`: by name, id or id prefix, in any state."""
    with session(settings) as eng:
        try:
            eng.find(ref)
        except NotFoundError:
            return False
        return True
