"""`cp` of a 200 MiB tree (64 files of 3 MiB in 4 dirs, plus 1000 small ones) into a running
container and back out, scopebox beside podman (private stores, runc), interleaved.

    python bench/cp.py [--runs 3]

Prints the median wall time and throughput of each direction per engine. Run as root.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MIB = 1 << 20


def make_tree(top: Path) -> int:
    total = 0
    for d in range(4):
        (top / f"d{d}").mkdir(parents=True)
        for i in range(16):
            data = os.urandom(3 * MIB)
            (top / f"d{d}/big{i}").write_bytes(data)
            total += len(data)
    (top / "small").mkdir()
    for i in range(1000):
        (top / f"small/f{i}").write_bytes(b"x" * 4096)
        total += 4096
    return total


def engines(base: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    conf = base / "containers.conf"
    limits = f'["nofile={hard}:{hard}", "nproc=4096:4096"]'
    conf.write_text(f'[containers]\ndefault_ulimits = {limits}\nnetns = "none"\n')
    podman = ["podman", "--root", f"{base}/p/root", "--runroot", f"{base}/p/run", "--tmpdir",
              f"{base}/p/tmp", "--runtime", "runc", "--events-backend", "file"]
    if not os.path.exists("/run/systemd/system"):
        podman += ["--cgroup-manager", "cgroupfs"]
    env = {**os.environ, "CONTAINERS_CONF": str(conf)}
    sb_env = {**env, "SCOPEBOX_ROOT": f"{base}/s/root", "SCOPEBOX_RUNROOT": f"{base}/s/run"}
    return {"podman": (podman, env), "scopebox": ([sys.executable, "-m", "supervisor"], sb_env)}


def run(argv: list[str], env: dict[str, str]) -> float:
    # Every copy writes 200 MiB: without this, the one that runs next pays for the previous
    # one's writeback (the page cache's dirty limit throttles its writes), the second engine
    # of each round always.
    os.sync()
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(allow_abbrev=False)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(dir="/var/tmp") as tmp:
        base = Path(tmp)
        size = make_tree(base / "tree")
        tar = base / "busybox.tar"
        subprocess.run(["sh", str(REPO / "packaging/busybox-rootfs.sh"), str(tar)], check=True,
                       capture_output=True)
        engs = engines(base)
        times: dict[str, list[float]] = {}
        for argv, env in engs.values():
            run([*argv, "import", str(tar), "busybox"], env)
            run([*argv, "run", "-d", "--name", "cpbench", "busybox", "sleep", "10000"], env)
        try:
            for i in range(args.runs):
                order = list(engs.items())
                for name, (argv, env) in order[::-1] if i % 2 else order:  # each goes first
                    times.setdefault(f"{name} in", []).append(
                        run([*argv, "cp", str(base / "tree"), f"cpbench:/tmp/t{i}"], env))
                    out = base / f"out-{name}-{i}"
                    times.setdefault(f"{name} out", []).append(
                        run([*argv, "cp", f"cpbench:/tmp/t{i}", str(out)], env))
                    shutil.rmtree(out)
                    run([*argv, "exec", "cpbench", "rm", "-rf", f"/tmp/t{i}"], env)
        finally:
            for argv, env in engs.values():
                subprocess.run([*argv, "rm", "-f", "-t", "0", "cpbench"], env=env,
                               capture_output=True)
                subprocess.run([*argv, "rmi", "-a", "-f"], env=env, capture_output=True)
    for key, ts in times.items():
        med = statistics.median(ts)
        rates = " ".join(f"{size / MIB / t:.1f}" for t in ts)
        print(f"{key:<14} median {med:6.2f} s  {size / MIB / med:7.1f} MiB/s  ({args.runs} runs:"
              f" {rates}); load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
