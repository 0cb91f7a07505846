"""The CLI on the bare host: no systemd, cgroupfs manager, k8s-file logs, real runc."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import cases
from tests.clihelp import Scopebox

pytestmark = pytest.mark.host


@pytest.fixture(scope="module")
def sb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scopebox]:
    base = tmp_path_factory.mktemp("scopebox")
    box = Scopebox({"SCOPEBOX_ROOT": str(base / "root"), "SCOPEBOX_RUNROOT": str(base / "run")})
    box.ensure_busybox()
    yield box
    box("rm", "-a", "-f")
    with open("/proc/self/mountinfo") as f:
        mounts = [line.split()[4] for line in f if str(base) in line]
    assert mounts == [], f"mounts left behind: {mounts}"


def test_info_says_no_systemd(sb: Scopebox) -> None:
    out = sb("info", "--format", "json").stdout
    assert '"cgroupManager": "cgroupfs"' in out and '"systemd": false' in out
    assert '"logDriver": "k8s-file"' in out


def test_hello(sb: Scopebox) -> None:
    assert (
        sb("run", "--rm", "busybox", "echo", "hello from scopebox").stdout
        == "hello from scopebox\n"
    )


def test_exit_codes(sb: Scopebox) -> None:
    cases.exit_codes(sb)


def test_exit_137_after_kill9(sb: Scopebox) -> None:
    cases.exit_137_after_kill9(sb)


def test_detached_lifecycle(sb: Scopebox) -> None:
    cases.detached_lifecycle(sb)


def test_foreground_streams(sb: Scopebox) -> None:
    cases.foreground_streams(sb)


def test_interactive_stdin(sb: Scopebox) -> None:
    cases.interactive_stdin(sb)


def test_cli_killed_during_foreground(sb: Scopebox, tmp_path: Path) -> None:
    cases.cli_killed_during_foreground(sb, tmp_path)


def test_monitor_killed(sb: Scopebox) -> None:
    cases.monitor_killed(sb)


def test_parallel_run_rm(sb: Scopebox) -> None:
    cases.parallel_run_rm(sb)


def test_bad_input(sb: Scopebox) -> None:
    cases.bad_input(sb)
