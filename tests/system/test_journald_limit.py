"""journald's rate limit is lifted for scopebox's own units only (supervisor.journal_limit),
not host-wide: with journald's defaults (no `--journald-unlimited` drop-in), a container's 60000
lines in a few seconds all reach the journal, while another unit doing the same loses lines."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from supervisor.install_units import JOURNALD_DROPIN
from supervisor.journal_limit import burst_file, monitor_scope
from tests import cases
from tests.clihelp import Scopebox, wait_for

pytestmark = [pytest.mark.systemd]

N = 60000  # journald's default: 10000 in 30 s, x3.5 for the bed's free space


def restart_journald() -> None:
    subprocess.run(["systemctl", "restart", "systemd-journald"], check=True, timeout=60)


@pytest.fixture(scope="module")
def default_limits() -> Iterator[None]:
    """journald with its default rate limit, whatever the host installed (the bed's /etc is
    an overlay: this changes nothing outside it)."""
    dropin = Path("/", JOURNALD_DROPIN)
    kept = Path("/run/scopebox-test-monitor-dropin")
    moved = dropin.exists()
    if moved:
        shutil.move(dropin, kept)
        restart_journald()
    try:
        yield
    finally:
        if moved:
            shutil.move(kept, dropin)
            restart_journald()


@pytest.fixture(scope="module")
def sb(default_limits: None) -> Iterator[Scopebox]:
    box = Scopebox({})
    box.ensure_busybox()
    yield box
    box("rm", "-a", "-f")


def journal_lines(*match: str) -> list[str]:
    subprocess.run(["journalctl", "--sync"], check=False)
    out = subprocess.run(["journalctl", "-q", "-o", "cat", "--no-pager", *match],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return out.splitlines()


def test_other_units_keep_journald_limit(default_limits: None) -> None:
    """The control: journald applies a per-unit burst in this bed (the file the engine writes
    for its monitors, here a low one), so the next tests can fail."""
    tag = cases.unique("scopebox-test-monitor-rl")
    # Its own low burst, by the per-unit file the engine raises for its monitors: journald's
    # default scales with free space and let all N through in loaded full bed runs.
    low = burst_file(f"{tag}.scope")
    os.symlink("100", low)
    try:
        subprocess.run(["systemd-run", "--quiet", "--scope", f"--unit={tag}.scope", "sh", "-c",
                        f"seq 1 {N} | systemd-cat -t {tag}"], check=True, timeout=120)  # fmt: skip
    finally:
        os.unlink(low)
    wait_for(lambda: len(journal_lines("-t", tag)) > 0, timeout=30, what="the first line")
    lines = journal_lines("-t", tag)
    assert 0 < len(lines) < N
    assert lines == [str(i) for i in range(1, len(lines) + 1)]  # the limit cut the tail


@pytest.mark.parametrize("restart", ["no", "on-failure"])
def test_container_lines_are_not_limited(sb: Scopebox, restart: str) -> None:
    """A scope's monitor (the engine's burst file) and a restart policy's service
    (LogRateLimitBurst=): every line is in the journal, and the burst file goes with the run."""
    name = cases.unique("flood")
    cid = sb("run", "-d", "--name", name, "--restart", restart, "busybox", "sh", "-c",
             f"seq 1 {N}").stdout.strip()  # fmt: skip
    if restart == "no":
        assert os.readlink(burst_file(monitor_scope(cid))) == "100000000"
    assert sb("wait", name, timeout=300).stdout.strip() == "0"
    wait_for(lambda: sb("logs", "--tail", "1", name).stdout == f"{N}\n", timeout=60,
             what="the last line in the journal")  # fmt: skip
    assert sb("logs", name).stdout.splitlines() == [str(i) for i in range(1, N + 1)]
    sb("rm", name)
    assert not os.path.lexists(burst_file(monitor_scope(cid)))
    assert not os.path.lexists(burst_file(f"scopebox-{cid}.service"))
