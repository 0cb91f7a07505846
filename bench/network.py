"""What a bridge network and a published port cost a container's whole life (setup, run,
teardown), scopebox beside podman, interleaved run by run: median and minimum wall time of

    run --rm --network none busybox true
    run --rm --network bridge busybox true
    run --rm --network bridge -p 8080:80 busybox true

    python bench/network.py [--runs N] [--no-podman]

It runs itself in a private network namespace (`unshare -n`): the bridges, veths and nftables
tables of both engines are made there, never in this machine's own. Goal (issue 13): the
bridge adds at most 15 ms over `--network none`.
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
CASES = {
    "none": ["--network", "none"],
    "bridge": ["--network", "bridge"],
    "bridge -p": ["--network", "bridge", "-p", "8080:80"],
}


def engines(base: Path, podman: bool) -> dict[str, tuple[list[str], dict[str, str]]]:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    conf = base / "containers.conf"
    limits = f'["nofile={hard}:{hard}", "nproc=4096:4096"]'
    conf.write_text(f"[containers]\ndefault_ulimits = {limits}\n")
    env = {**os.environ, "CONTAINERS_CONF": str(conf)}
    out = {"scopebox": ([sys.executable, "-m", "supervisor"],
                        {**env, "SCOPEBOX_ROOT": str(base / "sb-root"),
                         "SCOPEBOX_RUNROOT": str(base / "sb-run")})}
    if podman and shutil.which("podman"):
        argv = ["podman", "--root", str(base / "p-root"), "--runroot", str(base / "p-run"),
                "--tmpdir", str(base / "p-tmp"), "--storage-driver", "vfs", "--runtime", "runc",
                "--events-backend", "file", "--cgroup-manager", "cgroupfs"]
        out["podman"] = (argv, env)
    return out


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    res = subprocess.run(argv, env=env, cwd=REPO, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    elapsed = (time.perf_counter() - start) * 1000
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {res.returncode}: {res.stderr.decode()}")
    return elapsed


def main() -> None:
    p = argparse.ArgumentParser(allow_abbrev=False)
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--no-podman", action="store_true")
    p.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if not args.inside:  # into a private network namespace first
        os.execvp("unshare", ["unshare", "-n", sys.executable, *sys.argv, "--inside"])
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    with tempfile.TemporaryDirectory(prefix="bench-net-") as tmp:
        base = Path(tmp)
        tar = base / "busybox.tar"
        subprocess.run(["sh", str(REPO / "packaging/busybox-rootfs.sh"), str(tar)], check=True,
                       capture_output=True)
        eng = engines(base, not args.no_podman)
        for argv, env in eng.values():
            subprocess.run([*argv, "import", "--change", 'CMD ["sh"]', str(tar), "busybox"],
                           env=env, cwd=REPO, check=True, capture_output=True)
            for flags in CASES.values():  # warm up: default network made, caches filled
                timed([*argv, "run", "--rm", *flags, "busybox", "true"], env)
        ms: dict[tuple[str, str], list[float]] = {(e, c): [] for e in eng for c in CASES}
        for _ in range(args.runs):
            for name, (argv, env) in eng.items():
                for case, flags in CASES.items():
                    ms[name, case].append(timed([*argv, "run", "--rm", *flags, "busybox",
                                                 "true"], env))
        for (argv, env) in eng.values():
            subprocess.run([*argv, "rm", "-a", "-f"], env=env, cwd=REPO, capture_output=True)
    for name in eng:
        none = statistics.median(ms[name, "none"])
        for case in CASES:
            times = ms[name, case]
            med = statistics.median(times)
            extra = "" if case == "none" else f"  (+{med - none:5.1f} ms over none)"
            print(f"{name:<9} {case:<10} median {med:6.1f} ms  min {min(times):6.1f} ms"
                  f"{extra}  ({args.runs} runs)")


if __name__ == "__main__":
    main()
