"""stop's and kill's quick path (supervisor/stopquick.py, issue 16) under a real systemd: the
monitor in its transient scope, the container in its own; the same cases as on the bare host,
and no unit left behind (leftovers)."""

from __future__ import annotations

import pytest

from tests.host.test_stop_host import (  # noqa: F401 (collected by pytest in this module)
    test_cli_killed_during_stop,
    test_kill_is_quick_and_wait_sees_it,
    test_stop_is_exited_at_once_and_loads_no_engine,
    test_stop_timeout_kills_and_rm_container_goes,
)

pytestmark = pytest.mark.systemd
