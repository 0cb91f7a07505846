"""Pods (issue 15, helper podsx): looking into a pod (`pod top`, `pod logs`, `pod stats` over
its containers) and `pod clone`. The other pod verbs are in `api/pods.py`."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from supervisor.api import session
from supervisor.errors import NotFoundError, ScopeboxError, UsageError
from supervisor.pods.clone import PodCloneRequest as PodCloneRequest  # the request type
from supervisor.settings import Settings

if TYPE_CHECKING:
    from supervisor.api.containers import LogsOptions
    from supervisor.api.stats import TopReport
    from supervisor.engine import Engine
    from supervisor.logs import LogRecord
    from supervisor.pods.db import PodRow
    from supervisor.stats import Stats


def parse_cpus(value: str) -> float:
    """`pod create --cpus` (helper podsx): a number of CPUs within the host's."""
    from supervisor.pods.cgroup import parse_cpus as parse

    return parse(value)


def check_cpuset(flag: str, value: str) -> str:
    """`pod create --cpuset-cpus/--cpuset-mems` (issue 19): a list of numbers and ranges."""
    from supervisor.pods.cgroup import check_cpuset as check

    return check(flag, value)


def check_swap(swap: int, memory: int) -> int:
    """`pod create --memory-swap` (issue 19): memory plus swap, above `--memory`."""
    from supervisor.pods.cgroup import check_swap as check

    return check(swap, memory)


def top(settings: Settings, ref: str, descriptors: list[str]) -> TopReport:
    """The processes of the pod's running containers, infra first (Podman's pod top); a pod
    with none running shows nothing."""

    from supervisor.api.stats import COLUMNS, Clock, TopReport, parse_descriptors
    from supervisor.pods import ops
    from supervisor.stats import container_processes

    procs = []
    with session(settings) as eng:
        for row in ops.containers(eng, ops.find(eng, ref)):
            if row.status.value != "running":
                continue
            try:
                procs += container_processes(row)
            except (OSError, ScopeboxError):  # it stopped meanwhile
                continue
    if not procs:  # Podman checks the descriptors only when something runs
        return TopReport([], [])
    columns = parse_descriptors(descriptors)
    clock = Clock.now()
    return TopReport([COLUMNS[c][0] for c in columns],
                     [[COLUMNS[c][1](p, clock) for c in columns] for p in procs])


class NotInPod(NotFoundError):
    """Podman's wording."""

    def __init__(self, container: str, pod: str) -> None:
        self.kind = "container"
        self.ref = container
        ScopeboxError.__init__(self, f"container {container} is not in pod {pod}: "
                               "no such container")


@dataclass(frozen=True)
class PodLogLine:
    id: str  # the container's full id
    name: str
    record: LogRecord


def _members(settings: Settings, ref: str, container: str) -> list[tuple[str, str]]:
    """(id, name) of the pod's containers that keep logs; with `container`, that one only."""
    from supervisor.pods import ops

    with session(settings) as eng:
        pod = ops.find(eng, ref)
        rows = ops.containers(eng, pod)
        if container:
            chosen = [r for r in rows if container in (r.name, r.id)
                      or (len(container) >= 3 and r.id.startswith(container))]
            if not chosen:
                raise NotInPod(container, ref)
            rows = chosen[:1]
        return [(r.id, r.name) for r in rows if r.config.log.driver != "none"]


def logs(settings: Settings, ref: str, opts: LogsOptions,
         container: str = "") -> Iterator[PodLogLine]:
    """The logs of the pod's containers (or of `container`, which must be one of them).
    Without follow: each container's records merged by time. With follow: as they come, until
    every container's last run is over."""
    from supervisor.api import containers as capi

    members = _members(settings, ref, container)
    if not opts.follow:
        lines = [PodLogLine(cid, name, rec) for cid, name in members
                 for rec in capi.logs(settings, cid, opts)]
        lines.sort(key=lambda ln: ln.record.timestamp)
        yield from lines
        return
    q: queue.Queue[PodLogLine | None] = queue.Queue()

    def pump(cid: str, name: str) -> None:
        try:
            for rec in capi.logs(settings, cid, opts):
                q.put(PodLogLine(cid, name, rec))
        except ScopeboxError:  # removed meanwhile: its lines end there
            pass
        finally:
            q.put(None)

    for cid, name in members:
        threading.Thread(target=pump, args=(cid, name), daemon=True).start()
    left = len(members)
    while left:
        item = q.get()
        if item is None:
            left -= 1
        else:
            yield item


@dataclass(frozen=True)
class PodStats:
    pod_id: str
    stats: Stats


def stats_item(reading: PodStats) -> dict[str, str]:
    """Podman 4.3's pod stats report (`entities.PodStatsReport`): the CLI's fields and the
    service's JSON, strings as shown; a container not running has dashes."""
    from supervisor.sizes import bytes_size, human_size

    s = reading.stats
    out = {
        "CPU": "--", "MemUsage": "-- / --", "MemUsageBytes": "-- / --", "Mem": "--",
        "NetIO": "-- / --", "BlockIO": "-- / --", "PIDS": "--",
        "Pod": reading.pod_id[:12], "CID": s.id[:12], "Name": s.name,
    }  # fmt: skip
    if s.running:
        out.update({
            "CPU": f"{s.cpu_percent:.2f}%",
            "MemUsage": f"{human_size(s.mem_usage)} / {human_size(s.mem_limit)}",
            "MemUsageBytes": f"{bytes_size(s.mem_usage)} / {bytes_size(s.mem_limit)}",
            "Mem": f"{s.mem_percent:.2f}%",
            "BlockIO": f"{human_size(s.block_read)} / {human_size(s.block_write)}",
            "PIDS": str(s.pids),
        })  # fmt: skip
    return out


def _pods_to_read(eng: Engine, refs: list[str], all_: bool) -> list[PodRow]:
    from supervisor.pods import ops

    if refs:
        return [ops.find(eng, r) for r in refs]
    return [p for p, rows in ops.list_pods(eng) if all_ or any(r.status.is_active for r in rows)]


def stats(settings: Settings, refs: list[str], all_: bool,
          interval: float) -> Iterator[list[PodStats]]:
    """Readings of every container of the pods named (none named: the pods with a running
    container, or with `all_` all of them), one list per `interval`. The first reading comes
    at once: its CPU % is the average since each container started (Podman's first)."""
    from dataclasses import replace

    from supervisor.pods import ops
    from supervisor.stats import container_stats

    if interval <= 0:
        raise UsageError("invalid interval, must be a positive number greater zero")
    previous: dict[str, Stats] = {}
    while True:
        out = []
        with session(settings) as eng:
            for pod in _pods_to_read(eng, refs, all_):
                for row in ops.containers(eng, pod):
                    reading = container_stats(row, previous.get(row.id))
                    if row.id not in previous:
                        reading = replace(reading, cpu_percent=reading.avg_cpu_percent)
                    out.append(PodStats(pod.id, reading))
        previous = {s.stats.id: s.stats for s in out}
        yield out
        time.sleep(interval)


def clone(settings: Settings, ref: str, req: PodCloneRequest) -> str:
    """`pod clone` (helper podsx): the new pod's id."""
    from supervisor.api.containers import CreateRequest, create_in
    from supervisor.pods.clone import clone as clone_pod

    with session(settings) as eng:
        return clone_pod(
            eng, ref, req,
            lambda opts: create_in(eng, CreateRequest(opts)),
            lambda opts, pod: create_in(eng, CreateRequest(opts, pod=pod)),
        ).id
