"""`build` under a real systemd: the step containers run in transient scopes, and none of
their units, containers or mounts outlives the build, built or failed."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.clihelp import Scopebox

pytestmark = pytest.mark.systemd


def _scopes() -> list[str]:
    out = subprocess.run(["systemctl", "list-units", "--all", "--no-legend", "--plain",
                          "scopebox-*"], capture_output=True, text=True, check=True).stdout
    units = (line.split()[0] for line in out.splitlines() if line.strip())
    return sorted(u for u in units if re.fullmatch(r"scopebox-(conmon-)?[0-9a-f]{64}\.scope", u))


def test_build_under_systemd_leaves_no_unit(sb: Scopebox, tmp_path: Path) -> None:
    before = _scopes()
    (tmp_path / "Containerfile").write_text(
        "FROM busybox\nRUN cat /proc/self/cgroup | grep -c scopebox- > /in-scope\n"
        'CMD ["cat", "/in-scope"]\n')  # fmt: skip
    sb("build", "-q", "-t", "sysbuild", str(tmp_path))
    assert sb("run", "--rm", "sysbuild").stdout.strip() != "0"  # the RUN was in a scope
    (tmp_path / "fail").write_text("FROM busybox\nRUN exit 4\n")
    res = sb("build", "-f", str(tmp_path / "fail"), str(tmp_path), check=False)
    assert res.returncode == 4
    assert sb("ps", "-aq").stdout == ""
    assert _scopes() == before
    with open("/proc/self/mountinfo") as f:
        assert [ln for ln in f if "/containers/" in ln and sb.root in ln] == []
    sb("rmi", "sysbuild")
