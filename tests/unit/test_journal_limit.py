"""supervisor.journal_limit: journald's per-unit burst file, as journald 252 reads it (a
symlink whose target is the number; tests/system/test_journald_limit.py shows journald obeying)."""

from __future__ import annotations

import os
from pathlib import Path

from supervisor import journal_limit as J


def test_lift_writes_the_burst_link_and_restore_removes_it(tmp_path: Path) -> None:
    unit = J.monitor_scope("a" * 64)
    assert unit == "scopebox-conmon-" + "a" * 64 + ".scope"
    assert J.lift(unit, str(tmp_path))
    assert J.lift(unit, str(tmp_path))  # again: replaced, not an error
    path = J.burst_file(unit, str(tmp_path))
    assert path == f"{tmp_path}/log-rate-limit-burst:{unit}"
    assert os.readlink(path) == "100000000"
    assert os.listdir(tmp_path) == [os.path.basename(path)]
    J.restore(unit, str(tmp_path))
    J.restore(unit, str(tmp_path))  # gone already: fine
    assert os.listdir(tmp_path) == []


def test_no_systemd_no_file(tmp_path: Path) -> None:
    assert not J.lift("x.scope", str(tmp_path / "missing"))
    J.restore("x.scope", str(tmp_path / "missing"))


def test_burst_survives_journalds_scaling() -> None:
    """journald multiplies the burst by (log2(free bytes) - 16) / 4 in unsigned 32-bit."""
    assert J.BURST * (58 - 16) < 2**32
