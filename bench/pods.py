"""Pods beside Podman: `pod create` + 3 containers (`run -d --pod`) + `pod rm -f`, wall time
per round, and the infra cost per pod (the namespaces' holder and its monitor: private memory
from /proc/PID/smaps_rollup). Both use `--network none` (nothing touches this host's network)
and the same busybox root directory (`--rootfs`), so no image differs.

    python bench/pods.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)  # bench.read_verbs: the checkout's command shaped like the installed one

from bench.read_verbs import checkout_launcher  # noqa: E402

PODMAN = ["podman", "--runtime", "runc"]


def sh(argv: list[str], env: dict[str, str]) -> str:
    res = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=REPO)
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {res.returncode}: {res.stderr}")
    return res.stdout.strip()


def private_kib(pid: int) -> tuple[int, int]:
    """KiB (private, PSS): a page another process maps too (podman's catatonit beside other
    users' pods on a shared host) is not private; PSS counts its share of it."""
    total = pss = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    return total, pss


STEPS = ("pod create", "run 1 (+infra)", "run 2", "run 3", "pod rm -f")


def round_trip(cli: list[str], rootfs: str, env: dict[str, str], extra: list[str],
               name: str) -> list[float]:
    """Seconds of each of STEPS."""
    argvs = [[*cli, "pod", "create", "--name", name, "--network", "none"]]
    argvs += [[*cli, "run", "-d", *extra, "--pod", name, "--name", f"{name}-{i}", "--rootfs",
               rootfs, "sleep", "300"] for i in range(3)]
    argvs.append([*cli, "pod", "rm", "-f", "-t", "0", name])
    out = []
    for argv in argvs:
        start = time.perf_counter()
        sh(argv, env)
        out.append(time.perf_counter() - start)
    return out


def infra_cost(cli: list[str], rootfs: str, env: dict[str, str], extra: list[str],
               monitor_key: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """KiB private: the pause process and its monitor (conmon / scopebox's monitor)."""
    cost = f"benchpods{os.getpid()}-cost"
    sh([*cli, "pod", "create", "--name", cost, "--network", "none"], env)
    try:
        sh([*cli, "run", "-d", *extra, "--pod", cost, "--rootfs", rootfs, "sleep", "300"],
           env)
        infra = json.loads(sh([*cli, "pod", "inspect", cost], env))["InfraContainerID"]
        doc = json.loads(sh([*cli, "inspect", infra], env))[0]
        pause = private_kib(int(doc["State"]["Pid"]))
        # scopebox's default infra has no monitor (supervisor/container/bare.py): pid 0
        monitor_pid = int(doc["State"][monitor_key])
        monitor = private_kib(monitor_pid) if monitor_pid else (0, 0)
        return pause, monitor
    finally:
        sh([*cli, "pod", "rm", "-f", "-t", "0", cost], env)


def main() -> None:
    p = argparse.ArgumentParser(allow_abbrev=False)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tar = f"{tmp}/bb.tar"
        subprocess.run(["sh", f"{REPO}/packaging/busybox-rootfs.sh", tar], check=True,
                       stdout=subprocess.DEVNULL)
        rootfs = f"{tmp}/rootfs"
        with tarfile.open(tar) as t:
            t.extractall(rootfs)  # our own archive
        # podman's infra asks for RLIMIT_NOFILE 1048576, above this sandbox's hard limit
        with open(f"{tmp}/containers.conf", "w") as f:
            f.write('[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n')
        env = {**os.environ, "CONTAINERS_CONF": f"{tmp}/containers.conf",
               "SCOPEBOX_ROOT": f"{tmp}/root", "SCOPEBOX_RUNROOT": f"{tmp}/run",
               "SCOPEBOX_NETNS": "none"}
        # what users run: the installed `scopebox` (`python3 -IS`), not `python -m`
        scopebox = [checkout_launcher(Path(tmp))]
        sides = {
            "scopebox": (scopebox, [], "ConmonPid"),
            "podman": (PODMAN, ["--ulimit", "host"], "ConmonPid"),
        }
        steps: dict[str, list[list[float]]] = {k: [] for k in sides}
        tag = f"benchpods{os.getpid()}"  # podman's store is the host's: names of our own
        for i in range(args.runs):
            for label, (cli, extra, _) in sides.items():
                steps[label].append(round_trip(cli, rootfs, env, extra, f"{tag}-{i}"))
        print(f"load average {os.getloadavg()[0]:.1f}; per step, median s:")
        print(f"{'':<9} " + "  ".join(f"{s:>14}" for s in STEPS))
        for label in sides:
            cols = [statistics.median(r[j] for r in steps[label]) for j in range(len(STEPS))]
            print(f"{label:<9} " + "  ".join(f"{c:14.2f}" for c in cols))
        for label, (cli, extra, key) in sides.items():
            pause, monitor = infra_cost(cli, rootfs, env, extra, key)
            totals = [sum(r) for r in steps[label]]
            print(f"{label:<9} pod create + 3 run -d + pod rm -f: median "
                  f"{statistics.median(totals):5.2f} s  min {min(totals):5.2f} s "
                  f"({args.runs} runs); "
                  f"infra: pause {pause[0]} KiB + monitor {monitor[0]} KiB private "
                  f"(PSS {pause[1]} + {monitor[1]} KiB)")


if __name__ == "__main__":
    main()
