"""Without systemd (the cgroupfs manager) there is no supervisor to restart containers."""

from __future__ import annotations

import pytest

from tests.cases_units import test_cidfile_replace_and_ignore  # noqa: F401
from tests.clihelp import Scopebox

pytestmark = pytest.mark.host


@pytest.mark.parametrize("policy", ["always", "on-failure", "on-failure:3", "unless-stopped"])
def test_restart_policies_are_refused_without_systemd(sb: Scopebox, policy: str) -> None:
    for verb in ("run", "create"):
        args = [verb, *(["-d"] if verb == "run" else []), "--restart", policy, "busybox", "true"]
        res = sb(*args, check=False)
        assert res.returncode == 125, res
        assert "needs systemd" in res.stderr and res.stderr.count("\n") == 1, res.stderr
    assert sb("ps", "-aq").stdout == ""


def test_restart_no_works_and_shows_in_inspect(sb: Scopebox) -> None:
    cid = sb("run", "-d", "--restart", "no", "busybox", "true").stdout.strip()
    assert sb.inspect(cid)["HostConfig"]["RestartPolicy"] == {  # type: ignore[index]
        "Name": "no", "MaximumRetryCount": 0,
    }  # fmt: skip
    sb("rm", "-f", cid)


def test_split_needs_a_cgroup_of_its_own_or_works(sb: Scopebox) -> None:
    """On the bare host the test runner sits in some cgroup: split puts the container
    below it, and the monitor stays where the CLI was."""
    res = sb("run", "--rm", "--cgroups=split", "busybox", "cat", "/proc/self/cgroup", check=False)
    assert res.returncode == 0 or "needs to run inside a cgroup" in res.stderr, res
