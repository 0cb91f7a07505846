"""`build` of a 4-step Containerfile (FROM busybox, ENV, RUN, COPY), scopebox beside podman
(private stores, runc, no network for the RUN step; podman with the vfs driver as the compat
tier runs it, or `--podman-driver overlay`), interleaved: uncached (`--no-cache`) and cached
(every step reused).

    python bench/build.py [--runs 5] [--podman-driver vfs|overlay]

Prints the median wall time of each per engine, their ratio and the load average. Run as root.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FILE = "FROM busybox\nENV GREETING=hello\nRUN echo $GREETING > /made\nCOPY data /data\n"


def engines(base: Path, driver: str) -> dict[str, tuple[list[str], dict[str, str]]]:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    conf = base / "containers.conf"
    limits = f'["nofile={hard}:{hard}", "nproc=4096:4096"]'
    conf.write_text(f'[containers]\ndefault_ulimits = {limits}\nnetns = "none"\n')
    podman = ["podman", "--root", f"{base}/p/root", "--runroot", f"{base}/p/run", "--tmpdir",
              f"{base}/p/tmp", "--storage-driver", driver, "--runtime", "runc",
              "--events-backend", "file", "--network-config-dir", f"{base}/p/net"]
    if not os.path.exists("/run/systemd/system"):
        podman += ["--cgroup-manager", "cgroupfs"]
    env = {**os.environ, "CONTAINERS_CONF": str(conf)}
    sb_env = {**env, "SCOPEBOX_ROOT": f"{base}/s/root", "SCOPEBOX_RUNROOT": f"{base}/s/run"}
    return {"podman": (podman, env), "scopebox": ([sys.executable, "-m", "supervisor"], sb_env)}


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(allow_abbrev=False)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--podman-driver", default="vfs", choices=("vfs", "overlay"))
    args = p.parse_args()
    with tempfile.TemporaryDirectory(dir="/var/tmp") as tmp:
        base = Path(tmp)
        ctx = base / "ctx"
        ctx.mkdir()
        (ctx / "Containerfile").write_text(FILE)
        (ctx / "data").write_bytes(os.urandom(1 << 20))
        tar = base / "busybox.tar"
        subprocess.run(["sh", str(REPO / "packaging/busybox-rootfs.sh"), str(tar)], check=True,
                       capture_output=True)
        engs = engines(base, args.podman_driver)
        times: dict[tuple[str, str], list[float]] = {}
        loads: dict[str, list[float]] = {}
        try:
            for argv, env in engs.values():
                timed([*argv, "import", str(tar), "busybox"], env)
                timed([*argv, "build", "-q", "-t", "benchbuild", str(ctx)], env)  # the cache
            for _ in range(args.runs):
                for kind, extra in (("uncached", ["--no-cache"]), ("cached", [])):
                    for name, (argv, env) in engs.items():
                        t = timed([*argv, "build", "-q", *extra, "-t", "benchbuild", str(ctx)],
                                  env)  # fmt: skip
                        times.setdefault((name, kind), []).append(t)
                        loads.setdefault(kind, []).append(os.getloadavg()[0])
        finally:
            for argv, env in engs.values():
                subprocess.run([*argv, "rm", "-a", "-f"], env=env, capture_output=True)
                subprocess.run([*argv, "system", "reset", "-f"], env=env, capture_output=True)
        load = os.getloadavg()
        print(f"build of a 4-step file, {args.runs} runs each, interleaved, podman's driver"
              f" {args.podman_driver};"
              f" load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        for kind in ("uncached", "cached"):
            med = {name: statistics.median(times[(name, kind)]) for name in engs}
            print(f"  {kind:9} podman {med['podman']:.3f} s  scopebox {med['scopebox']:.3f} s"
                  f"  ratio {med['scopebox'] / med['podman']:.2f}"
                  f"  (load {min(loads[kind]):.1f}-{max(loads[kind]):.1f})")


if __name__ == "__main__":
    main()
