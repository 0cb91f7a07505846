"""A pod's status from its containers' (Podman 4.3, libpod/pod_status.go), with no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from supervisor.state import Status


class PodStatus(StrEnum):
    CREATED = "Created"
    RUNNING = "Running"
    DEGRADED = "Degraded"  # some containers run, others do not
    EXITED = "Exited"  # all exited
    STOPPED = "Stopped"  # some exited, none running, not all exited
    PAUSED = "Paused"


def pod_status(containers: Iterable[Status]) -> PodStatus:
    """Podman's rule: no containers is Created; all running Running; some running Degraded;
    all paused Paused; all exited Exited; some exited Stopped; else Created."""
    counts = {s: 0 for s in Status}
    total = 0
    for status in containers:
        counts[status] += 1
        total += 1
    running = counts[Status.RUNNING]
    if total == 0:
        return PodStatus.CREATED
    if running == total:
        return PodStatus.RUNNING
    if running > 0:
        return PodStatus.DEGRADED
    if counts[Status.PAUSED] == total:
        return PodStatus.PAUSED
    if counts[Status.EXITED] == total:
        return PodStatus.EXITED
    if counts[Status.EXITED] > 0:
        return PodStatus.STOPPED
    return PodStatus.CREATED
