"""A real reboot for restart policies: two successive test beds (tests/testbed.py) on one state
dir. The second bed is the machine after a reboot: same /var/lib/scopebox, fresh /run (run dir,
runtime state, mounts, units, cgroups gone), a new boot id, and systemd's own boot, which runs
the boot unit packaging/install.sh enabled (scopebox-restart.service)."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests import testbed
from tests.clihelp import REPO, SCOPEBOX, TIMEOUT_SCALE

pytestmark = pytest.mark.host

# The bed's default store, whatever the runner's environment says.
BED_ENV = {"SCOPEBOX_ROOT": "/var/lib/scopebox", "SCOPEBOX_RUNROOT": "/run/scopebox"}
BOOT_UNIT = "scopebox-restart.service"
BOOT_ID = f"/{testbed.BOOT_ID}"
STATE = Path("/", testbed.STATE)  # the state dir inside a bed


def in_bed(
    bed: testbed.TestBed, *argv: str, check: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `argv` inside the bed as a user's shell would; its output."""
    proc = bed.popen(
        argv, cwd=REPO, env=BED_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=timeout * TIMEOUT_SCALE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    res = subprocess.CompletedProcess(list(argv), proc.returncode, out, err)
    if check and res.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {res.returncode}\n{out}\n{err}")
    return res


def sb(bed: testbed.TestBed, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return in_bed(bed, *SCOPEBOX, *args, check=check)


def states(bed: testbed.TestBed, names: Sequence[str]) -> dict[str, dict[str, object]]:
    out = json.loads(sb(bed, "inspect", "--type", "container", *names).stdout)
    return {str(info["Name"]).lstrip("/"): info for info in out}


def _mounts_under(path: Path) -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if str(path) in line.split()[4]]


@pytest.fixture
def state_dir(tmp_path: Path) -> Iterator[Path]:
    """The machine's /var/lib/scopebox across its boots; removed, and checked, afterwards."""
    path = tmp_path / "var-lib-scopebox"
    path.mkdir(mode=0o700)
    yield path
    assert _mounts_under(path) == []
    shutil.rmtree(path)
    assert not path.exists()


def test_reboot_brings_back_always_and_unless_stopped(state_dir: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    policies = ("always", "unless-stopped", "no")
    names = {p: f"{p}-{tag}" for p in policies}
    user_stopped = f"stopped-{tag}"
    every = [*names.values(), user_stopped]
    cgroups: list[Path] = []

    # First boot: containers under each policy, one unless-stopped stopped by its user.
    tar = state_dir / "busybox-test.tar"  # the one host path the bed sees besides the checkout
    subprocess.run(["sh", str(REPO / "packaging/busybox-rootfs.sh"), str(tar)], check=True)
    with testbed.booted(state_dir=state_dir, quiet=True) as bed:
        cgroups += bed.cgroups
        first_boot = in_bed(bed, "cat", BOOT_ID).stdout.strip()
        sb(bed, "import", "--change", 'CMD ["sh"]', str(STATE / tar.name), "busybox")
        tar.unlink()
        for policy, name in names.items():
            sb(bed, "run", "-d", "--name", name, "--restart", policy, "busybox", "sleep", "1000")
        sb(bed, "run", "-d", "--name", user_stopped, "--restart", "unless-stopped", "busybox",
           "sleep", "1000")  # fmt: skip
        sb(bed, "stop", "-t", "0", user_stopped)
        before = states(bed, every)
        assert [before[n]["State"]["Status"] for n in every] == [  # type: ignore[index]
            "running", "running", "running", "exited",
        ]  # fmt: skip
    # Powered off: the bed, its mounts and cgroups are gone; the state dir stays.
    assert (state_dir / "state.db").exists() and _mounts_under(state_dir) == []

    # Second boot on the same state dir: systemd runs the boot unit by itself.
    with testbed.booted(state_dir=state_dir, quiet=True) as bed:
        cgroups += bed.cgroups
        second_boot = in_bed(bed, "cat", BOOT_ID).stdout.strip()
        host_boot = Path(BOOT_ID).read_text().strip()
        assert len({first_boot, second_boot, host_boot}) == 3
        unit = in_bed(bed, "systemctl", "show", BOOT_UNIT, "--property=ActiveState,Result,"
                      "ExecMainStatus,UnitFileState").stdout.split()  # fmt: skip
        status = in_bed(bed, "systemctl", "status", BOOT_UNIT, "--no-pager", check=False).stdout
        assert sorted(unit) == [
            "ActiveState=active", "ExecMainStatus=0", "Result=success", "UnitFileState=enabled",
        ], status  # fmt: skip
        after = states(bed, every)
        for name in (names["always"], names["unless-stopped"]):
            st, old = after[name]["State"], before[name]["State"]
            assert isinstance(st, dict) and isinstance(old, dict)
            assert st["Status"] == "running" and st["Pid"] != 0, st
            assert st["StartedAt"] > old["StartedAt"], (st, old)  # RFC 3339, same zone
            # A start at boot is a start, not a restart: the count begins again (as `start`).
            assert after[name]["RestartCount"] == 0, after[name]
            assert in_bed(bed, "systemctl", "is-active", f"scopebox-{after[name]['Id']}.service"
                          ).stdout == "active\n"  # fmt: skip
            assert in_bed(bed, "kill", "-0", str(st["Pid"])).returncode == 0  # it runs
        for name in (names["no"], user_stopped):
            st = after[name]["State"]
            assert isinstance(st, dict) and st["Status"] == "exited", st
        print("after the reboot:", {n: after[n]["State"] for n in every})
        ps = sb(bed, "ps", "--format", "{{.Names}}").stdout.split()
        assert sorted(ps) == sorted([names["always"], names["unless-stopped"]]), ps
        sb(bed, "rm", "-f", *every)
        assert sb(bed, "ps", "-aq").stdout == ""
        assert list((state_dir / "containers").iterdir()) == []
    assert cgroups and not any(cg.exists() for cg in cgroups), cgroups
