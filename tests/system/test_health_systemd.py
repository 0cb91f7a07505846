"""Healthchecks under a real systemd: status changes reach the journal, one entry each."""

from __future__ import annotations

import pytest

from tests import cases
from tests.cases_health import health
from tests.clihelp import Scopebox, wait_for
from tests.system.test_cli_systemd import journal

pytestmark = pytest.mark.systemd


def test_health_status_changes_are_journal_entries_one_per_change(sb: Scopebox) -> None:
    name = cases.unique("hjournal")
    cid = sb("run", "-d", "--name", name, "--health-cmd", "test -e /tmp/ok",
             "--health-interval", "200ms", "--health-retries", "1",
             "busybox", "sh", "-c", "echo only-output; exec sleep 1000").stdout.strip()  # fmt: skip

    def streak_at_least(n: int) -> bool:
        h = health(sb, name)
        return h["Status"] == ("healthy" if n == 0 else "unhealthy") and (
            h["FailingStreak"] >= n if n else len(h["Log"]) >= 3 and h["Log"][-3]["ExitCode"] == 0
        )

    wait_for(lambda: streak_at_least(4), timeout=30, what="four failures in a row")
    sb("exec", name, "touch", "/tmp/ok")
    wait_for(lambda: streak_at_least(0), timeout=30, what="three passes in a row")
    sb("exec", name, "rm", "/tmp/ok")
    wait_for(lambda: streak_at_least(4), timeout=30, what="four failures again")
    events = journal(f"CONTAINER_NAME={name}", "SCOPEBOX_EVENT=health_status")
    # Three changes (starting -> unhealthy -> healthy -> unhealthy) over a dozen checks.
    assert [e["SCOPEBOX_HEALTH_STATUS"] for e in events] == ["unhealthy", "healthy", "unhealthy"]
    for e in events:
        assert e["CONTAINER_ID"] == cid[:12] and e["SCOPEBOX_ID"] == cid, e
        assert e["MESSAGE"].startswith(f"container health_status {cid}"), e
    # The entries are events, not the container's output.
    assert sb("logs", name).stdout == "only-output\n"
    sb("rm", "-f", name)
