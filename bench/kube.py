"""`play kube` of a 3-container pod beside Podman, then `kube down`: wall time per round
(median), each engine with private roots and the same busybox image, `--network none`
(nothing touches this host's network).

    python bench/kube.py [--runs N]
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

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
YAML = """\
apiVersion: v1
kind: Pod
metadata: {name: three}
spec:
  restartPolicy: Never
  containers:
  - {name: a, image: localhost/busybox:latest, command: [/bin/sleep, "300"]}
  - {name: b, image: localhost/busybox:latest, command: [/bin/sleep, "300"]}
  - {name: c, image: localhost/busybox:latest, command: [/bin/sleep, "300"]}
"""


def sh(argv: list[str], env: dict[str, str]) -> None:
    res = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=REPO)
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {res.returncode}: {res.stderr}")


def engines(base: str) -> dict[str, tuple[list[str], dict[str, str]]]:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    conf = os.path.join(base, "containers.conf")
    with open(conf, "w") as f:
        f.write(f'[containers]\ndefault_ulimits = ["nofile={hard}:{hard}", "nproc=4096:4096"]'
                '\nnetns = "none"\n')
    env = {**os.environ, "CONTAINERS_CONF": conf}
    podman = ["podman", "--root", f"{base}/p/root", "--runroot", f"{base}/p/run", "--tmpdir",
              f"{base}/p/tmp", "--storage-driver", "vfs", "--runtime", "runc",
              "--events-backend", "file"]
    if not os.path.exists("/run/systemd/system"):
        podman += ["--cgroup-manager", "cgroupfs"]
    ours = {**env, "SCOPEBOX_ROOT": f"{base}/s/root", "SCOPEBOX_RUNROOT": f"{base}/s/run"}
    return {"scopebox": ([sys.executable, "-m", "supervisor"], ours), "podman": (podman, env)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    base = tempfile.mkdtemp(prefix="bench-kube-")
    try:
        tar = os.path.join(base, "busybox.tar")
        subprocess.run(["sh", f"{REPO}/packaging/busybox-rootfs.sh", tar], check=True,
                       capture_output=True)
        yaml = os.path.join(base, "three.yaml")
        with open(yaml, "w") as f:
            f.write(YAML)
        times: dict[str, list[tuple[float, float]]] = {}
        pairs = engines(base)
        for cli, env in pairs.values():
            sh([*cli, "import", "--change", 'CMD ["sh"]', tar, "busybox"], env)
        for _ in range(args.runs):
            for name, (cli, env) in pairs.items():
                start = time.perf_counter()
                sh([*cli, "play", "kube", "--network", "none", yaml], env)
                mid = time.perf_counter()
                sh([*cli, "kube", "down", yaml], env)
                times.setdefault(name, []).append((mid - start, time.perf_counter() - mid))
        for cli, env in pairs.values():
            sh([*cli, "rm", "-a", "-f"], env)
            sh([*cli, "rmi", "-a", "-f"], env)
    finally:
        shutil.rmtree(base, ignore_errors=True)  # podman's vfs store may keep a busy dir
    print(f"{'':10} {'play kube (s)':>14} {'kube down (s)':>14}   median of {args.runs}")
    for name, runs in times.items():
        play = statistics.median(t[0] for t in runs)
        down = statistics.median(t[1] for t in runs)
        print(f"{name:10} {play:14.3f} {down:14.3f}")
    ratio = statistics.median(t[0] for t in times["scopebox"]) / statistics.median(
        t[0] for t in times["podman"])
    print(f"play kube: scopebox / podman = {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
