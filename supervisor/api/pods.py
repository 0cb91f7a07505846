"""Pods (issue 15): `pod create|start|stop|kill|restart|pause|unpause|rm|ps|inspect|exists|
prune|top|logs` over `supervisor/pods/`. Options in, reports out, one per pod given."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from supervisor.api import InspectReport, Report, session
from supervisor.errors import NotFoundError, ScopeboxError, mapped
from supervisor.pods.ops import PodCreateRequest
from supervisor.settings import Settings

if TYPE_CHECKING:
    from supervisor.engine import Engine
    from supervisor.options import CreateOptions
    from supervisor.pods.db import PodRow
    from supervisor.store import ContainerRow

__all__ = ["PodCreateRequest", "create", "inspect", "list_pods", "remove", "start", "stop"]


def _maker(eng: Engine) -> Callable[[CreateOptions], ContainerRow]:
    from supervisor.api.containers import CreateRequest, create_in

    return lambda opts: create_in(eng, CreateRequest(opts))


def create(settings: Settings, req: PodCreateRequest) -> str:
    from supervisor.pods import ops

    with session(settings) as eng:
        pod = ops.create(eng, req, _maker(eng))
        _pod_event(eng, pod, "create")  # events (issue 14)
        return pod.id


def _pod_event(eng: Engine, pod: PodRow, status: str) -> PodRow:  # events (issue 14)
    from supervisor.events.write import other

    other(eng.settings, eng.paths, "pod", status, id=pod.id, name=pod.name)
    return pod


def _evented(action: Callable[[Engine, str], PodRow], status: str,
             ) -> Callable[[Engine, str], PodRow]:  # events (issue 14)
    return lambda eng, ref: _pod_event(eng, action(eng, ref), status)


def _each(settings: Settings, refs: list[str], action: Callable[[Engine, str], PodRow],
          ignore: bool = False) -> list[Report]:
    from functools import partial

    from supervisor.api import report_of

    with session(settings) as eng:
        reports = [report_of(ref, partial(action, eng, ref), ignore) for ref in refs]
    return [r for r in reports if r is not None]


def all_ids(settings: Settings) -> list[str]:
    from supervisor.pods.db import PodDB

    with session(settings) as eng:
        return [p.id for p in PodDB(eng.store).list()]


def latest(settings: Settings) -> str:
    from supervisor.pods.db import PodDB

    with session(settings) as eng:
        pods = PodDB(eng.store).list()
        if not pods:
            from supervisor.pods.db import PodNotFound

            raise PodNotFound("latest")
        return pods[-1].id


def start(settings: Settings, refs: list[str]) -> list[Report]:
    from supervisor.pods import ops

    return _each(settings, refs, _evented(ops.start, "start"))


def stop(settings: Settings, refs: list[str], timeout: int | None = None,
         ignore: bool = False) -> list[Report]:
    from supervisor.pods import ops

    return _each(settings, refs, _evented(lambda e, r: ops.stop(e, r, timeout), "stop"), ignore)


def restart(settings: Settings, refs: list[str]) -> list[Report]:
    from supervisor.pods import ops

    return _each(settings, refs, ops.restart)


def kill(settings: Settings, refs: list[str], signal: str = "SIGKILL") -> list[Report]:
    from supervisor.pods import ops

    return _each(settings, refs, _evented(lambda e, r: ops.kill(e, r, signal), "kill"))


def pause(settings: Settings, refs: list[str]) -> list[Report]:
    from supervisor.pods import ops

    return _each(settings, refs, _evented(ops.pause, "pause"))


def unpause(settings: Settings, refs: list[str]) -> list[Report]:
    from supervisor.pods import ops

    return _each(settings, refs, _evented(ops.unpause, "unpause"))


@dataclass(frozen=True)
class RemoveOptions:
    force: bool = False
    ignore: bool = False
    timeout: int | None = None


def remove(settings: Settings, refs: list[str], opts: RemoveOptions) -> list[Report]:
    from supervisor.pods import ops

    # Podman: --force also ignores pods that do not exist (as `rm --force`)
    return _each(settings, refs, _evented(lambda e, r: ops.remove(e, r, opts.force, opts.timeout),
                                          "remove"), opts.ignore or opts.force)


def prune(settings: Settings) -> list[str]:
    from supervisor.pods import ops

    with session(settings) as eng:
        return [p.id for p in ops.prune(eng)]


def exists(settings: Settings, ref: str) -> bool:
    from supervisor.pods.db import PodDB

    with session(settings) as eng:
        try:
            PodDB(eng.store).find(ref)
        except NotFoundError:
            return False
        return True


@dataclass(frozen=True)
class ListOptions:
    filters: list[tuple[str, str]] = field(default_factory=list)
    no_trunc: bool = False


@dataclass(frozen=True)
class PodEntry:
    id: str
    fields: dict[str, Any]
    json: dict[str, Any]


FILTER_KEYS = ("id", "name", "status", "label", "network", "ctr-names", "ctr-ids",
               "ctr-number", "ctr-status")


def parse_filters(items: list[str]) -> list[tuple[str, str]]:
    from supervisor.errors import UsageError

    out = []
    for item in items:
        key, eq, value = item.partition("=")
        if not eq:
            raise UsageError(f"invalid filter {item!r}: expected key=value")
        if key not in FILTER_KEYS:
            raise UsageError(f"{key} is an invalid filter")
        out.append((key, value))
    return out


def _match(pod: PodRow, rows: list[ContainerRow], key: str, value: str, status: str) -> bool:
    if key == "id":
        return pod.id.startswith(value)
    if key == "name":
        import re

        return re.search(value, pod.name) is not None
    if key == "status":
        return status.lower() == value.lower()
    if key == "label":
        k, eq, v = value.partition("=")
        return k in pod.config.labels and (not eq or pod.config.labels[k] == v)
    if key == "network":
        return value in (pod.config.network or "podman").split(",")
    if key == "ctr-names":
        return any(r.name == value for r in rows)
    if key == "ctr-ids":
        return any(r.id.startswith(value) for r in rows)
    if key == "ctr-number":
        return str(len(rows)) == value
    return any(r.status.value == value for r in rows)  # ctr-status


def list_pods(settings: Settings, opts: ListOptions) -> list[PodEntry]:
    from supervisor.pods import ops, views

    out = []
    with session(settings) as eng:
        for pod, rows in ops.list_pods(eng):
            status = ops.status_of(rows).value
            # Podman: different keys AND, repeated values of one key OR
            keys = {k for k, _ in opts.filters}
            if all(any(_match(pod, rows, k, v, status) for kk, v in opts.filters if kk == k)
                   for k in keys):
                out.append(PodEntry(pod.id, views.ps_item(pod, rows, opts.no_trunc),
                                    views.ps_json(pod, rows)))
    return out


def inspect(settings: Settings, refs: list[str]) -> list[InspectReport]:
    from supervisor.pods import ops, views

    out = []
    with session(settings) as eng:
        for ref in refs:
            try:
                with mapped():
                    pod = ops.find(eng, ref)
                    out.append(InspectReport(ref, views.inspect(pod, ops.containers(eng, pod))))
            except ScopeboxError as exc:
                out.append(InspectReport(ref, None, exc))
    return out


def container_ids(settings: Settings, ref: str) -> list[str]:
    """`pod top` and `pod logs`: the pod's containers (infra first)."""
    from supervisor.pods import ops

    with session(settings) as eng:
        return [r.id for r in ops.containers(eng, ops.find(eng, ref))]
