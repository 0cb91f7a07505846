"""Driving the real `scopebox` CLI as a user types it, and finding what it left behind."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCOPEBOX = [sys.executable, "-m", "supervisor"]
# Deadlines for what the system does asynchronously stretch on slow machines: the v2 lane's VM
# (software emulation) sets this to ~10. Never a pass/fail threshold of a timing goal.
TIMEOUT_SCALE = float(os.environ.get("SCOPEBOX_TIMEOUT_SCALE", "1"))


@dataclass
class Scopebox:
    env: dict[str, str] = field(default_factory=dict)
    wrap: list[str] = field(default_factory=list)  # e.g. nsenter --net=NS (network tests)

    @property
    def root(self) -> str:
        return self.env.get("SCOPEBOX_ROOT", "/var/lib/scopebox")

    @property
    def runroot(self) -> str:
        return self.env.get("SCOPEBOX_RUNROOT", "/run/scopebox")

    def environ(self) -> dict[str, str]:
        return {**os.environ, **self.env}

    def __call__(
        self, *args: str, check: bool = True, timeout: float = 120, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        res = subprocess.run(
            [*self.wrap, *SCOPEBOX, *args],
            capture_output=True,
            text=True,
            env=self.environ(),
            timeout=timeout * TIMEOUT_SCALE,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            cwd=REPO,
        )
        if check and res.returncode != 0:
            raise AssertionError(
                f"scopebox {' '.join(args)} exited {res.returncode}\n"
                f"stdout: {res.stdout}\nstderr: {res.stderr}"
            )
        return res

    def popen(self, *args: str, **kw: object) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*self.wrap, *SCOPEBOX, *args],
            env=self.environ(),
            text=True,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            **kw,
        )  # type: ignore[call-overload]

    def inspect(self, ref: str) -> dict[str, object]:
        out = json.loads(self("inspect", "--type", "container", ref).stdout)
        assert isinstance(out, list) and len(out) == 1
        return dict(out[0])

    def state(self, ref: str) -> dict[str, object]:
        st = self.inspect(ref)["State"]
        assert isinstance(st, dict)
        return st

    def ensure_busybox(self) -> None:
        if self("image", "inspect", "busybox", check=False).returncode == 0:
            return
        tar = Path(self.root).parent / "busybox-test.tar"
        os.makedirs(tar.parent, exist_ok=True)
        subprocess.run(["sh", str(REPO / "packaging/busybox-rootfs.sh"), str(tar)], check=True)
        self("import", "--change", 'CMD ["sh"]', str(tar), "busybox")
        tar.unlink()


def wait_for(cond: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    """Re-check a condition the system changes asynchronously, with a deadline."""
    timeout *= TIMEOUT_SCALE
    deadline = time.monotonic() + timeout
    delay = 0.01
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def _units(cid: str) -> list[str]:
    out = subprocess.run(
        ["systemctl", "list-units", "--all", "--no-legend", "--plain", f"*{cid}*"],
        capture_output=True,
        text=True,
    ).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def _units_after_settling(cid: str, timeout: float = 5.0) -> list[str]:
    """systemd learns of unmounts and emptied scopes asynchronously: give it a moment."""
    with contextlib.suppress(AssertionError):
        wait_for(lambda: not _units(cid), timeout=timeout, what="units to go away")
    return _units(cid)


def _cgroups(cid: str) -> list[str]:
    return glob.glob(f"/sys/fs/cgroup/*/**/*{cid}*", recursive=True)


def leftovers(sb: Scopebox, cid: str) -> list[str]:
    """Everything a removed container could leak: mounts, runtime state, cgroups, dirs, units."""
    found: list[str] = []
    with open("/proc/self/mountinfo") as f:
        found += [f"mount {line.split()[4]}" for line in f if cid in line]
    found += [
        f"dir {p}"
        for p in (
            f"{sb.root}/containers/{cid}",
            f"{sb.runroot}/containers/{cid}",
            f"{sb.runroot}/runc/{cid}",
            f"{sb.runroot}/locks/{cid}.lock",
        )
        if os.path.exists(p)
    ]
    systemd = os.path.exists("/run/systemd/system")
    units = _units_after_settling(cid) if systemd else []
    if systemd:  # a stopped scope's cgroups go a moment after its unit (systemd prunes them)
        with contextlib.suppress(AssertionError):
            wait_for(lambda: not _cgroups(cid), timeout=5, what="cgroups")
    found += [f"cgroup {p}" for p in _cgroups(cid)]
    found += [f"unit {u}" for u in units]
    if systemd:
        # journald's per-unit files (supervisor.journal_limit; PID 1's go with their unit)
        found += [f"file {p}" for p in glob.glob(f"/run/systemd/units/*{cid}*")]
    if cid in sb("ps", "-aq", "--no-trunc").stdout:
        found.append("row in ps -a")
    return found
