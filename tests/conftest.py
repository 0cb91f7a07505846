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
from hypothesis import settings

# Timings belong in bench/: a loaded machine must not fail a property test for being slow
# (hypothesis' default deadline is 200 ms per example).
settings.register_profile("scopebox", deadline=None)
settings.load_profile("scopebox")

TIER_MARKERS = ("systemd", "host")
IN_TESTBED = os.environ.get("SCOPEBOX_TESTBED") == "1"
# The pure cgroup v2 lane (tests/vm/lane.py): a VM with systemd as PID 1. There the host tier
# runs with the cgroupfs manager, the systemd tier with systemd's, and every skip fails.
IN_VM = os.environ.get("SCOPEBOX_VM") == "1"
VM_CGROUPFS = IN_VM and os.environ.get("SCOPEBOX_CGROUP_MANAGER") == "cgroupfs"
RUN_IN_BED = "python tests/testbed.py run -- .venv/bin/pytest -m systemd"


PROC_NET_INIT_INO = 0xEFFFFFF9  # the kernel's fixed inode of the initial network namespace


def _in_initial_netns() -> bool:
    try:
        return os.stat("/proc/self/ns/net").st_ino == PROC_NET_INIT_INO
    except OSError:
        return True


# networking (issue 13): new containers default to the bridge network as root, as Podman's
# do; tests never change this machine's own network namespace, so in it they default to
# `none` (containers.conf's netns). Under `unshare -n` (a private netns) the whole host tier
# runs with the default bridge network.
if _in_initial_netns() and not IN_TESTBED:
    os.environ.setdefault("SCOPEBOX_NETNS", "none")

_tiered: set[str] = set()  # node ids of tests carrying a tier marker
_skipped: dict[str, str] = {}  # node id -> skip reason, for tiered tests only


def strict() -> bool:
    ci = os.environ.get("CI", "").lower() == "true"
    return IN_VM or ci or os.environ.get("SCOPEBOX_STRICT") == "1"


def _host_tier_missing() -> str | None:
    if IN_TESTBED:
        return "host tier: runs on the bare host, not inside the systemd test bed"
    if IN_VM and not VM_CGROUPFS:
        return "host tier: in the v2 lane's VM it needs SCOPEBOX_CGROUP_MANAGER=cgroupfs"
    if os.geteuid() != 0:
        return "host tier: needs root on the bare host"
    if shutil.which("runc") is None:
        return "host tier: needs runc on PATH (apt-get install runc)"
    return None


def _systemd_tier_missing() -> str | None:
    if IN_VM and VM_CGROUPFS:
        return "systemd tier: not with SCOPEBOX_CGROUP_MANAGER=cgroupfs"
    if not (IN_TESTBED or IN_VM):
        return f"systemd tier: needs the real systemd test bed; run it with `{RUN_IN_BED}`"
    return None


def pure_v2() -> bool:
    return os.path.exists("/sys/fs/cgroup/cgroup.controllers")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not pure_v2():
        # Tests of what only a pure v2 host has: the v2 lane runs them (tests/vm/lane.py).
        v2_only = [item for item in items if item.get_closest_marker("cgroup_v2")]
        if v2_only:
            config.hook.pytest_deselected(items=v2_only)
            items[:] = [item for item in items if item.get_closest_marker("cgroup_v2") is None]
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
    # In the v2 lane every test was chosen to run there: any skip counts.
    counted = report.nodeid in _tiered or IN_VM
    if report.skipped and counted and not hasattr(report, "wasxfail"):
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
