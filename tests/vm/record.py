"""Record real cgroup v2 files of a container under load, inside the v2 lane's VM.

Run by tests/vm/guest.sh when the lane is started with `--record DIR`; each file goes back to
the host as a line `LANE-FILE <name> <base64>` (tests/vm/lane.py writes it into DIR). The
recordings are the samples of tests/unit/test_cgroupfs_parse.py (tests/data/cgroupfs/v2).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

SCOPEBOX = [sys.executable, "-m", "supervisor"]
FILES = (
    "cgroup.controllers", "cgroup.events", "cgroup.freeze", "cgroup.max.depth",
    "cgroup.max.descendants", "cgroup.stat", "cgroup.type", "cpu.max", "cpu.pressure",
    "cpu.stat", "cpu.weight", "io.max", "io.pressure", "io.stat", "io.weight",
    "memory.current", "memory.events", "memory.events.local", "memory.high", "memory.low",
    "memory.max", "memory.min", "memory.peak", "memory.pressure", "memory.stat",
    "memory.swap.current", "memory.swap.events", "memory.swap.max", "pids.current",
    "pids.events", "pids.max",
)  # fmt: skip


def sb(*args: str) -> str:
    res = subprocess.run([*SCOPEBOX, *args], capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"scopebox {' '.join(args)}: exit {res.returncode}: {res.stderr}")
    return res.stdout


def emit(name: str, data: bytes) -> None:
    print(f"LANE-FILE {name} {base64.b64encode(data).decode()}", flush=True)


def cgroup_dir(pid: int) -> Path:
    line = Path(f"/proc/{pid}/cgroup").read_text().splitlines()[0]
    assert line.startswith("0::"), line
    return Path("/sys/fs/cgroup" + line[3:])


def state(name: str) -> dict[str, object]:
    return dict(json.loads(sb("inspect", "--type", "container", name))[0]["State"])


def wait(cond: object, what: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not cond():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.2)


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.clihelp import Scopebox

    Scopebox({}).ensure_busybox()  # the lane's default store, which the systemd tier shares
    disk = os.stat("/var/lib/scopebox").st_dev  # /dev/vda, mounted by guest.sh
    device = f"{os.major(disk)}:{os.minor(disk)}"
    # Load: a busy loop held to half a CPU, 40 MB held in a shell variable, 16 MiB written
    # and synced to the virtio disk (the container's overlay lives there), a few processes.
    script = (
        "while :; do :; done & "
        "x=$(head -c 40000000 /dev/zero | tr '\\0' a); "
        "dd if=/dev/zero of=/written bs=1M count=16 conv=fsync 2>/dev/null; "
        "sleep 1000 & sleep 1000 & echo loaded; wait"
    )
    name = "record-v2"
    sb(
        "run", "-d", "--name", name, "--memory", "128m", "--cpus", "0.5", "--pids-limit", "64",
        "--cpu-shares", "512", "--cgroup-conf", f"io.max={device} rbps=2097152 wiops=120",
        "busybox", "sh", "-c", script,
    )  # fmt: skip
    try:
        wait(lambda: "loaded" in sb("logs", name), "the load")
        time.sleep(3)  # let the counters and pressure averages move
        pid = int(state(name)["Pid"])  # type: ignore[call-overload]
        where = cgroup_dir(pid)
        print(f"recording {where}", flush=True)
        emit("proc_pid_cgroup", Path(f"/proc/{pid}/cgroup").read_bytes())
        emit("mountinfo", Path("/proc/self/mountinfo").read_bytes())
        for file in FILES:
            if (where / file).exists():
                emit(file, (where / file).read_bytes())
        sb("pause", name)
        emit("cgroup.events.frozen", (where / "cgroup.events").read_bytes())
        emit("cgroup.freeze.frozen", (where / "cgroup.freeze").read_bytes())
        sb("unpause", name)
    finally:
        sb("rm", "-f", name)
    # After an OOM kill inside a container that lives on: its memory.events counts it.
    name = "record-oom"
    sb(
        "run", "-d", "--name", name, "--memory", "32m", "busybox", "sh", "-c",
        "head -c 100m /dev/zero | tail; echo killed; exec sleep 1000",
    )  # fmt: skip
    try:
        wait(lambda: "killed" in sb("logs", name), "the OOM kill")
        where = cgroup_dir(int(state(name)["Pid"]))  # type: ignore[call-overload]
        emit("memory.events.after_oom", (where / "memory.events").read_bytes())
        emit("memory.events.local.after_oom", (where / "memory.events.local").read_bytes())
    finally:
        sb("rm", "-f", name)


if __name__ == "__main__":
    main()
