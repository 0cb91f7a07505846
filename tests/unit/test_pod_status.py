"""The pure pod status rule (Podman 4.3's)."""

from __future__ import annotations

import pytest

from supervisor.pods.status import PodStatus, pod_status
from supervisor.state import Status

C, R, P, E = Status.CREATED, Status.RUNNING, Status.PAUSED, Status.EXITED


@pytest.mark.parametrize(("states", "want"), [
    ([], PodStatus.CREATED),
    ([C], PodStatus.CREATED),
    ([C, C], PodStatus.CREATED),
    ([R, R], PodStatus.RUNNING),
    ([R, E], PodStatus.DEGRADED),
    ([R, C], PodStatus.DEGRADED),
    ([R, P], PodStatus.DEGRADED),
    ([P, P], PodStatus.PAUSED),
    ([E, E], PodStatus.EXITED),
    ([E, C], PodStatus.STOPPED),
    ([P, E], PodStatus.STOPPED),
])
def test_pod_status(states: list[Status], want: PodStatus) -> None:
    assert pod_status(states) is want


def test_share_parsing() -> None:
    from supervisor.errors import UsageError
    from supervisor.pods.ops import parse_share

    assert parse_share(None) == ("uts", "ipc", "net")
    assert parse_share("net,pid") == ("net", "pid")
    assert parse_share("none") == ()
    with pytest.raises(UsageError, match="invalid kernel namespace to share: bogus"):
        parse_share("net,bogus")
    with pytest.raises(UsageError, match="mount sharing functionality not supported"):
        parse_share("mnt")
