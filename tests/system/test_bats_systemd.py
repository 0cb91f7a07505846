"""What Podman 4.3.1's bats files caught in the systemd test bed (tools/bats_in_bed.sh runs
them there): behaviour that needs journald or systemd to check."""

from __future__ import annotations

import pytest

from tests import cases
from tests.clihelp import Scopebox

pytestmark = pytest.mark.systemd


def test_follow_of_a_journald_log_needs_the_journald_events_backend(sb: Scopebox) -> None:
    """035-logs "journald log driver requires journald events backend": Podman's refusal and
    words; without --follow the log reads, and with the journald backend it follows."""
    name = cases.unique("jfollow")
    sb("--events-backend=file", "run", "--log-driver=journald", "-d", "--name", name,
       "busybox", "echo", "hi")  # fmt: skip
    try:
        sb("wait", name)
        assert sb("--events-backend=file", "logs", name).stdout == "hi\n"
        res = sb("--events-backend=file", "logs", "--follow", name, check=False)
        assert (res.returncode, res.stdout) == (125, "")
        assert res.stderr == ("Error: using --follow with the journald --log-driver but without"
                              " the journald --events-backend (file) is not supported\n")
        assert sb("logs", "--follow", name).stdout == "hi\n"
    finally:
        sb("rm", "-f", name)
