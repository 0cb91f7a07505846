"""helper "flags" (issue 19, second round) on the bare host: `ps --watch` lists again and
shows what changed in between."""

from __future__ import annotations

import pytest

from tests.cases import unique
from tests.clihelp import Scopebox, wait_for

pytestmark = pytest.mark.host


def test_ps_watch_lists_again_with_what_changed(sb: Scopebox) -> None:
    name = unique("watch")
    proc = sb.popen("ps", "-a", "--watch", "1", "--format", "{{.Names}}")
    seen: list[str] = []
    try:
        assert proc.stdout is not None
        sb("create", "--name", name, "busybox", "true")
        for line in proc.stdout:  # the first listings may predate the create
            seen.append(line.strip())
            if name in seen:
                break
        wait_for(lambda: proc.poll() is None, what="ps still watching")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        sb("rm", "-f", name, check=False)
    assert name in seen
    assert proc.returncode != 0  # ended by the signal, not by itself
