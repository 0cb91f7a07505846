"""pytest plumbing for the three tiers: pure tests, `host` tests (root and runc on the bare host)
and `systemd` tests (inside the real systemd test bed of tests/testbed.py).

A test whose tier cannot run here is skipped loudly, with the way to run it. Under CI=true or
SCOPEBOX_STRICT=1 such a skip fails the session: a green run must mean the tests ran. Select one
tier per session there, e.g. `pytest -m "not systemd"` on the host and
`python tests/testbed.py run -- .venv/bin/pytest -m systemd` for the bed.
"""

from __future__ import annotations

import os
import shutil

import pytest

TIER_MARKERS = ("systemd", "host")
IN_TESTBED = os.environ.get("SCOPEBOX_TESTBED") == "1"
RUN_IN_BED = "python tests/testbed.py run -- .venv/bin/pytest -m systemd"

_tiered: set[str] = set()  # node ids of tests carrying a tier marker
_skipped: dict[str, str] = {}  # node id -> skip reason, for tiered tests only


def strict() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("SCOPEBOX_STRICT") == "1"


def _host_tier_missing() -> str | None:
    if IN_TESTBED:
        return "host tier: runs on the bare host, not inside the systemd test bed"
    if os.geteuid() != 0:
        return "host tier: needs root on the bare host"
    if shutil.which("runc") is None:
        return "host tier: needs runc on PATH (apt-get install runc)"
    return None


def _systemd_tier_missing() -> str | None:
    if not IN_TESTBED:
        return f"systemd tier: needs the real systemd test bed; run it with `{RUN_IN_BED}`"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = {"host": _host_tier_missing(), "systemd": _systemd_tier_missing()}
    for item in items:
        for marker in TIER_MARKERS:
            if item.get_closest_marker(marker) is None:
                continue
            _tiered.add(item.nodeid)
            reason = missing[marker]
            if reason is not None:
                item.add_marker(pytest.mark.skip(reason=reason))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # Skips from a marker show up in setup, pytest.skip() calls in call; xfail is no skip here.
    if report.skipped and report.nodeid in _tiered and not hasattr(report, "wasxfail"):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        _skipped[report.nodeid] = reason


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if strict() and _skipped and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not (strict() and _skipped):
        return
    terminalreporter.section("skipped tier tests fail this session (CI=true / SCOPEBOX_STRICT=1)")
    for nodeid, reason in sorted(_skipped.items()):
        terminalreporter.line(f"FAILED (skipped) {nodeid}: {reason}", red=True)
